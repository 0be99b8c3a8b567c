/**
 * Ranking as pure functions: from candidate lists (the model's, the server's aggregates, the catalog's
 * order) and the merchant's rules to the cards of one row. Deterministic: the same inputs give the same
 * row, and ties keep list order, so a row never reshuffles on its own.
 *
 * Variants are ranked as their group (`core/catalog.ts` `groupKey`): the catalog holds one product per
 * group, the one its card shows, and ids in lists, exclusions, pins and boosts are read as their group.
 */
import { groupKey, type Product } from '../../core/catalog.ts';
import type { Boost, RuleSet } from './merchant.ts';

/**
 * Where a card came from, in fallback order:
 * - `personal`: the model, after the shopper's history (`cart`: after the cart's contents);
 * - `similar`: the model, after the product on screen alone;
 * - `trending`, `bestseller`: the edge server's aggregate lists (`GET /v1/popular`);
 * - `catalog`: the catalog's own order (merchants list bestsellers first);
 * - `history`: the shopper's own viewed items (`recently-viewed`);
 * - `pinned`: a merchant `pin` rule.
 */
export type Tier = 'personal' | 'similar' | 'category' | 'trending' | 'bestseller' | 'catalog' | 'history' | 'pinned';

interface Candidate {
  id: string;
  /** Higher is better; only the order within one list matters. */
  score: number;
  /** The model ranked it from its content features alone (no id row: new since training, or held out). */
  fromContent?: boolean;
}

export interface CandidateList {
  tier: Tier;
  items: readonly Candidate[];
  /**
   * For the model's lists: the items its ranking really read, oldest first (the history's items the model
   * knows, at most its window). Copy may name only these as the reason for a card (`copy/copy.ts`).
   */
  basis?: readonly string[];
}

export interface Ranked {
  product: Product;
  tier: Tier;
  /** A boost rule with `by` > 0 matched it. */
  boosted: boolean;
  /** The `basis` of the list it came from. */
  basis?: readonly string[];
  /**
   * The model ranked it from its content features alone (`Runtime.recommend`): nothing shoppers did with
   * it is known to the model, so its copy states only content facts (`copy/copy.ts`).
   */
  fromContent?: true;
}

export interface RankInput {
  count: number;
  /** One product per group key (the variant its card shows), in catalog order. */
  catalog: ReadonlyMap<string, Product>;
  /** Group keys that must not be shown: purchased, in the cart, on screen. Out-of-stock products are dropped anyway. */
  exclude: ReadonlySet<string>;
  /** Candidate lists in fallback order; the catalog's order is appended as the last resort. */
  lists: readonly CandidateList[];
  rules: RuleSet;
  /**
   * The group key of an id in a candidate list, a pin or a boost rule (a variant's id, or a key itself);
   * undefined for an id the catalog does not hold. Default: ids are keys (a catalog without variants).
   */
  keyOf?: (id: string) => string | undefined;
}

const norm = (s: string): string => s.trim().toLowerCase();

/** Whether `product_type` is `category` or under it (`Beauty` matches `Beauty > Hair`). Case-insensitive. */
export function inCategory(productType: string, category: string): boolean {
  const p = norm(productType).replace(/\s*>\s*/g, ' > ');
  const c = norm(category).replace(/\s*>\s*/g, ' > ');
  return p === c || p.startsWith(`${c} > `);
}

/** Whether rules and stock allow `product` to be shown at all (exclusions are hard: never relaxed). */
export function allowed(product: Product, rules: RuleSet, exclude: ReadonlySet<string>): boolean {
  if (product.availability === 'out_of_stock' || exclude.has(groupKey(product))) return false;
  if (rules.exclude?.some((c) => inCategory(product.product_type, c))) return false;
  if (rules.include && rules.include.length > 0 && !rules.include.some((c) => inCategory(product.product_type, c))) return false;
  return true;
}

const same = (id: string): string => id;

function boostMatches(b: Boost, p: Product, keyOf: (id: string) => string | undefined): boolean {
  if (b.category !== undefined && !inCategory(p.product_type, b.category)) return false;
  if (b.brand !== undefined && norm(p.brand ?? '') !== norm(b.brand)) return false;
  // Any variant's id names the group: a boost on one size lifts the card of the jacket.
  if (b.ids !== undefined && !b.ids.some((id) => id === p.id || keyOf(id) === groupKey(p))) return false;
  return true;
}

/** Sum of the `by` of every boost rule matching `p` (`keyOf`: as in `RankInput`). */
function boostOf(p: Product, boosts: readonly Boost[] | undefined, keyOf: (id: string) => string | undefined = same): number {
  let by = 0;
  for (const b of boosts ?? []) if (boostMatches(b, p, keyOf)) by += b.by;
  return by;
}

/**
 * The row: candidates in fallback-chain order (each list a tier; within a tier by relevance normalised to
 * 0..1 plus the merchant's boost), each product once, at most `maxPerCategory` per `product_type` unless
 * the row cannot be filled otherwise, pinned products at their positions, cut to `count`. Empty only when
 * no product in the catalog may be shown.
 */
export function rank(input: RankInput): Ranked[] {
  const { count, catalog, exclude, rules } = input;
  const keyOf = input.keyOf ?? same;
  if (count <= 0) return [];
  const pins = [...(rules.pin ?? [])].sort((a, b) => a.position - b.position).map((pin) => ({ key: keyOf(pin.id), position: pin.position }));
  const pinned = new Set(pins.map((p) => p.key));
  const seen = new Set<string>();
  const ordered: Ranked[] = [];
  /** Enough candidates for a diverse row: stop walking the (long) catalog tier there. */
  const enough = count * 8;
  for (const list of input.lists) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const { score } of list.items) {
      if (!Number.isFinite(score)) continue;
      lo = Math.min(lo, score);
      hi = Math.max(hi, score);
    }
    const span = hi - lo;
    const tier: Array<{ r: Ranked; key: number; at: number }> = [];
    list.items.forEach((c, at) => {
      // Two variants of one group in a list (the server's lists count variants): the first stands for it.
      const key = keyOf(c.id);
      if (key === undefined || seen.has(key) || pinned.has(key)) return;
      const product = catalog.get(key);
      if (!product || !allowed(product, rules, exclude)) return;
      seen.add(key);
      const by = boostOf(product, rules.boost, keyOf);
      // Equal scores (or one candidate) normalise to 1: the boost alone then decides among them.
      const relevance = span > 0 && Number.isFinite(c.score) ? (c.score - lo) / span : 1;
      // A hair over 1 so that `by: 1` beats the tier's best unboosted product rather than tying with it.
      const r: Ranked = { product, tier: list.tier, boosted: by > 0 };
      if (list.basis) r.basis = list.basis;
      if (c.fromContent) r.fromContent = true;
      tier.push({ r, key: relevance + by * 1.001, at });
    });
    tier.sort((a, b) => b.key - a.key || a.at - b.at);
    for (const t of tier) ordered.push(t.r);
  }
  if (ordered.length < enough) {
    // The catalog's own order, last resort. Boosts reorder what is taken from it; walking stops early
    // (a 12k catalog is mostly never looked at), so a boost reaches the first `enough` eligible products.
    const tier: Array<{ r: Ranked; key: number; at: number }> = [];
    let at = 0;
    for (const [key, product] of catalog) {
      if (ordered.length + tier.length >= enough) break;
      at++;
      if (seen.has(key) || pinned.has(key) || !allowed(product, rules, exclude)) continue;
      const by = boostOf(product, rules.boost, keyOf);
      tier.push({ r: { product, tier: 'catalog', boosted: by > 0 }, key: 1 - at / catalog.size + by * 1.001, at });
    }
    tier.sort((a, b) => b.key - a.key || a.at - b.at);
    for (const t of tier) ordered.push(t.r);
  }

  const max = rules.maxPerCategory ?? 3;
  let row: Ranked[] = ordered;
  if (max > 0) {
    const perCategory = new Map<string, number>();
    const diverse: Ranked[] = [];
    const skipped: Ranked[] = [];
    for (const r of ordered) {
      if (diverse.length >= count) break;
      const c = perCategory.get(r.product.product_type) ?? 0;
      if (c >= max) skipped.push(r);
      else {
        perCategory.set(r.product.product_type, c + 1);
        diverse.push(r);
      }
    }
    // Never empty because of diversity: fill with the best of what it held back, in their tier order.
    row = [...diverse, ...skipped.slice(0, Math.max(0, count - diverse.length))];
  }
  row = row.slice(0, count);

  for (const pin of pins) {
    const product = pin.key === undefined ? undefined : catalog.get(pin.key);
    if (!product || !allowed(product, rules, exclude) || row.some((r) => groupKey(r.product) === pin.key)) continue;
    row.splice(Math.min(pin.position - 1, row.length), 0, { product, tier: 'pinned', boosted: false });
  }
  return row.slice(0, count);
}
