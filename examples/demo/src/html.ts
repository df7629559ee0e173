/**
 * Server-side HTML without a template engine. Every value interpolated into `html`…`` is
 * escaped unless it is itself the result of `html` (or `raw`), so a page cannot forget to
 * escape a user's input: the safe path is the default one.
 */

const SAFE: unique symbol = Symbol('demo.safe-html');

/** A fragment of HTML that is already safe to send (escaped or written by the programmer). */
export interface SafeHtml {
  readonly [SAFE]: true;
  readonly value: string;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an HTML element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (character) => ESCAPES[character] ?? character);
}

/** Marks a string as HTML. Only for constants written in this code base, never for input. */
export function raw(value: string): SafeHtml {
  return { [SAFE]: true, value };
}

function isSafeHtml(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && SAFE in value;
}

/** What may be interpolated: text (escaped), numbers, safe fragments, lists of them; nothing for null/false. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return escapeHtml(value);
  if (isSafeHtml(value)) return value.value;
  return value.map(render).join('');
}

/** Tagged template: the literal parts are trusted markup, every `${value}` is escaped. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let index = 0; index < values.length; index++) {
    out += render(values[index]) + (strings[index + 1] ?? '');
  }
  return raw(out);
}
