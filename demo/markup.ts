/**
 * Markup built from template literals with every interpolated value escaped by default, shared by the
 * server-drawn product images and the shop's pages. Escaping is the default, not a call each site has to
 * remember: product titles come from a merchant feed ("Tom & Jerry <Deluxe>") and must never become markup.
 */

/** A fragment that is already markup; the only values `html` inserts unescaped. */
export class Markup {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML and XML, in element content and in quoted attribute values alike.
 *
 * @example escapeMarkup('Tom & Jerry <"Deluxe">') // 'Tom &amp; Jerry &lt;&quot;Deluxe&quot;&gt;'
 */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(value: unknown): string {
  if (value instanceof Markup) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  // `cond && html\`...\`` reads naturally in templates; false and absent values render nothing.
  if (value === null || value === undefined || value === false) return '';
  return escapeMarkup(String(value));
}

/**
 * Tagged template for HTML or SVG: strings, numbers and arrays of fragments are escaped, nested `html`
 * results are kept as they are, and `null`, `undefined` and `false` render nothing.
 *
 * @example html`<h1 title="${title}">${title}</h1>`
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Markup(out);
}

/** Trusted markup written in this repository (icons, fixed snippets); never pass it feed or user text. */
export function trusted(markup: string): Markup {
  return new Markup(markup);
}
