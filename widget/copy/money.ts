/**
 * Prices as text in the shopper's locale (`Intl.NumberFormat`). A page's first `Intl` formatter costs
 * its thread the ICU set-up (about 100 ms on a mid-range phone, measured with DevTools' 4x CPU slowdown:
 * docs/benchmarks.md), so the heavy-work worker formats every price of the catalog it loads
 * (`moneyTexts`) and the page keeps the texts (`rememberMoney`): cards then format no price themselves.
 * A price the worker did not format (another locale, a price band) falls back to a formatter here.
 */
import type { Catalog } from '../../core/catalog.ts';

/** Formatters are costly to build (a fraction of a millisecond each) and a row needs dozens: kept per locale and currency. */
const formats = new Map<string, Intl.NumberFormat>();
/** Texts formatted elsewhere (the worker), by `locale|currency|value`. */
const texts = new Map<string, string>();

const keyOf = (locale: string, currency: string, value: number): string => `${locale}|${currency}|${value}`;

/** `value` as money in `locale`, e.g. `8,00 €`. */
export function money(locale: string, currency: string, value: number): string {
  const known = texts.get(keyOf(locale, currency, value));
  if (known !== undefined) return known;
  const key = `${locale}|${currency}`;
  try {
    let format = formats.get(key);
    if (!format) formats.set(key, (format = new Intl.NumberFormat(locale, { style: 'currency', currency })));
    return format.format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

/** Each distinct price of a catalog as `[currency, value, text]` in `locale`. */
export type MoneyTexts = Array<[currency: string, value: number, text: string]>;

/** Every price and sale price of `catalog` as text in `locale` (`money`), each distinct one once. */
export function moneyTexts(catalog: Pick<Catalog, 'products'>, locale: string): MoneyTexts {
  const seen = new Set<string>();
  const out: MoneyTexts = [];
  const add = (currency: string, value: number | undefined): void => {
    if (value === undefined) return;
    const key = keyOf(locale, currency, value);
    if (seen.has(key)) return;
    seen.add(key);
    out.push([currency, value, money(locale, currency, value)]);
  };
  for (const p of catalog.products) {
    add(p.currency, p.price);
    add(p.currency, p.sale_price);
  }
  return out;
}

/** Keeps texts `moneyTexts` made (in the worker) for `money` in `locale`, in place of the catalog's earlier ones. */
export function rememberMoney(locale: string, entries: MoneyTexts): void {
  for (const key of texts.keys()) if (key.startsWith(`${locale}|`)) texts.delete(key);
  for (const [currency, value, text] of entries) texts.set(keyOf(locale, currency, value), text);
}
