/**
 * What each placement asks for before `ranking.ts` ranks it: which histories the model ranks after (and
 * which tier its picks get), which fallback lists follow, and `recently-viewed`, which ranks nothing.
 */
import { TRENDING_MIN_SCORE, type Placement, type Popular } from '../../core/analytics.ts';
import type { Product } from '../../core/catalog.ts';
import { cardFor, type CardCatalog } from './card-catalog.ts';
import type { RuleSet } from './merchant.ts';
import type { ModelItems } from './model-items.ts';
import type { Profile } from './profile.ts';
import type { Runtime } from '../runtime/index.ts';
import { allowed, inCategory, rank, type CandidateList, type Ranked, type Tier } from './ranking.ts';


/** One ask of the model: the shopper's history (group keys, oldest first) and the tier its picks get. */
interface ModelAsk {
  tier: Tier;
  history: string[];
}

/** The product on screen as the seed of a `similar` list, after a placement's own lists. */
const besideOnScreen = (itemId: string | undefined): ModelAsk[] => (itemId ? [{ tier: 'similar', history: [itemId] }] : []);

/** Per placement, what the model is asked, in the order its lists go to ranking. */
const MODEL_ASKS: Record<Placement, (profile: Profile, itemId: string | undefined) => ModelAsk[]> = {
  'for-you': (profile, itemId) => [{ tier: 'personal', history: profile.sequence }, ...besideOnScreen(itemId)],
  similar: (profile, itemId) => [itemId ? { tier: 'similar', history: [...profile.sequence, itemId] } : { tier: 'personal', history: profile.sequence }],
  cart: (profile, itemId) => [{ tier: 'personal', history: [...profile.sequence.filter((id) => !profile.cart.includes(id)), ...profile.cart] }, ...besideOnScreen(itemId)],
  // The server's aggregates only: a trending row that the model ranked would not be trending.
  trending: () => [],
  // Ranks nothing (see `recentlyViewed`).
  'recently-viewed': () => [],
};

interface PlacementInput {
  placement: Placement;
  count: number;
  profile: Profile;
  rules: RuleSet;
  /** The product on screen, as its variant group's key. */
  itemId: string | undefined;
  /** Group keys no card may show: bought, in the cart, out of stock, on screen. */
  exclude: ReadonlySet<string>;
  catalog: Pick<CardCatalog, 'products' | 'cards' | 'key'>;
  popular: Popular;
  /** The model, once it runs (`heavy-work.ts`); none: the fallback chain. */
  model: Pick<Runtime, 'basis' | 'recommend'> | undefined;
  /** The model's ids for variant groups (built on first use). */
  modelItems: () => ModelItems;
  /**
   * Whether a `similar` row takes the product on screen's category before the shop's lists: not an
   * experiment's control row, whose promise is the merchant's own fallback (bestsellers, then catalog order).
   */
  byCategory: boolean;
  warn: (message: string) => void;
}

/** The rows of one placement, before copy. Never random. */
export async function placementRows(input: PlacementInput): Promise<Ranked[]> {
  if (input.placement === 'recently-viewed') return recentlyViewed(input);
  const { count, profile, rules, catalog, model } = input;
  const lists: CandidateList[] = [];
  if (model) {
    // More candidates than cards: rules and diversity drop some.
    const k = count * 4 + (rules.pin?.length ?? 0);
    // The model's picks leave out what the shopper already looked at (as the published evaluation
    // protocol does); `recently-viewed` is the row for those, and the fallback tiers may still show them.
    const unseen = new Set([...input.exclude, ...profile.sequence]);
    for (const { tier, history } of MODEL_ASKS[input.placement](profile, input.itemId)) {
      // A history of products the model never saw tells it nothing: no list, rather than one that
      // looks personal (or "similar" to the product on screen) and is not.
      // Asked in the model's ids: a model of variant ids reads a group as a variant it knows.
      const items = input.modelItems();
      const asked = history.map(items.input);
      const basis = model.basis(asked).map(catalog.key);
      if (basis.length === 0) continue;
      try {
        lists.push({ tier, items: await model.recommend(asked, k, new Set([...unseen].flatMap(items.ids))), basis });
      } catch (e) {
        if (__EDGE_RECS_DEV__) input.warn(`ranking failed, using the fallback chain: ${String(e)}`);
      }
    }
  }
  // A product page's similar row: the product's own category next, a fact of the catalog that needs no
  // model (a first visit, or picks the rules removed) and beats the shop's overall lists for that row.
  if (input.byCategory && input.placement === 'similar' && input.itemId !== undefined) lists.push({ tier: 'category', items: sameCategory(catalog, input.itemId) });
  // Trending only where the counts are evidence (`TRENDING_MIN_SCORE`); the rest is not ranked as trending.
  const trending = input.popular.trending.filter((t) => t.score >= TRENDING_MIN_SCORE);
  lists.push({ tier: 'trending', items: trending }, { tier: 'bestseller', items: input.popular.bestsellers });
  // Ranked by group; each card then shows the size the shopper last viewed, added or bought, where it can be ordered.
  return rank({ count, catalog: catalog.cards, exclude: input.exclude, lists, rules, keyOf: catalog.key }).map((r) => {
    const key = catalog.key(r.product.id);
    const product = cardFor(catalog, key, profile.variants.latest.get(key)) ?? r.product;
    return product === r.product ? r : { ...r, product };
  });
}

/**
 * Per catalog (its `cards`, built once): the group keys by category path as spelled, each with its place in
 * the catalog, and `sameCategory`'s answers per product on screen (a row re-ranks on every event).
 */
const categoryIndex = new WeakMap<object, { types: Map<string, Array<[key: string, at: number]>>; lists: Map<string, Array<{ id: string; score: number }>> }>();

/**
 * The catalog's products in the category of `itemId` (a group key): its whole category path first, then
 * the rest of its parent category, each in catalog order. Empty for a product without a category.
 * Compares each distinct category path once, not each product: a 12k catalog has a few hundred.
 */
function sameCategory(catalog: Pick<CardCatalog, 'products' | 'cards'>, itemId: string): Array<{ id: string; score: number }> {
  let index = categoryIndex.get(catalog.cards);
  if (!index) {
    const types = new Map<string, Array<[key: string, at: number]>>();
    let at = 0;
    for (const [key, p] of catalog.cards) {
      const list = types.get(p.product_type);
      if (list) list.push([key, at++]);
      else types.set(p.product_type, [[key, at++]]);
    }
    categoryIndex.set(catalog.cards, (index = { types, lists: new Map() }));
  }
  const { types, lists } = index;
  const kept = lists.get(itemId);
  if (kept) return kept;
  const path = (catalog.cards.get(itemId) ?? catalog.products.get(itemId))?.product_type ?? '';
  const parent = path.split('>').slice(0, -1).join('>');
  const found: Array<{ id: string; score: number; at: number }> = [];
  if (path.trim() !== '') {
    for (const [type, keys] of types) {
      const score = inCategory(type, path) ? 2 : parent.trim() !== '' && inCategory(type, parent) ? 1 : 0;
      if (score > 0) for (const [key, at] of keys) if (key !== itemId) found.push({ id: key, score, at });
    }
  }
  const items = found.sort((a, b) => b.score - a.score || a.at - b.at).map(({ id, score }) => ({ id, score }));
  if (lists.size >= 64) lists.clear();
  lists.set(itemId, items);
  return items;
}

/**
 * Only what the shopper really viewed: filling up with other products would make the row lie. Like every
 * row, never what was bought, is in the cart, is out of stock or is on screen (`exclude`).
 */
function recentlyViewed({ count, profile, rules, catalog, exclude }: PlacementInput): Ranked[] {
  const rows: Ranked[] = [];
  for (const id of profile.viewed) {
    // The size the shopper viewed, where it can be ordered; else the group's card (copy then says no "You viewed this").
    const product: Product | undefined = cardFor(catalog, id, profile.variants.viewed.get(id));
    if (product && !exclude.has(id) && allowed(product, { include: rules.include, exclude: rules.exclude }, new Set())) rows.push({ product, tier: 'history', boosted: false });
    if (rows.length >= count) break;
  }
  return rows;
}
