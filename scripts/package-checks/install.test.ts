import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlockAfter, packAll, pinnedVersion, root, run, tscBin } from './support.js';

// A new user's app: the packed tarballs (never the workspace's links) and the frameworks from
// the npm registry at the versions the workspace tests, installed with plain npm.
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const secret = 'quick-start-secret-0123456789-abcdefghijklmnop';
let work: string;
let app: string;

const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
    cwd,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Runs a compiled quick start with PORT and SESSION_SECRET; resolves once it answers HTTP. */
async function start(script: string): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [script], {
    cwd: app,
    env: { ...process.env, PORT: String(port), SESSION_SECRET: secret, NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const base = `http://localhost:${port}`;
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}:\n${output}`);
    try {
      await fetch(base, { method: 'HEAD' });
      return { child, base, output: () => output };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  child.kill();
  throw new Error(`${script} never answered on ${base}:\n${output}`);
}

function cookieOf(response: Response): string {
  const setCookie = response.headers.getSetCookie();
  expect(setCookie).toHaveLength(1);
  return setCookie[0]!.split(';')[0]!;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'spartan-install-'));
  const tarballs = packAll(work);
  app = join(work, 'app');
  mkdirSync(app);
  const dependencies: Record<string, string> = {};
  for (const [name, tarball] of tarballs) dependencies[name] = `file:${tarball}`;
  for (const name of [
    'express',
    'fastify',
    '@fastify/formbody',
    'koa',
    '@koa/router',
    '@koa/bodyparser',
    'ioredis',
    'mongodb',
    '@types/express',
    '@types/koa',
    '@types/node',
  ]) {
    dependencies[name] = pinnedVersion(name);
  }
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'scratch-app', private: true, type: 'module', dependencies }, null, 2),
  );
  const installed = npm(['install'], app);
  if (installed.status !== 0) throw new Error(`npm install of the tarballs failed:\n${installed.stderr}`);

  // The README's quick starts, as a user copies them.
  writeFileSync(join(app, 'express-app.ts'), codeBlockAfter(readme, '## Quick start (Express)'));
  writeFileSync(join(app, 'fastify-app.ts'), codeBlockAfter(readme, '## Quick start (Fastify, Koa)', 0));
  writeFileSync(join(app, 'koa-app.ts'), codeBlockAfter(readme, '## Quick start (Fastify, Koa)', 1));
  // And each adapter's own README quick start.
  for (const adapter of ['express', 'fastify', 'koa']) {
    const adapterReadme = readFileSync(join(root, 'packages', `adapter-${adapter}`, 'README.md'), 'utf8');
    writeFileSync(join(app, `readme-${adapter}.ts`), codeBlockAfter(adapterReadme, '## Quick start'));
  }
});

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed packages installed into a new app with npm', () => {
  it('load as ESM: every entry but /testing (which needs vitest)', () => {
    writeFileSync(
      join(app, 'load.mjs'),
      `const names = ['@spartan-sessions/core', '@spartan-sessions/core/adapter', '@spartan-sessions/core/node',
  '@spartan-sessions/adapter-express', '@spartan-sessions/adapter-fastify', '@spartan-sessions/adapter-koa',
  '@spartan-sessions/store-redis', '@spartan-sessions/store-mongo', '@spartan-sessions/cli'];
const out = {};
for (const name of names) out[name] = Object.keys(await import(name)).length;
const core = await import('@spartan-sessions/core');
const express = await import('@spartan-sessions/adapter-express');
out.sameError = core.SpartanError === express.SpartanError;
out.spartan = typeof express.spartan;
console.log(JSON.stringify(out));`,
    );
    const result = run(process.execPath, ['load.mjs'], { cwd: app });
    expect(result.status, result.stderr).toBe(0);
    const loaded = JSON.parse(result.stdout) as Record<string, number | boolean | string>;
    for (const [name, count] of Object.entries(loaded)) {
      if (name.startsWith('@')) expect(count, name).toBeGreaterThan(0);
    }
    expect(loaded.sameError).toBe(true);
    expect(loaded.spartan).toBe('function');
  });

  it('load with require(): every dual entry, one SpartanError class across them', () => {
    writeFileSync(
      join(app, 'load.cjs'),
      `const core = require('@spartan-sessions/core');
const node = require('@spartan-sessions/core/node');
const adapter = require('@spartan-sessions/core/adapter');
const express = require('@spartan-sessions/adapter-express');
const fastify = require('@spartan-sessions/adapter-fastify');
const koa = require('@spartan-sessions/adapter-koa');
const redis = require('@spartan-sessions/store-redis');
const mongo = require('@spartan-sessions/store-mongo');
console.log(JSON.stringify({
  spartan: [express.spartan, fastify.spartan, koa.spartan].map((f) => typeof f),
  store: typeof redis.RedisStore, mongoStore: typeof mongo.MongoStore, fetchSecret: typeof node.fetchSecret, core: typeof adapter.SpartanCore,
  sameError: core.SpartanError === express.SpartanError && core.SpartanError === koa.SpartanError,
}));`,
    );
    const result = run(process.execPath, ['load.cjs'], { cwd: app });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      spartan: ['function', 'function', 'function'],
      store: 'function',
      mongoStore: 'function',
      fetchSecret: 'function',
      core: 'function',
      sameError: true,
    });
  });

  it('the spartan-sessions command runs from the installed bin', () => {
    const result = run(join(app, 'node_modules', '.bin', 'spartan-sessions'), ['secret'], { cwd: app });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("type-check: the READMEs' quick starts (root and each adapter's) with typed SessionData (nodenext and bundler resolution)", () => {
    const base = {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: 'es2022',
      types: ['node'],
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
    };
    const files = [
      'express-app.ts',
      'fastify-app.ts',
      'koa-app.ts',
      'readme-express.ts',
      'readme-fastify.ts',
      'readme-koa.ts',
    ];
    writeFileSync(
      join(app, 'tsconfig.nodenext.json'),
      JSON.stringify({ compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, files }),
    );
    writeFileSync(
      join(app, 'tsconfig.bundler.json'),
      JSON.stringify({ compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' }, files }),
    );
    for (const config of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
      const result = run(tscBin, ['-p', config], { cwd: app });
      expect(result.status, `${config}\n${result.stdout}${result.stderr}`).toBe(0);
    }
  });

  it('type-check: session data stays typed from CommonJS code and under node10 resolution of /node', () => {
    writeFileSync(
      join(app, 'check.cts'),
      `import express = require('express');
import { spartan } from '@spartan-sessions/adapter-express';
declare module '@spartan-sessions/adapter-express' { interface SessionData { visits: number } }
const { sessions } = spartan({ secrets: 'x'.repeat(32) });
express().use(sessions.sessioner).get('/', (req, res) => { req.session.visits = (req.session.visits ?? 0) + 1; res.end(); });
`,
    );
    writeFileSync(
      join(app, 'node10.ts'),
      `import { fetchSecret } from '@spartan-sessions/core/node';
import { SpartanCore } from '@spartan-sessions/core/adapter';
export const secrets: string[] = fetchSecret('SESSION_SECRET');
export const core: typeof SpartanCore = SpartanCore;
`,
    );
    const nodenext = run(
      tscBin,
      ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--types', 'node', 'check.cts'],
      { cwd: app },
    );
    expect(nodenext.status, nodenext.stdout).toBe(0);
    // node10 ignores `exports`: the subpaths resolve through typesVersions.
    const node10 = run(
      tscBin,
      [
        '--noEmit',
        '--strict',
        '--target',
        'es2022',
        '--esModuleInterop',
        '--module',
        'commonjs',
        '--moduleResolution',
        'node10',
        '--types',
        'node',
        'node10.ts',
      ],
      { cwd: app },
    );
    expect(node10.status, node10.stdout).toBe(0);
  });

  it("runs the README's Express quick start: a counter in the session, a CSRF-protected sign-in that rotates the id", async () => {
    const built = run(tscBin, ['--module', 'nodenext', '--target', 'es2022', '--outDir', 'dist', 'express-app.ts'], {
      cwd: app,
    });
    expect(built.status, built.stdout).toBe(0);
    const { child, base, output } = await start('dist/express-app.js');
    try {
      const first = await fetch(`${base}/`);
      expect(first.status).toBe(200);
      const cookie = cookieOf(first);
      expect(cookie).toMatch(/^__Host-spartan=/);
      expect(await first.text()).toContain('views: 1, user: nobody');
      const second = await fetch(`${base}/`, { headers: { cookie } });
      const page = await second.text();
      expect(page).toContain('views: 2, user: nobody');
      const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
      expect(token).toBeDefined();

      const refused = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: '_csrf=wrong',
        redirect: 'manual',
      });
      expect(refused.status).toBe(403);

      const login = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token! }).toString(),
        redirect: 'manual',
      });
      expect(login.status).toBe(302);
      const rotated = cookieOf(login);
      expect(rotated).not.toBe(cookie);
      const after = await fetch(`${base}/`, { headers: { cookie: rotated } });
      expect(await after.text()).toContain('views: 3, user: user-1');
      // The first line the app prints is its own (no warning from the library); Express's
      // default error handler then logs the refused forgery's SpartanError (no secret, no id).
      expect(output().split('\n')[0]).toMatch(/^listening on http:\/\/localhost:\d+$/);
      expect(output()).not.toContain(secret);
      expect(output()).not.toContain(cookie.split('=')[1]!);
    } finally {
      child.kill();
    }
  });

  it.each([
    ['Fastify', 'fastify-app'],
    ['Koa', 'koa-app'],
  ])("runs the README's %s quick start: the counter survives between requests", async (_name, file) => {
    const built = run(tscBin, ['--module', 'nodenext', '--target', 'es2022', '--outDir', 'dist', `${file}.ts`], {
      cwd: app,
    });
    expect(built.status, built.stdout).toBe(0);
    const { child, base } = await start(`dist/${file}.js`);
    try {
      const first = await fetch(`${base}/`);
      expect(await first.text()).toBe('views: 1');
      const cookie = cookieOf(first);
      const second = await fetch(`${base}/`, { headers: { cookie } });
      expect(await second.text()).toBe('views: 2');
    } finally {
      child.kill();
    }
  });
});

describe('an app on vitest 3 installs core (whose /testing peers on vitest, optionally)', () => {
  it('npm resolves the tree without a peer conflict', () => {
    const lockOnly = join(work, 'vitest3');
    mkdirSync(lockOnly);
    const core = readdirTarball('spartan-sessions-core-');
    writeFileSync(
      join(lockOnly, 'package.json'),
      JSON.stringify({
        name: 'vitest3-app',
        private: true,
        devDependencies: { vitest: '^3.2.0' },
        dependencies: { '@spartan-sessions/core': `file:${core}` },
      }),
    );
    const result = npm(['install', '--package-lock-only'], lockOnly);
    expect(result.status, result.stderr).toBe(0);
    const lock = JSON.parse(readFileSync(join(lockOnly, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    expect(lock.packages['node_modules/vitest']?.version).toMatch(/^3\./);
  });
});

function readdirTarball(prefix: string): string {
  const name = readdirSync(work).find((file) => file.startsWith(prefix) && file.endsWith('.tgz'));
  if (name === undefined) throw new Error(`no ${prefix}*.tgz in ${work}`);
  return join(work, name);
}

describe('an app on node-redis installs store-redis without ioredis (an optional peer)', () => {
  let dir: string;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  // Without NODE_PATH: vitest sets it to the workspace's modules, where require() would find
  // the workspace's ioredis.
  const { NODE_PATH: _workspaceModules, ...inherited } = process.env;
  const env = { ...inherited, REDIS_URL: redisUrl };

  beforeAll(() => {
    dir = join(work, 'node-redis-app');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'node-redis-app',
        private: true,
        type: 'module',
        dependencies: {
          '@spartan-sessions/core': `file:${readdirTarball('spartan-sessions-core-')}`,
          '@spartan-sessions/store-redis': `file:${readdirTarball('spartan-sessions-store-redis-')}`,
          redis: pinnedVersion('redis'),
          '@types/node': pinnedVersion('@types/node'),
        },
      }),
    );
    const installed = npm(['install'], dir);
    if (installed.status !== 0) throw new Error(`npm install failed:\n${installed.stderr}`);
  });

  const script = (loader: string) => `${loader}
const prefix = 'noioredis' + process.pid + ':';
const client = createClient({ url: process.env.REDIS_URL });
client.on('error', () => {});
await client.connect();
const out = {};
try {
  const store = new RedisStore({ client, prefix });
  const now = Date.now();
  const record = { version: 1, data: { visits: 1 }, createdAt: now, lastSeenAt: now, rotatedAt: now,
    userId: null, authenticatedAt: null, zone: 'normal', csrfSecret: null };
  out.written = await store.set('k'.repeat(22), record, { expiresAt: now + 60_000, expectedVersion: null });
  out.read = (await store.get('k'.repeat(22)))?.data;
  await store.destroy('k'.repeat(22));
  try {
    const made = new RedisStore({ url: process.env.REDIS_URL });
    out.url = 'made an ioredis client';
    await made.close();
  } catch (error) {
    out.url = { code: error.code, option: error.details?.option, hint: /npm install ioredis/.test(error.message) };
  }
} finally {
  await client.close();
}
console.log(JSON.stringify(out));`;
  const expected = {
    written: true,
    read: { visits: 1 },
    url: { code: 'sessions/option-type-incorrect', option: 'url', hint: true },
  };

  it('has no ioredis in its tree', () => {
    expect(readdirSync(join(dir, 'node_modules'))).not.toContain('ioredis');
  });

  it('stores and reads a session through a node-redis client (ESM); `url` says that it needs ioredis', () => {
    writeFileSync(
      join(dir, 'app.mjs'),
      script(`import { createClient } from 'redis';\nimport { RedisStore } from '@spartan-sessions/store-redis';`),
    );
    const result = run(process.execPath, ['app.mjs'], { cwd: dir, env });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(expected);
  });

  it('does the same from CommonJS', () => {
    writeFileSync(
      join(dir, 'app.cjs'),
      `(async () => {\n${script(`const { createClient } = require('redis');\nconst { RedisStore } = require('@spartan-sessions/store-redis');`)}\n})().catch((error) => { console.error(error); process.exit(1); });`,
    );
    const result = run(process.execPath, ['app.cjs'], { cwd: dir, env });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(expected);
  });

  it("type-checks against the package's declarations without ioredis (skipLibCheck off)", () => {
    writeFileSync(
      join(dir, 'typed.ts'),
      `import { createClient, createCluster } from 'redis';
import { type RedisClient, RedisStore } from '@spartan-sessions/store-redis';
const store = new RedisStore({ client: createClient(), prefix: 'app:' });
const cluster = new RedisStore({ client: createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] }) });
export const clients: RedisClient[] = [store.client, cluster.client];
`,
    );
    const result = run(
      tscBin,
      [
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--types',
        'node',
        'typed.ts',
      ],
      { cwd: dir },
    );
    expect(result.status, result.stdout).toBe(0);
  });
});
