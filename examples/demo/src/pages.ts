/**
 * The demo's pages: server-rendered HTML, no client script. Every dynamic value goes through
 * the `html` tag, which escapes it.
 */
import { createHash } from 'node:crypto';
import { formatDuration, formatTableTime, formatTime } from './format.js';
import { html, raw, type SafeHtml } from './html.js';

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2933;background:#f5f7fa}
header{background:#1f2d3d;color:#fff}
.bar{max-width:900px;margin:0 auto;padding:0 20px;display:flex;align-items:center;gap:22px;min-height:54px}
.brand{color:#fff;font-weight:650;text-decoration:none;white-space:nowrap}
.brand span{color:#f0b429}
nav{display:flex;gap:2px;flex:1;flex-wrap:wrap}
nav a{color:#cbd2d9;text-decoration:none;padding:6px 11px;border-radius:6px;font-size:14px}
nav a:hover{color:#fff;background:rgba(255,255,255,.08)}
nav a[aria-current=page]{color:#fff;background:rgba(255,255,255,.15)}
.who{display:flex;align-items:center;gap:10px;color:#cbd2d9;font-size:14px;white-space:nowrap}
.who form{margin:0}
.who button{padding:4px 12px;font-size:13px;background:transparent;border-color:#7b8794;color:#fff}
.who a{color:#fff}
main{max-width:900px;margin:28px auto;padding:0 20px}
h1{font-size:25px;margin:0 0 4px;letter-spacing:-.2px}
.lead{color:#52606d;margin:0 0 20px}
.card{background:#fff;border:1px solid #e4e7eb;border-radius:10px;padding:18px 22px;margin:0 0 18px;box-shadow:0 1px 2px rgba(31,45,61,.04)}
.card h2{font-size:16px;margin:0 0 12px}
.card p{margin:0 0 10px}
.card p:last-child{margin-bottom:0}
.grid{display:grid;grid-template-columns:3fr 2fr;gap:18px}
.grid .card{margin:0}
dl.facts{display:grid;grid-template-columns:200px 1fr;gap:8px 16px;margin:0}
dl.facts dt{color:#52606d}
dl.facts dd{margin:0;font-variant-numeric:tabular-nums}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid #eef0f2;font-size:14px;vertical-align:middle}
th{color:#52606d;font-weight:600;font-size:13px}
tr:last-child td{border-bottom:0}
table.times td{white-space:nowrap}
.badge{display:inline-block;white-space:nowrap;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;background:#e1ecf7;color:#1f4e79}
.badge.privileged{background:#fdecd2;color:#8a4b08}
.badge.current{background:#dff3e4;color:#1e6b34}
label{display:block;font-weight:600;margin:0 0 4px;font-size:14px}
input[type=text],input[type=password]{width:100%;max-width:340px;padding:8px 10px;border:1px solid #cbd2d9;border-radius:6px;font:inherit;background:#fff}
input:focus{outline:2px solid #8fb3d9;border-color:#2f5d8a}
.field{margin:0 0 14px}
form.inline{display:inline;margin:0}
button{font:inherit;font-size:14px;padding:7px 16px;border-radius:6px;border:1px solid #2f5d8a;background:#2f5d8a;color:#fff;cursor:pointer}
button:hover{filter:brightness(1.08)}
button.secondary{background:#fff;color:#2f5d8a}
button.danger{background:#fff;color:#b42318;border-color:#e8a39b}
.notice{padding:10px 14px;border-radius:8px;margin:0 0 18px;background:#e3f2e8;color:#1e6b34;border:1px solid #c3e3cd}
.notice.error{background:#fdecea;color:#9b1c13;border-color:#f6c9c4}
.notice.warn{background:#fff4e0;color:#7a4306;border-color:#f5d9a8}
code{background:#eef2f6;padding:1px 5px;border-radius:4px;font-size:13px}
.muted{color:#7b8794;font-size:13px}
footer{max-width:900px;margin:0 auto 32px;padding:0 20px;color:#7b8794;font-size:13px}
@media (max-width:720px){.grid{grid-template-columns:1fr}dl.facts{grid-template-columns:1fr}}
`;

/** The CSP source for the one inline style sheet, so the page needs no `unsafe-inline`. */
export const STYLE_SOURCE = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

/** The signed-in user as the navigation bar shows them, with a CSRF token for its logout form. */
export interface Viewer {
  username: string;
  displayName: string;
  /** `null` on an error page rendered before the CSRF guard ran: no sign-out form then. */
  csrfToken: string | null;
}

export interface Notice {
  kind: 'ok' | 'error' | 'warn';
  text: string;
}

interface LayoutOptions {
  title: string;
  /** The request path, to mark the current navigation link. */
  path: string;
  viewer: Viewer | null;
  notice?: Notice | null | undefined;
  body: SafeHtml;
}

const NAV: ReadonlyArray<{ href: string; label: string }> = [
  { href: '/', label: 'Home' },
  { href: '/account', label: 'Account' },
  { href: '/admin', label: 'Admin' },
  { href: '/sessions', label: 'Active sessions' },
];

function isCurrent(path: string, href: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
}

function notice(value: Notice | null | undefined): SafeHtml {
  if (!value) return html``;
  const kind = value.kind === 'ok' ? '' : ` ${value.kind}`;
  return html`<div class="notice${raw(kind)}" role="status">${value.text}</div>`;
}

function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/** A whole HTML document around `body`. */
export function layout({ title, path, viewer, notice: message, body }: LayoutOptions): string {
  const links = NAV.map(
    (link) =>
      html`<a href="${link.href}"${isCurrent(path, link.href) ? raw(' aria-current="page"') : ''}>${link.label}</a>`,
  );
  const signOut =
    viewer?.csrfToken &&
    html`<form method="post" action="/logout">${csrfField(viewer.csrfToken)}<button type="submit">Sign out</button></form>`;
  const who = viewer
    ? html`<span>Signed in as <strong>${viewer.username}</strong></span>${signOut}`
    : html`<span>Not signed in</span> <a href="/login">Sign in</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · spartan-sessions demo</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header><div class="bar">
  <a class="brand" href="/">spartan<span>·</span>sessions demo</a>
  <nav>${links}</nav>
  <div class="who">${who}</div>
</div></header>
<main>
${notice(message)}
${body}
</main>
<footer>Server-rendered, no client script. Sessions by <code>@spartan-sessions/adapter-express</code>.</footer>
</body>
</html>
`.value;
}

/** What the home page shows of a signed-in session (times in ms since the epoch). */
export interface SessionFacts {
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  idleExpiresAt: number;
  authenticatedAt: number | null;
  zone: string;
  now: number;
  idleLimitMs: number;
  ttlMs: number;
}

function zoneBadge(zone: string): SafeHtml {
  return html`<span class="badge${zone === 'privileged' ? raw(' privileged') : ''}">${zone}</span>`;
}

export function homeBody(viewer: Viewer | null, facts: SessionFacts | null): SafeHtml {
  if (!viewer || !facts) {
    return html`<h1>Who am I?</h1>
<p class="lead">Nobody yet: you are browsing anonymously.</p>
<div class="card">
  <h2>No session</h2>
  <p>Sessions here are <em>lazy</em>: the server stores nothing about you and sets no cookie until a session
  holds something: here, a sign-in. (The sign-in form keeps its CSRF secret in a sealed cookie of its own.)</p>
  <p><a href="/login">Sign in</a> to get a session, then come back to see it.</p>
</div>`;
  }
  return html`<h1>Who am I?</h1>
<p class="lead">Signed in as <strong>${viewer.displayName}</strong> (<code>${viewer.username}</code>).</p>
<div class="card">
  <h2>This session</h2>
  <dl class="facts">
    <dt>Session created</dt><dd>${formatTime(facts.createdAt)}</dd>
    <dt>Expires at</dt><dd>${formatTime(facts.expiresAt)}</dd>
    <dt>Idle time left</dt><dd>${formatDuration(facts.idleExpiresAt - facts.now)}
      <span class="muted">· of ${formatDuration(facts.idleLimitMs)}; each visit starts it again</span></dd>
    <dt>Absolute limit</dt><dd>${formatTime(facts.createdAt + facts.ttlMs)}
      <span class="muted">· ${formatDuration(facts.ttlMs)} after creation, however active you are</span></dd>
    <dt>Zone</dt><dd>${zoneBadge(facts.zone)}</dd>
    <dt>Signed in at</dt><dd>${facts.authenticatedAt === null ? '—' : formatTime(facts.authenticatedAt)}</dd>
  </dl>
</div>
<div class="card">
  <h2>What protects it</h2>
  <p>The cookie is <code>HttpOnly</code>, <code>Secure</code>, <code>SameSite=Lax</code> and <code>__Host-</code>
  prefixed; it carries a random 256-bit id with an HMAC tag, and the store only ever sees a hash of that id.
  The id changes when you sign in, when you enter or leave <a href="/admin">the admin area</a>, and every so often.</p>
</div>`;
}

export interface LoginForm {
  csrfToken: string;
  next: string;
  username: string;
  error: string | null;
  accounts: ReadonlyArray<{ username: string; password: string }>;
}

export function loginBody(form: LoginForm): SafeHtml {
  const accounts = form.accounts.map(
    (account) => html`<tr><td><code>${account.username}</code></td><td><code>${account.password}</code></td></tr>`,
  );
  return html`<h1>Sign in</h1>
<p class="lead">A plain form with a CSRF token; signing in gives you a brand-new session id.</p>
${form.error ? notice({ kind: 'error', text: form.error }) : ''}
<div class="grid">
  <div class="card">
    <form method="post" action="/login">
      ${csrfField(form.csrfToken)}
      <input type="hidden" name="next" value="${form.next}">
      <div class="field"><label for="username">Username</label>
        <input type="text" id="username" name="username" value="${form.username}" autocomplete="username" required autofocus></div>
      <div class="field"><label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required></div>
      <button type="submit">Sign in</button>
    </form>
  </div>
  <div class="card">
    <h2>Demo accounts</h2>
    <table><thead><tr><th>Username</th><th>Password</th></tr></thead><tbody>${accounts}</tbody></table>
    <p class="muted">It is a demo: the passwords are shown here, and stored only as scrypt hashes.</p>
  </div>
</div>`;
}

export interface AccountFacts {
  userId: string;
  username: string;
  displayName: string;
  csrfToken: string;
}

export function accountBody(account: AccountFacts): SafeHtml {
  return html`<h1>Account</h1>
<p class="lead">Everything here needs a signed-in session; every change needs this site's own form.</p>
<div class="card">
  <h2>Profile</h2>
  <dl class="facts">
    <dt>Username</dt><dd><code>${account.username}</code></dd>
    <dt>User id</dt><dd><code>${account.userId}</code></dd>
    <dt>Display name</dt><dd id="display-name">${account.displayName}</dd>
  </dl>
</div>
<div class="card">
  <h2>Change display name</h2>
  <form method="post" action="/account/name">
    ${csrfField(account.csrfToken)}
    <div class="field"><label for="displayName">Display name</label>
      <input type="text" id="displayName" name="displayName" value="${account.displayName}" maxlength="60" required></div>
    <button type="submit">Save</button>
  </form>
</div>
<div class="card">
  <h2>More</h2>
  <p><a href="/sessions">Active sessions</a>: where else you are signed in, and a button to sign out everywhere else.</p>
  <p><a href="/admin">Admin area</a>: privileged; it asks for your password again when your sign-in is not recent.</p>
</div>`;
}

export interface AdminFacts {
  csrfToken: string;
  authenticatedAt: number;
  reauthAfterMs: number;
  privilegedIdleMs: number;
  now: number;
  users: ReadonlyArray<{ id: string; username: string; displayName: string; self: boolean }>;
  events: ReadonlyArray<{ at: number; type: string; userId?: string; keyHash?: string; reason?: string }>;
}

export function adminBody(admin: AdminFacts): SafeHtml {
  const users = admin.users.map(
    (user) => html`<tr>
      <td><code>${user.username}</code>${user.self ? html` <span class="badge current">you</span>` : ''}</td>
      <td>${user.displayName}</td>
      <td><form class="inline" method="post" action="/admin/users/${user.id}/revoke">${csrfField(admin.csrfToken)}
        <button type="submit" class="danger">Sign out all sessions</button></form></td>
    </tr>`,
  );
  const events =
    admin.events.length === 0
      ? html`<tr><td colspan="5" class="muted">No events yet.</td></tr>`
      : admin.events.map(
          (event) => html`<tr><td>${formatTableTime(event.at)}</td><td>${event.type}</td><td>${event.userId ?? '—'}</td>
            <td>${event.keyHash ? html`<code>${event.keyHash}</code>` : '—'}</td><td>${event.reason ?? ''}</td></tr>`,
        );
  return html`<h1>Admin</h1>
<p class="lead">A privileged area: entering it gave your session a new id, and it has a shorter idle limit.</p>
<div class="card">
  <h2>Your privileged access</h2>
  <dl class="facts">
    <dt>Last signed in</dt><dd>${formatTime(admin.authenticatedAt)} <span class="muted">· ${formatDuration(admin.now - admin.authenticatedAt)} ago</span></dd>
    <dt>Password needed again</dt><dd>${formatTime(admin.authenticatedAt + admin.reauthAfterMs)}
      <span class="muted">· for sign-ins older than ${formatDuration(admin.reauthAfterMs)}</span></dd>
    <dt>Idle limit here</dt><dd>${formatDuration(admin.privilegedIdleMs)}</dd>
  </dl>
</div>
<div class="card">
  <h2>Users</h2>
  <table><thead><tr><th>Username</th><th>Display name</th><th></th></tr></thead><tbody>${users}</tbody></table>
  <p class="muted">"Sign out all sessions" is <code>manager.revokeUser(id)</code>: what to do when an account is disabled or its password changes.</p>
</div>
<div class="card">
  <h2>Recent session events</h2>
  <table class="times"><thead><tr><th>Time (UTC)</th><th>Event</th><th>User</th><th>Key hash</th><th>Reason</th></tr></thead>
  <tbody>${events}</tbody></table>
  <p class="muted">From <code>onEvent</code>: never a raw session id, only a short prefix of the store key's hash.</p>
</div>`;
}

export interface ReauthForm {
  csrfToken: string;
  username: string;
  next: string;
  authenticatedAt: number | null;
  reauthAfterMs: number;
  now: number;
  error: string | null;
}

export function reauthBody(form: ReauthForm): SafeHtml {
  const age =
    form.authenticatedAt === null
      ? html``
      : html` You signed in ${formatDuration(form.now - form.authenticatedAt)} ago;`;
  return html`<h1>Confirm it’s you</h1>
<p class="lead">The admin area needs a recent sign-in.${age} the limit is ${formatDuration(form.reauthAfterMs)}.</p>
${form.error ? notice({ kind: 'error', text: form.error }) : ''}
<div class="card">
  <form method="post" action="/admin/reauth">
    ${csrfField(form.csrfToken)}
    <input type="hidden" name="next" value="${form.next}">
    <div class="field"><label>Username</label><code>${form.username}</code></div>
    <div class="field"><label for="password">Password</label>
      <input type="password" id="password" name="password" autocomplete="current-password" required autofocus></div>
    <button type="submit">Continue</button>
  </form>
  <p class="muted">On success the session records the new sign-in time and gets a new id.</p>
</div>`;
}

export interface SessionRow {
  current: boolean;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  zone: string;
}

export function sessionsBody(rows: readonly SessionRow[], csrfToken: string): SafeHtml {
  const sorted = [...rows].sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt - a.lastSeenAt);
  const body = sorted.map(
    (row, index) => html`<tr>
      <td>${index + 1}</td>
      <td>${row.current ? html`<span class="badge current">this browser</span>` : html`<span class="muted">elsewhere</span>`}</td>
      <td>${formatTableTime(row.createdAt)}</td><td>${formatTableTime(row.lastSeenAt)}</td><td>${formatTableTime(row.expiresAt)}</td>
      <td>${zoneBadge(row.zone)}</td>
    </tr>`,
  );
  const others = rows.filter((row) => !row.current).length;
  return html`<h1>Active sessions</h1>
<p class="lead">Every live session of your account. No ids are shown: the list is built from the store's per-user index.</p>
<div class="card">
  <table class="times"><thead><tr><th>#</th><th></th><th>Created (UTC)</th><th>Last seen (UTC)</th><th>Expires (UTC)</th><th>Zone</th></tr></thead>
  <tbody>${body}</tbody></table>
</div>
<div class="card">
  <h2>Sign out everywhere else</h2>
  <p>${others === 0 ? 'This is your only session.' : `${others} other ${others === 1 ? 'session' : 'sessions'} will end; this one stays.`}</p>
  <form method="post" action="/sessions/revoke-others">${csrfField(csrfToken)}
    <button type="submit" class="danger">Sign out everywhere else</button></form>
</div>`;
}

export function refusedBody(code: string, signedIn: boolean): SafeHtml {
  const why =
    code === 'sessions/cross-origin-request'
      ? html`<p>It was sent from another site: the browser said so in its <code>Sec-Fetch-Site</code> and
        <code>Origin</code> headers, and only this site’s own pages may change anything here.</p>
        ${
          signedIn
            ? ''
            : html`<p>Your browser did not send your session cookie with it either (<code>SameSite=Lax</code>):
        a second, independent defence, and the reason this page shows nobody signed in.</p>`
        }`
      : html`<p>It did not carry the CSRF token of one of this site’s own forms. If you left a form open for
        a long time, reload it and try again.</p>`;
  return html`<h1>Request refused</h1>
<p class="lead">This looked like cross-site request forgery, so nothing was changed.</p>
<div class="card">
  ${why}
  <p class="muted">Error code <code>${code}</code> · HTTP 403</p>
  <p><a href="/">Back to the home page</a></p>
</div>`;
}

export function messageBody(title: string, text: string, detail?: string): SafeHtml {
  return html`<h1>${title}</h1>
<div class="card">
  <p>${text}</p>
  ${detail ? html`<p class="muted">${detail}</p>` : ''}
  <p><a href="/">Back to the home page</a></p>
</div>`;
}
