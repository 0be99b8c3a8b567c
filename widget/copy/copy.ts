/**
 * Card copy and "why this" explanations, true by construction. Slots are filled only with facts: the
 * catalog's (title, price, sale price, stock, brand, category) and the on-device profile's (what was viewed,
 * what is in the cart, the favourite category); a template with an unfilled slot is never used. And each
 * kind of line declares the evidence its claim needs (`EVIDENCE`), checked here where lines are chosen:
 * "Shoppers who viewed X chose this next" only where the model's signed chosen-next table says at least k
 * shoppers did (a model's ranking is no evidence of what shoppers did), "Trending" only for an item whose
 * trending score passed `TRENDING_MIN_SCORE`, and so on. A card without the evidence for any claim gets a
 * true line about what happened on this device, else a neutral line about the product itself.
 */
import { money } from './money.ts';
import { TRENDING_MIN_SCORE, type Placement } from '../../core/analytics.ts';
import { groupKey, type Product } from '../../core/catalog.ts';
import { COPY_KINDS, type CopyKind, type CopyOverrides } from '../ranking/merchant.ts';
import type { Profile } from '../ranking/profile.ts';
import type { Ranked } from '../ranking/ranking.ts';
import { BUILT_IN, UI, WHY, type WhyKind } from './templates.ts';

export interface CopyContext {
  /** Canonical BCP 47 tag (`de-DE`). */
  locale: string;
  placement: Placement;
  profile: Profile;
  /**
   * A catalog product by its own id (a variant's id names that variant), else a variant group's card by its
   * key: copy names what the shopper really viewed or added (`Profile.variants`) by the variant's id.
   */
  product: (id: string) => Product | undefined;
  /** The product on screen (`item-id`) as ranking reads it: its variant group's key. */
  currentItem?: string;
  /** The product on screen as `item-id` names it (a variant, e.g. size L): what "Shoppers who viewed X" names. Default: `currentItem`. */
  onScreen?: string;
  /** `stock` at or below which "only N left" may be said. */
  lowStock: number;
  overrides: CopyOverrides;
  /** The item's score in the server's trending list (`GET /v1/popular`), if it is on it. */
  trendingScore: (id: string) => number | undefined;
  /** Whether the item is on the merchant's own bestseller list (`GET /v1/popular`). */
  bestseller: (id: string) => boolean;
  /**
   * A variant group's own name by group key (`CardCatalog.title`): what a claim about other shoppers names,
   * since the chosen-next table counts groups ("Pro Bib Shorts", not the size the shopper has on screen).
   * Undefined where the group's titles give no usable name: such a claim then names no product.
   */
  groupTitle: (key: string) => string | undefined;
  /**
   * Whether at least k shoppers of the model's training data chose `to` next after `from` (group keys), per
   * the model's signed chosen-next table (`widget/ranking/next-steps.ts`); always false for a model without one.
   */
  choseNext: (from: string, to: string) => boolean;
}

/**
 * Smallest trending score at which a card may say "trending", the one the server lists by (`core/analytics.ts`):
 * about ten shoppers beyond cover rows and noise, decayed. Below it the item is neither ranked as trending nor called so.
 */

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
function localeChain(locale: string): string[] {
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

/** Strong right-to-left characters (Hebrew, Arabic, Syriac, Thaana, N'Ko, ... and their presentation forms). */
const RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFC\u{10800}-\u{10FFF}\u{1E800}-\u{1EFFF}]/u;

/**
 * `template` with every `{slot}` replaced, or undefined when a slot it names has no value. Where the
 * template or a value holds right-to-left text, each value is a bidi isolate (U+2068 … U+2069), so a
 * title cannot reorder the sentence around it (Unicode UAX #9).
 */
export function fill(template: string, slots: Readonly<Record<string, string | undefined>>): string | undefined {
  let missing = false;
  const rtlTemplate = RTL.test(template);
  const text = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    // Own slots only: a template naming `{toString}` must not get Object.prototype's function as text.
    const value = Object.hasOwn(slots, name) ? slots[name] : undefined;
    if (value === undefined) {
      missing = true;
      return '';
    }
    return rtlTemplate || RTL.test(value) ? `\u2068${value}\u2069` : value;
  });
  return missing ? undefined : text;
}

/** Last segment of a category path: `Hair care > Shampoos` -> `Shampoos`. */
const leaf = (category: string): string => category.split('>').at(-1)!.trim();

/** The deepest level two category paths share (`Home > Kitchen > Pots`, `Home > Kitchen > Pans`: `Kitchen`), as `a` spells it. */
function sharedCategory(a: string, b: string): string | undefined {
  const x = a.split('>').map((s) => s.trim());
  const y = b.split('>').map((s) => s.trim().toLowerCase());
  let shared: string | undefined;
  for (let i = 0; i < Math.min(x.length, y.length) && x[i] !== '' && x[i]!.toLowerCase() === y[i]; i++) shared = x[i];
  return shared;
}

/** The facts of one product every kind may use. */
function productFacts(p: Product, ctx: CopyContext): Record<string, string | undefined> {
  return {
    product: p.title,
    brand: p.brand,
    price: money(ctx.locale, p.currency, p.price),
    product_category: p.product_type ? leaf(p.product_type) : undefined,
  };
}

type Slots = Record<string, string | undefined>;
/** A kind's evidence rule: the slot values its claim rests on, or undefined when the evidence is missing. */
type Evidence = (r: Ranked, ctx: CopyContext) => Slots | undefined;

const fromModel = (r: Ranked): boolean => r.tier === 'personal' || r.tier === 'similar';
/** A model pick ranked from its content features alone (no id row: new in the catalog, or held out of training). */
const fromContent = (r: Ranked): boolean => fromModel(r) && r.fromContent === true;
/**
 * A claim that rests on behaviour, the shopper's or other shoppers': never on a card ranked from its content
 * alone, whose only true reasons are content facts (issue 18: "Same brand as …", "More in …").
 */
const behaviour = (evidence: Evidence): Evidence => (r, ctx) => (fromContent(r) ? undefined : evidence(r, ctx));
/** Catalog text as compared for a content fact: case, spacing and the spacing around `>` do not count. */
const folded = (text: string | undefined): string => (text ?? '').replace(/\s*>\s*/g, ' > ').replace(/\s+/g, ' ').trim().toLowerCase();
const alikeText = (a: string | undefined, b: string | undefined): boolean => folded(a) !== '' && folded(a) === folded(b);
/**
 * The newest item of the shopper's history (group keys) that the ranking read, that is not the card itself,
 * and whose product `alike` accepts, as a title slot: the variant the shopper had of it. What a content fact
 * compares the card with.
 */
const readAlike = (r: Ranked, ctx: CopyContext, alike: (p: Product) => boolean): Slots | undefined => {
  const self = keyOfCard(r);
  for (const key of [...ctx.profile.sequence].reverse()) {
    if (key === self || !read(r, key)) continue;
    const product = ctx.product(ctx.profile.variants.interest.get(key) ?? key);
    if (product && alike(product)) return { title: product.title };
  }
  return undefined;
};
/** Whether the model's ranking of this card read `id`. */
const read = (r: Ranked, id: string | undefined): id is string => id !== undefined && (r.basis?.includes(id) ?? false);
/**
 * The card's item as the profile, the ranking's basis and the lists name it: its variant group's key. The
 * card itself shows one variant (`r.product`, e.g. size M), which is not the key of its group.
 */
const keyOfCard = (r: Ranked): string => groupKey(r.product);
/**
 * The newest of `ids` (group keys, newest first) that the ranking read and that is not the card itself, as
 * a title slot: the title of the variant the shopper had of it (`variants`, e.g. size L), not of the
 * variant its card would show.
 */
const newestRead = (r: Ranked, ctx: CopyContext, ids: readonly string[], variants: ReadonlyMap<string, string>): Slots | undefined => {
  const self = keyOfCard(r);
  const key = ids.find((id) => id !== self && read(r, id));
  const title = key === undefined ? undefined : ctx.product(variants.get(key) ?? key)?.title;
  return title ? { title } : undefined;
};
const only = (holds: boolean): Slots | undefined => (holds ? {} : undefined);
/** The product on screen, if the ranking read it, named as `item-id` names it (the variant on screen). */
const screenRead = (r: Ranked, ctx: CopyContext): Slots | undefined =>
  ctx.currentItem === undefined ? undefined : newestRead(r, ctx, [ctx.currentItem], new Map([[ctx.currentItem, ctx.onScreen ?? ctx.currentItem]]));
/** Whether the shopper viewed the variant this card shows: a view of the group's own id (a parent product page) counts too. */
const viewedShown = (r: Ranked, ctx: CopyContext): boolean => {
  const key = keyOfCard(r);
  const viewed = ctx.profile.viewed.includes(key) ? ctx.profile.variants.viewed.get(key) ?? key : undefined;
  return viewed === r.product.id || viewed === key;
};
/** Whether the card was ranked after the product on screen (read, not the card's own group) and the chosen-next table shows shoppers chose it next after it. */
const shoppersChose = (r: Ranked, ctx: CopyContext): boolean =>
  r.tier === 'similar' && read(r, ctx.currentItem) && ctx.currentItem !== keyOfCard(r) && ctx.choseNext(ctx.currentItem, keyOfCard(r));
/** The newest cart item (newest first) the cart row's ranking read and `keep` accepts, named as the variant added. */
const cartRead = (r: Ranked, ctx: CopyContext, keep: (id: string) => boolean = () => true): Slots | undefined =>
  ctx.placement === 'cart' && r.tier === 'personal' ? newestRead(r, ctx, [...ctx.profile.cart].reverse().filter(keep), ctx.profile.variants.added) : undefined;

/** Titles of the cart's items (in cart order) that the cart row's ranking read, each as the variant added. */
const cartNames = (r: Ranked, ctx: CopyContext): string[] => {
  if (ctx.placement !== 'cart' || r.tier !== 'personal') return [];
  const self = keyOfCard(r);
  return ctx.profile.cart
    .filter((id) => id !== self && read(r, id))
    .map((id) => ctx.product(ctx.profile.variants.added.get(id) ?? id)?.title)
    .filter((title): title is string => title !== undefined);
};

/**
 * Each kind's claim and the evidence it needs. Claims about the shopper rest on what the model's ranking
 * really read (`Ranked.basis`: a product the model does not know was never read, so it is never named);
 * claims about what other shoppers did on the model's chosen-next table (`choseNext`), never on the
 * ranking alone; claims about the shop on the server's lists; facts on the catalog and the profile. A card
 * the model ranked from its content alone (`Ranked.fromContent`) gets no claim about behaviour, only
 * content facts (`same_brand`, `more_in`) and the catalog's own (`price_drop`, `low_stock`).
 */
export const EVIDENCE: Record<CopyKind, Evidence> = {
  /** "Because you viewed X": a model pick whose ranking read X, a product the shopper viewed. */
  viewed: behaviour((r, ctx) => (fromModel(r) ? newestRead(r, ctx, ctx.profile.viewed, ctx.profile.variants.viewed) : undefined)),
  /**
   * "Shoppers who viewed X chose this next": ranked after X, the product on screen, and at least k shoppers
   * of the training data chose this card next after X (the chosen-next table). X is named as its group
   * (`groupTitle`: the table counts shoppers of any size); a group without a usable name gets no such line.
   */
  similar: behaviour((r, ctx) => {
    const title = shoppersChose(r, ctx) ? ctx.groupTitle(ctx.currentItem!) : undefined;
    return title ? { title } : undefined;
  }),
  /**
   * "Goes with X in your cart": the cart row, ranked after X, which is in the cart now, and at least k
   * shoppers of the training data chose this card next after X (the chosen-next table).
   */
  cart: behaviour((r, ctx) => cartRead(r, ctx, (id) => ctx.choseNext(id, keyOfCard(r)))),
  /** "More X, a favourite of yours": the product is in the shopper's favourite category. */
  category: behaviour((r, ctx) => {
    const fav = ctx.profile.favouriteCategory;
    return fav && r.product.product_type === fav ? { category: leaf(fav) } : undefined;
  }),
  /** "Now X, was Y": a sale price below the price. */
  price_drop: (r, ctx) => {
    const p = r.product;
    return p.sale_price !== undefined && p.sale_price < p.price ? { sale_price: money(ctx.locale, p.currency, p.sale_price) } : undefined;
  },
  /** "Only N left": stock at or below the merchant's `lowStock`, and in stock. */
  low_stock: (r, ctx) => {
    const p = r.product;
    return p.stock !== undefined && p.stock > 0 && p.stock <= ctx.lowStock && p.availability !== 'out_of_stock' ? { stock: String(p.stock) } : undefined;
  },
  /** "Trending": from the trending list, with a score that passed `TRENDING_MIN_SCORE`. */
  trending: (r, ctx) => only(r.tier === 'trending' && (ctx.trendingScore(r.product.id) ?? 0) >= TRENDING_MIN_SCORE),
  /** "One of our bestsellers": on the merchant's own bestseller list. */
  bestseller: (r, ctx) => only(r.tier === 'bestseller' && ctx.bestseller(r.product.id)),
  /** "Featured in our shop": the merchant pinned it there. */
  featured: (r) => only(r.tier === 'pinned'),
  /** "You viewed this": the shopper viewed it, the variant the card shows (or the group's own id, a parent page), not another size of it. */
  history: (r, ctx) => only(r.tier === 'history' && viewedShown(r, ctx)),
  /** "Picked for you": a model pick whose ranking read some of the shopper's own history. */
  personal: behaviour((r, ctx) => only(fromModel(r) && ctx.profile.sequence.some((id) => read(r, id)))),
  /**
   * "Same brand as X": a pick ranked from its content alone, whose ranking read X, an item of the shopper's
   * history of the same brand (the catalog's). A content fact, the one kind of reason such a card has.
   */
  same_brand: (r, ctx) => (fromContent(r) ? readAlike(r, ctx, (p) => alikeText(p.brand, r.product.brand)) : undefined),
  /** "More in C": a pick ranked from its content alone, whose ranking read X, an item of the shopper's history in the same category C. */
  more_in: (r, ctx) => {
    // The similar row's category tier: in the category of the product on screen, named as its group.
    if (r.tier === 'category') {
      const here = ctx.currentItem === undefined ? undefined : ctx.product(ctx.currentItem);
      const category = here && sharedCategory(r.product.product_type, here.product_type);
      const title = category && ctx.groupTitle(ctx.currentItem!);
      return category ? { category, ...(title && { title }) } : undefined;
    }
    if (!fromContent(r)) return undefined;
    const alike = readAlike(r, ctx, (p) => alikeText(p.product_type, r.product.product_type));
    return alike && { ...alike, category: leaf(r.product.product_type) };
  },
  /** The product's own catalog facts: no claim, so no evidence needed. */
  neutral: () => ({}),
};

/** Kinds that state catalog or profile facts about the product, beside the card's one claim. */
const FACTS: readonly CopyKind[] = ['category', 'price_drop', 'low_stock'];

/** Kinds that may describe this card, each with the slots its evidence gave: its claims, else the neutral line, then facts. */
function kinds(r: Ranked, ctx: CopyContext): Array<[CopyKind, Slots]> {
  const out: Array<[CopyKind, Slots]> = [];
  for (const kind of COPY_KINDS) {
    if (kind === 'neutral' || FACTS.includes(kind)) continue;
    const slots = EVIDENCE[kind](r, ctx);
    if (slots) out.push([kind, slots]);
  }
  if (out.length === 0) out.push(['neutral', {}]);
  for (const kind of FACTS) {
    const slots = EVIDENCE[kind](r, ctx);
    if (slots) out.push([kind, slots]);
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
  if (lines.length === 0) {
    // Every template applicable was the merchant's and named a slot this card has no value for: the
    // built-in neutral line that names nothing.
    const { locale, list } = templatesFor(ctx.locale, 'neutral', {});
    const i = list.findIndex((t) => !t.includes('{'));
    lines.push({ text: list[i]!, kind: 'neutral', variant: `neutral.${i}`, key: `${locale}|${list[i]}`, slots: {} });
  }
  return lines;
}

/** List formatters per locale, built once (`listOf`). */
const listFormats = new Map<string, Intl.ListFormat | null>();

/**
 * `items` as one phrase in `locale` by its list rules (`Intl.ListFormat`: "A, B, and C", "A, B und C",
 * "A、B和C"): the first `max` named, the rest counted ("A, B, C, and 2 more", `UI` `more`). Where the
 * browser has no `Intl.ListFormat`, joined with commas.
 */
function listOf(locale: string, items: readonly string[], max = 3): string {
  const named = items.length > max ? [...items.slice(0, max), uiCount(locale, 'more', items.length - max)] : [...items];
  let format = listFormats.get(locale);
  if (format === undefined) {
    try {
      format = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
    } catch {
      format = null;
    }
    listFormats.set(locale, format);
  }
  return format ? format.format(named) : named.join(', ');
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

/**
 * A UI string about `n` things (`events`: "1 event", "2 events"): the table's `key.one`, `key.two`, ...
 * by the plural rules (`Intl.PluralRules`) of the language whose table has `key`, else its `key`, with
 * `{n}` written in `locale`'s digits.
 */
export function uiCount(locale: string, key: string, n: number): string {
  const tag = localeChain(locale).find((t) => UI[t]?.[key] !== undefined) ?? 'en';
  const forms = UI[tag]!;
  const form = forms[`${key}.${new Intl.PluralRules(tag).select(n)}`] ?? forms[key] ?? key;
  return fill(form, { n: new Intl.NumberFormat(locale).format(n) }) ?? key;
}

/** The "why this" explanation of a card: the tier it came from and the fact behind it, under the same evidence rules as the lines. */
export function why(r: Ranked, ctx: CopyContext): string {
  let kind: WhyKind = 'neutral';
  let title: string | undefined;
  let category: string | undefined;
  const evidence = (k: CopyKind): Slots | undefined => EVIDENCE[k](r, ctx);
  switch (r.tier) {
    case 'similar':
    case 'personal': {
      if (fromContent(r)) {
        // Ranked from its catalog details alone: said so, with the content fact that ties it to the history.
        const brand = evidence('same_brand');
        const category = brand ? undefined : evidence('more_in');
        [kind, title] = brand ? ['content_brand', brand.title] : category ? ['content_category', category.title] : ['content', undefined];
        break;
      }
      // What the ranking read is true of every model pick; what shoppers chose next only with the table's evidence.
      const cart = cartNames(r, ctx);
      const similar = evidence('similar');
      const last = newestRead(r, ctx, [...ctx.profile.sequence].reverse(), ctx.profile.variants.interest);
      const onScreen = r.tier === 'similar' ? screenRead(r, ctx) : undefined;
      if (similar) [kind, title] = ['similar', similar.title];
      // The same claim about a group whose variants' titles give it no usable name: it names no product.
      else if (shoppersChose(r, ctx)) kind = 'similar_none';
      else if (cart.length > 0) [kind, title] = ['personal_cart', listOf(ctx.locale, cart)];
      // A pick ranked after the product on screen says so (the row's defining input), without a claim about shoppers.
      else if (onScreen) [kind, title] = ['ranked_after', onScreen.title];
      else if (evidence('personal')) [kind, title] = last ? ['personal', last.title] : ['personal_none', undefined];
      break;
    }
    case 'history': {
      const viewed = ctx.profile.variants.viewed.get(keyOfCard(r));
      const other = viewed === undefined ? undefined : ctx.product(viewed);
      if (evidence('history')) kind = 'history';
      // The size viewed is sold out, so the card shows one that can be ordered: said as such.
      else if (other && other.id === viewed && other.availability === 'out_of_stock') [kind, title] = ['history_other', other.title];
      break;
    }
    case 'category': {
      const shared = evidence('more_in');
      if (shared?.title) [kind, title, category] = ['same_category', shared.title, shared.category];
      break;
    }
    case 'trending':
    case 'bestseller':
      if (evidence(r.tier)) kind = r.tier;
      break;
    case 'pinned':
    case 'catalog':
      kind = r.tier;
  }
  const text = fill(table(WHY, ctx.locale, kind), { title, category }) ?? table(WHY, ctx.locale, 'neutral');
  return r.boosted ? `${text} ${table(WHY, ctx.locale, 'boosted')}` : text;
}
