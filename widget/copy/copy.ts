/**
 * Card copy and "why this" explanations from templates whose slots are filled only with facts: the
 * catalog's (title, price, sale price, stock, brand) and the on-device profile's (what was viewed, what is
 * in the cart, the favourite category). A fact the catalog does not hold has no slot value, and a template
 * with an unfilled slot is never used: no "price drop" without a `sale_price` below `price`, no "only N
 * left" without a `stock` at or below the merchant's `lowStock`.
 */
import type { Placement } from '../../core/analytics.ts';
import type { Product } from '../../core/catalog.ts';
import type { CopyKind, CopyOverrides } from '../merchant.ts';
import type { Profile } from '../profile.ts';
import type { Ranked } from '../ranking.ts';
import { BUILT_IN, UI, WHY, type WhyKind } from './templates.ts';

export interface CopyContext {
  /** Canonical BCP 47 tag (`de-DE`). */
  locale: string;
  placement: Placement;
  profile: Profile;
  product: (id: string) => Product | undefined;
  /** The product on screen (`item-id`). */
  currentItem?: string;
  /** `stock` at or below which "only N left" may be said. */
  lowStock: number;
  overrides: CopyOverrides;
}

/** One usable line for a card. */
export interface Line {
  text: string;
  kind: CopyKind;
  /** Variant id for metrics: `kind.index`, e.g. `viewed.1`. */
  variant: string;
  /** Bandit key: locale and template text, so an edited template starts afresh. */
  key: string;
  /** The slot values the line was filled with: each one a catalog or profile fact. */
  slots: Record<string, string>;
}

/** Lookup order for a locale: `de-AT` -> `de-AT`, `de`, then English. */
export function localeChain(locale: string): string[] {
  const lang = locale.split('-')[0]!;
  return [...new Set([locale, lang, 'en'])];
}

/** The template list for `kind` in `locale`: the merchant's first, then the built-in, then English. */
export function templatesFor(locale: string, kind: CopyKind, overrides: CopyOverrides): { locale: string; list: string[] } {
  for (const tag of localeChain(locale)) {
    const list = overrides[tag]?.[kind] ?? BUILT_IN[tag]?.[kind];
    if (list && list.length > 0) return { locale: tag, list };
  }
  return { locale: 'en', list: BUILT_IN.en![kind] };
}

/** `template` with every `{slot}` replaced, or undefined when a slot it names has no value. */
export function fill(template: string, slots: Readonly<Record<string, string | undefined>>): string | undefined {
  let missing = false;
  const text = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    // Own slots only: a template naming `{toString}` must not get Object.prototype's function as text.
    const value = Object.hasOwn(slots, name) ? slots[name] : undefined;
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : text;
}

/** Last segment of a category path: `Hair care > Shampoos` -> `Shampoos`. */
const leaf = (category: string): string => category.split('>').at(-1)!.trim();

/** Formatters are costly to build (a fraction of a millisecond each) and a row needs dozens: kept per locale and currency. */
const formats = new Map<string, Intl.NumberFormat>();

/** `value` as money in `locale`, e.g. `8,00 €`. */
export function money(locale: string, currency: string, value: number): string {
  const key = `${locale}|${currency}`;
  try {
    let format = formats.get(key);
    if (!format) formats.set(key, (format = new Intl.NumberFormat(locale, { style: 'currency', currency })));
    return format.format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

/** Title of a catalog product other than `self`, or undefined. */
function titleOf(ctx: CopyContext, id: string | undefined, self: string): string | undefined {
  return id && id !== self ? ctx.product(id)?.title : undefined;
}

/** The facts of one product every kind may use. */
function productFacts(p: Product, ctx: CopyContext): Record<string, string | undefined> {
  return {
    product: p.title,
    brand: p.brand,
    price: money(ctx.locale, p.currency, p.price),
  };
}

/** Kinds that may describe this card, each with its kind-specific slots (undefined = the kind does not apply). */
function kinds(r: Ranked, ctx: CopyContext): Array<[CopyKind, Record<string, string | undefined>]> {
  const p = r.product;
  const out: Array<[CopyKind, Record<string, string | undefined>]> = [];
  const { profile } = ctx;
  switch (r.tier) {
    case 'personal': {
      const cartTitle = titleOf(ctx, profile.cart.at(-1), p.id);
      if (ctx.placement === 'cart' && cartTitle) out.push(['cart', { title: cartTitle }]);
      const viewed = titleOf(ctx, profile.viewed.find((id) => id !== p.id), p.id);
      if (viewed) out.push(['viewed', { title: viewed }]);
      out.push(['personal', {}]);
      break;
    }
    case 'similar': {
      const current = titleOf(ctx, ctx.currentItem, p.id);
      out.push(current ? ['similar', { title: current }] : ['personal', {}]);
      break;
    }
    case 'trending':
      out.push(['trending', {}]);
      break;
    case 'bestseller':
      out.push(['bestseller', {}]);
      break;
    case 'history':
      out.push(['history', {}]);
      break;
    case 'catalog':
    case 'pinned':
      out.push(['featured', {}]);
  }
  const fav = profile.favouriteCategory;
  if (fav && p.product_type === fav) out.push(['category', { category: leaf(fav) }]);
  if (p.sale_price !== undefined && p.sale_price < p.price) out.push(['price_drop', { sale_price: money(ctx.locale, p.currency, p.sale_price) }]);
  if (p.stock !== undefined && p.stock > 0 && p.stock <= ctx.lowStock && p.availability !== 'out_of_stock') {
    out.push(['low_stock', { stock: String(p.stock) }]);
  }
  return out;
}

/** Every line that may be shown on this card, true by construction. The bandit picks one. */
export function candidateLines(r: Ranked, ctx: CopyContext): Line[] {
  const lines: Line[] = [];
  const facts = productFacts(r.product, ctx);
  for (const [kind, extra] of kinds(r, ctx)) {
    const { locale, list } = templatesFor(ctx.locale, kind, ctx.overrides);
    const slots = { ...facts, ...extra };
    list.forEach((template, i) => {
      const text = fill(template, slots);
      if (text === undefined) return;
      const used: Record<string, string> = {};
      for (const m of template.matchAll(/\{(\w+)\}/g)) used[m[1]!] = slots[m[1]!]!;
      lines.push({ text, kind, variant: `${kind}.${i}`, key: `${locale}|${template}`, slots: used });
    });
  }
  return lines;
}

/** Text from the locale tables (`WHY`, `UI`) with English as the fallback. */
function table<K extends string>(tables: Record<string, Record<K, string>>, locale: string, key: K): string {
  for (const tag of localeChain(locale)) {
    const text = tables[tag]?.[key];
    if (text !== undefined) return text;
  }
  return tables.en![key];
}

/** A UI string (`why`, `erase`, ...) in `locale`, with `{n}`-style slots filled. */
export function ui(locale: string, key: string, slots: Record<string, string> = {}): string {
  return fill(table(UI, locale, key), slots) ?? key;
}

/** The "why this" explanation of a card: which tier it came from and the profile fact behind it. */
export function why(r: Ranked, ctx: CopyContext): string {
  const p = r.product;
  let kind: WhyKind;
  let title: string | undefined;
  switch (r.tier) {
    case 'personal': {
      const cart = ctx.placement === 'cart' ? titleOf(ctx, ctx.profile.cart.at(-1), p.id) : undefined;
      const last = titleOf(ctx, ctx.profile.sequence.findLast((id) => id !== p.id), p.id);
      [kind, title] = cart ? ['personal_cart', cart] : last ? ['personal', last] : ['personal_none', undefined];
      break;
    }
    case 'similar':
      title = titleOf(ctx, ctx.currentItem, p.id);
      kind = title ? 'similar' : 'personal_none';
      break;
    default:
      kind = r.tier;
  }
  const text = fill(table(WHY, ctx.locale, kind), { title }) ?? table(WHY, ctx.locale, 'personal_none');
  return r.boosted ? `${text} ${table(WHY, ctx.locale, 'boosted')}` : text;
}
