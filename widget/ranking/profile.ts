import { groupEvents, type Product } from '../../core/catalog.ts';
import { INTEREST_EVENTS, interestSequence, type EventName, type ShopEvent } from '../../core/events.ts';

/**
 * Shopper segments, from the event log alone: `new` (nothing stored), `browsing` (views only), `engaged`
 * (views on at least 3 distinct days), `cart` (something in the cart now), `buyer` (one purchase),
 * `repeat-buyer` (purchases on two or more days). Shown in the profile panel; never sent anywhere.
 */
const SEGMENTS = ['new', 'browsing', 'engaged', 'cart', 'buyer', 'repeat-buyer'] as const;
export type Segment = (typeof SEGMENTS)[number];

/** What the on-device event log says about the shopper now. */
export interface Profile {
  /** Items of interest in time order: the model's input. */
  sequence: string[];
  /** Items in the cart now, in the order they were first added. */
  cart: string[];
  purchased: Set<string>;
  /** Items the shopper viewed (`view_item`), most recent first, each once: the `recently-viewed` row. */
  viewed: string[];
  /**
   * Which variant the shopper really had of each item above (by its group key), for copy that names it:
   * "Because you viewed Jacket, size L" after a view of size L, although the jacket's card shows size M.
   * Each is the newest variant of the group in that kind of event: `viewed` in a `view_item`, `added` in an
   * `add_to_cart`, `interest` in any interest event (the `sequence`'s), `latest` in a view, an add-to-cart
   * or a purchase (not a `select_item`, which names what a list showed): the size a card of the group
   * shows this shopper where it can be ordered. An item without variants maps to itself.
   */
  variants: { viewed: Map<string, string>; added: Map<string, string>; interest: Map<string, string>; latest: Map<string, string> };
  /**
   * Category affinities, strongest first: the shopper's interest events per category (`product_type`
   * from the catalog, else the event's `item_category`), weighted by kind (purchase 3, add to cart 2,
   * view or select 1) and halved every 14 days, normalised to sum to 1.
   */
  categories: Array<{ category: string; weight: number }>;
  /** The strongest category, when it holds at least a quarter of the weight and two events. */
  favouriteCategory?: string;
  /** Prices (sale price where on sale) of items of interest: lowest, median and highest. */
  priceBand?: { low: number; median: number; high: number };
  /** Time of the newest event (ms since the epoch), for recency. */
  lastSeen?: number;
  /** Distinct days with at least one event: frequency. */
  activeDays: number;
  /** Events in the log. */
  eventCount: number;
  segment: Segment;
}

const WEIGHT: Partial<Record<EventName, number>> = { view_item: 1, select_item: 1, add_to_cart: 2, purchase: 3 };
const HALF_LIFE_MS = 14 * 86_400_000;

/**
 * Derives the profile from the event log. The cart counts units: GA4 reports a partial removal
 * (quantity 2 -> 1) as `remove_from_cart` with the quantity removed, so an item stays in the cart until
 * its count reaches zero; a removal without a quantity removes the item. A purchase empties the cart of
 * what was bought. `product` looks items up in the catalog (categories and prices come from there when
 * it knows the item, since the catalog is the source of truth). `keyOf` is the item an event's id counts
 * for (the engine's `itemKey`: a size counts for its variant group); the variants themselves are kept in
 * `variants`. Default: every id is its own item.
 */
export function deriveProfile(
  events: readonly ShopEvent[],
  product: (id: string) => Product | undefined = () => undefined,
  now = Date.now(),
  keyOf: (id: string) => string = (id) => id,
): Profile {
  const units = new Map<string, number>();
  const purchased = new Set<string>();
  // Re-inserting moves an item to the end, so iteration order is "least recently viewed first".
  const viewed = new Set<string>();
  const variants: Profile['variants'] = { viewed: new Map(), added: new Map(), interest: new Map(), latest: new Map() };
  const affinity = new Map<string, { weight: number; events: number }>();
  const prices: number[] = [];
  const days = new Set<number>();
  const purchaseDays = new Set<number>();
  const viewDays = new Set<number>();
  const sorted = [...events].sort((a, b) => a.ts - b.ts);
  for (const e of sorted) {
    const day = Math.floor(e.ts / 86_400_000);
    days.add(day);
    if (e.name === 'purchase') purchaseDays.add(day);
    if (e.name === 'view_item') viewDays.add(day);
    for (const { item_id: variant, quantity, item_category, price } of e.items) {
      const id = keyOf(variant);
      if (e.name === 'view_item') {
        viewed.delete(id);
        viewed.add(id);
        variants.viewed.set(id, variant);
      }
      if (e.name === 'add_to_cart') variants.added.set(id, variant);
      if (INTEREST_EVENTS.includes(e.name)) variants.interest.set(id, variant);
      if (e.name === 'view_item' || e.name === 'add_to_cart' || e.name === 'purchase') variants.latest.set(id, variant);
      const have = units.get(id) ?? 0;
      if (e.name === 'add_to_cart') units.set(id, have + (quantity ?? 1));
      if (e.name === 'remove_from_cart') units.set(id, quantity === undefined ? 0 : Math.max(0, have - quantity));
      if (e.name === 'purchase') {
        purchased.add(id);
        units.delete(id);
      }
      if (units.get(id) === 0) units.delete(id);
      const weight = WEIGHT[e.name];
      if (weight === undefined) continue;
      const known = product(id);
      const category = known?.product_type ?? item_category;
      if (category) {
        const a = affinity.get(category) ?? { weight: 0, events: 0 };
        // Floored so a very old log still has weights to compare (and to normalise) rather than zeros.
        a.weight += weight * Math.max(1e-9, 0.5 ** (Math.max(0, now - e.ts) / HALF_LIFE_MS));
        a.events++;
        affinity.set(category, a);
      }
      const paid = known ? (known.sale_price ?? known.price) : price;
      if (paid !== undefined) prices.push(paid);
    }
  }
  const total = [...affinity.values()].reduce((s, a) => s + a.weight, 0);
  const categories = [...affinity.entries()]
    .map(([category, a]) => ({ category, weight: total > 0 ? a.weight / total : 0, events: a.events }))
    .sort((a, b) => b.weight - a.weight || a.category.localeCompare(b.category));
  const top = categories[0];
  prices.sort((a, b) => a - b);
  const cart = [...units.keys()];
  const profile: Profile = {
    sequence: interestSequence(groupEvents(events, keyOf)),
    cart,
    purchased,
    viewed: [...viewed].reverse(),
    variants,
    categories: categories.map(({ category, weight }) => ({ category, weight })),
    activeDays: days.size,
    eventCount: events.length,
    segment:
      purchaseDays.size >= 2 ? 'repeat-buyer'
      : purchased.size > 0 ? 'buyer'
      : cart.length > 0 ? 'cart'
      : viewDays.size >= 3 ? 'engaged'
      : events.length > 0 ? 'browsing'
      : 'new',
  };
  if (top && top.weight >= 0.25 && top.events >= 2) profile.favouriteCategory = top.category;
  if (prices.length > 0) profile.priceBand = { low: prices[0]!, median: prices[Math.floor((prices.length - 1) / 2)]!, high: prices.at(-1)! };
  if (sorted.length > 0) profile.lastSeen = sorted.at(-1)!.ts;
  return profile;
}
