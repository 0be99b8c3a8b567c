/**
 * Card-click attribution: which card (placement, model version, copy variant) a shopper clicked for each
 * product, so that a later add-to-cart or purchase of it is credited to that card, also pages or days
 * later. The rules, as docs/merchant-guide.md documents them:
 * - a click is credited for `ATTRIBUTION_MS` (7 days); a later click on the same product, from any
 *   placement, replaces it (last click wins);
 * - each click is credited at most one add-to-cart and one purchase; the purchase consumes the click;
 * - a purchase counts one `purchase` per attributed product, and its revenue is split over its lines (see
 *   `lineAmounts`); each card key gets its own lines' share, with the number of its products whose lines
 *   carry some of it (the read-out's k-suppression counts these). The order itself counts once, for one key:
 *   the one whose lines carry the largest share of the attributed value (ties: the most recent click),
 *   so orders add up over placements, versions and variants;
 * - an order (`transaction_id`) reported again on this device is not counted again.
 *
 * Variants: a click is kept under the card's variant group key (`core/catalog.ts` `groupKey`) with the ids
 * of every variant of that group and the card's currency, as the catalog gave them at click time, so an
 * add-to-cart or purchase naming another size is matched, and a purchase without a `currency` gets one,
 * without the catalog: the thank-you page may report the purchase before the widget has loaded it.
 *
 * Durability: with storage consent the record lives in `localStorage`, written synchronously in the
 * click handler, so it is on disk before the navigation the click starts can unload the page (an
 * IndexedDB write scheduled then may never run). It is read back on every use, so other tabs' clicks
 * count too. Without storage consent it lives in memory for the page view only. It never leaves the
 * device: only the aggregates it produces do (`analytics-counters.ts`).
 *
 * Two callers, one implementation (`credit`): the engine, for every add-to-cart and purchase it takes
 * in, and the loader, for those still queued when the page is hidden or left before the engine loaded
 * (a thank-you tab closed at once, `queued-credit.ts`). So this module and its imports stay free of the
 * engine's dependencies: the build puts them in one chunk that the loader's credit code and the engine
 * both import (`vite.config.ts`).
 */
import { PLACEMENTS, TOKEN } from '../../core/analytics.ts';
import { isCurrency, toMinor } from '../../core/currency.ts';
import type { ShopEvent } from '../../core/events.ts';
import type { MetricKey, AnalyticsCounters, RevenueShare } from './analytics-counters.ts';

/** How long a card click is credited with the add-to-carts and purchases of its product. */
export const ATTRIBUTION_MS = 7 * 86_400_000;
/** Most clicks kept (the oldest go first) and most order ids remembered. */
const MAX_CLICKS = 100;
const MAX_ORDERS = 50;
/** Most variant ids kept with a click; a larger group's other variants are matched once the catalog has loaded. */
const MAX_VARIANTS = 200;
export const ATTRIBUTION_KEY = 'edge-recs:attribution';

interface Click extends MetricKey {
  at: number;
  /** An add-to-cart was credited to this click already. */
  carted?: boolean;
  /** Ids of the clicked group's other variants (the group key itself is the click's own id). */
  items?: string[];
  /** The card's catalog currency (ISO 4217). */
  currency?: string;
}

/** What the clicked card's catalog says about its group (see `Attributions.click`). */
interface ClickedGroup {
  /** Ids of every variant of the card's group (sizes, colours), e.g. `['JKT-M', 'JKT-L']`. Default: none. */
  items?: readonly string[];
  /** The card's currency, used for a purchase that names none. Default: none. */
  currency?: string;
}

interface Book {
  /** By product id, oldest click first (stored as `[id, click]` pairs: an id is a name from outside). */
  clicks: Map<string, Click>;
  /** Hashes of the `transaction_id`s counted, newest last. */
  orders: string[];
}

/** What a purchase credits: one `purchase` per attributed product, and revenue per card key. */
export interface Credit {
  purchases: MetricKey[];
  /** Per card key, its lines' share of the order (see `RevenueShare`). */
  revenue: Array<{ key: MetricKey } & RevenueShare>;
}

const empty = (): Book => ({ clicks: new Map(), orders: [] });

/** FNV-1a: the order id itself is not kept, only enough to recognise it again (also by `experiment-outcomes.ts`). */
export function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/** A stored click as this version keeps it, or undefined; optional fields that do not parse are left out. */
function validClick(c: unknown): Click | undefined {
  if (typeof c !== 'object' || c === null) return undefined;
  const { placement, modelVersion, variant, at, carted, items, currency } = c as Record<string, unknown>;
  if (!(PLACEMENTS.includes(placement as MetricKey['placement']) && TOKEN.test(String(modelVersion)) && TOKEN.test(String(variant)) && Number.isFinite(at))) return undefined;
  const click: Click = { placement: placement as MetricKey['placement'], modelVersion: String(modelVersion), variant: String(variant), at: at as number };
  if (carted === true) click.carted = true;
  if (Array.isArray(items)) click.items = items.filter((id): id is string => typeof id === 'string').slice(0, MAX_VARIANTS);
  if (isCurrency(currency)) click.currency = currency;
  return click;
}

/** A stored book, with anything unreadable left out (a corrupt entry must not break the page). */
function parseBook(text: string | null): Book {
  const book = empty();
  if (!text) return book;
  try {
    const raw = JSON.parse(text) as { clicks?: unknown; orders?: unknown };
    for (const entry of Array.isArray(raw.clicks) ? raw.clicks : []) {
      const click = Array.isArray(entry) && typeof entry[0] === 'string' ? validClick(entry[1]) : undefined;
      if (click) book.clicks.set(entry[0] as string, click);
    }
    if (Array.isArray(raw.orders)) book.orders = raw.orders.filter((o): o is string => typeof o === 'string').slice(-MAX_ORDERS);
  } catch {
    // Unreadable: start afresh.
  }
  return book;
}

/**
 * Splits a purchase's revenue over its lines, in minor units of `currency`. With a `value` (the order
 * as GA4 reports it, shipping and discounts included) the value is apportioned to the lines by price ×
 * quantity (equally where a line has no price), by largest remainder, so the shares sum to the value
 * exactly. Without one, each line is its price × quantity (undefined where it has no price).
 */
export function lineAmounts(event: ShopEvent, currency: string): Array<number | undefined> {
  const own = event.items.map((item) => (item.price === undefined ? undefined : Math.round(toMinor(item.price, currency) * (item.quantity ?? 1))));
  if (event.value === undefined) return own;
  const total = toMinor(event.value, currency);
  let weights = own.every((w) => w !== undefined) ? (own as number[]) : own.map(() => 1);
  if (!(weights.reduce((a, b) => a + b, 0) > 0)) weights = own.map(() => 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % byRemainder.length, left--) shares[byRemainder[k]![1]]!++;
  return shares;
}

const keyId = (k: MetricKey): string => `${k.placement}|${k.modelVersion}|${k.variant}`;

/**
 * The id a product's click is kept under: the id itself where it was clicked, else the group of the
 * newest click that lists it among its variants; undefined where no click covers it.
 */
function clickedAs(book: Book): (id: string) => string | undefined {
  let variants: Map<string, string> | undefined;
  return (id) => {
    if (book.clicks.has(id)) return id;
    if (!variants) {
      variants = new Map();
      for (const [key, click] of book.clicks) for (const item of click.items ?? []) variants.set(item, key);
    }
    return variants.get(id);
  };
}

/**
 * Counts in `metrics` what an add-to-cart or purchase credits by the rules above (and consumes the
 * clicks and order id it credits in `book`): each clicked product's first add-to-cart, and a purchase's
 * `purchase` counters and revenue. `currencyOf` gives a product's catalog currency where the catalog has
 * loaded; without it a purchase that names no currency is priced in the clicked card's. Other events
 * credit nothing.
 * @returns the revenue sums the batch could not carry (not counted), for a development warning.
 */
export function credit(
  event: ShopEvent,
  book: Attributions,
  metrics: AnalyticsCounters,
  currencyOf: (itemId: string) => string | undefined = () => undefined,
): Array<{ currency: string; amount: number }> {
  const refused: Array<{ currency: string; amount: number }> = [];
  if (event.name === 'add_to_cart') {
    for (const key of book.addToCart(event)) metrics.count(key, 'add_to_cart');
  } else if (event.name === 'purchase') {
    const { purchases, revenue } = book.purchase(event, currencyOf);
    for (const key of purchases) metrics.count(key, 'purchase');
    for (const { key, ...share } of revenue) if (!metrics.revenue(key, share)) refused.push({ currency: share.currency, amount: share.amount });
  }
  return refused;
}

/** The attribution record: `localStorage` with storage consent, else memory for the page view. */
export class Attributions {
  private memory: Book = empty();
  /** False once `localStorage` failed on this page (disabled, full): the page's copy is used from then on. */
  private storable = true;

  constructor(
    private persistent: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A card of `itemId` (its variant group key) was clicked: credited to `key` from now on, replacing an
   * earlier click on it. `group` lists the group's variants and the card's currency, so that an event
   * naming a variant is matched, and a purchase without a currency priced, while the catalog is not loaded.
   */
  click(itemId: string, key: MetricKey, group: ClickedGroup = {}): void {
    const click: Click = { placement: key.placement, modelVersion: key.modelVersion, variant: key.variant, at: this.now() };
    const items = [...new Set(group.items ?? [])].filter((id) => id !== itemId).slice(0, MAX_VARIANTS);
    if (items.length > 0) click.items = items;
    if (isCurrency(group.currency)) click.currency = group.currency;
    this.update((book) => {
      book.clicks.delete(itemId);
      book.clicks.set(itemId, click);
    });
  }

  /** The keys an add-to-cart credits: each clicked product's first add-to-cart since its click. */
  addToCart(event: ShopEvent): MetricKey[] {
    const keys: MetricKey[] = [];
    this.update((book) => {
      const clicked = clickedAs(book);
      for (const { item_id } of event.items) {
        const id = clicked(item_id);
        const click = id === undefined ? undefined : book.clicks.get(id);
        if (!click || click.carted) continue;
        click.carted = true;
        keys.push(this.key(click));
      }
    });
    return keys;
  }

  /**
   * What a purchase credits, consuming the clicks it credits. Where the event names no currency, the
   * catalog's is used: `currencyOf` (a product's catalog currency), else the one its card had when clicked.
   */
  purchase(event: ShopEvent, currencyOf: (itemId: string) => string | undefined): Credit {
    const credit: Credit = { purchases: [], revenue: [] };
    this.update((book) => {
      const order = event.transaction_id === undefined ? undefined : hash(event.transaction_id);
      if (order !== undefined && book.orders.includes(order)) return;
      const clicked = clickedAs(book);
      // Lines are matched to clicks by their group: two sizes of one clicked jacket are one attributed product.
      const idOfLine = event.items.map((item) => clicked(item.item_id));
      const keyOfLine = idOfLine.map((id) => (id === undefined ? undefined : book.clicks.get(id)));
      const attributed = new Map<string, Click>();
      for (const [i, click] of keyOfLine.entries()) {
        const id = idOfLine[i]!;
        if (!click || attributed.has(id)) continue;
        attributed.set(id, click);
        credit.purchases.push(this.key(click));
      }
      if (attributed.size === 0) return;
      for (const id of attributed.keys()) book.clicks.delete(id);
      if (order !== undefined) book.orders = [...book.orders, order].slice(-MAX_ORDERS);
      const [first, firstClick] = [...attributed][0]!;
      const currency = event.currency ?? currencyOf(first) ?? firstClick.currency;
      if (currency === undefined) return;
      let amounts: Array<number | undefined>;
      try {
        amounts = lineAmounts(event, currency);
      } catch {
        return; // a catalog currency this table does not know: no revenue rather than a wrong one
      }
      const byKey = new Map<string, { key: MetricKey; currency: string; amount: number; orders: 0 | 1; latest: number; priced: Set<string> }>();
      for (const [i, click] of keyOfLine.entries()) {
        const amount = amounts[i];
        if (!click || amount === undefined) continue;
        const id = keyId(click);
        const entry = byKey.get(id) ?? byKey.set(id, { key: this.key(click), currency, amount: 0, orders: 0, latest: click.at, priced: new Set() }).get(id)!;
        entry.amount += amount;
        entry.latest = Math.max(entry.latest, click.at);
        // A product counts once however many of its lines (sizes) the order holds, and only if they add something.
        if (amount > 0) entry.priced.add(idOfLine[i]!);
      }
      const entries = [...byKey.values()];
      if (entries.length === 0) return;
      // One order, one key: the largest share of the attributed value, then the most recent click, then the first line.
      entries.reduce((best, e) => (e.amount > best.amount || (e.amount === best.amount && e.latest > best.latest) ? e : best)).orders = 1;
      credit.revenue = entries
        .filter((e) => e.orders === 1 || e.amount > 0)
        .map(({ key, amount, orders, priced }) => ({ key, currency, amount, orders, purchases: priced.size }));
    });
    return credit;
  }

  /**
   * Storage consent changed. Granted: what this page holds is written to `localStorage`. Withdrawn (or
   * `erase`, a Consent Mode withdrawal on a page that never stored): the stored record is erased and the
   * page continues with its copy in memory.
   */
  setPersistent(on: boolean, erase = false): void {
    if (on === this.persistent) {
      if (!on && erase) remove();
      return;
    }
    if (on) {
      this.persistent = true;
      const page = this.memory;
      this.update((stored) => {
        for (const [id, c] of page.clicks) if ((stored.clicks.get(id)?.at ?? -Infinity) < c.at) stored.clicks.set(id, c);
        stored.orders = [...new Set([...stored.orders, ...page.orders])].slice(-MAX_ORDERS);
      });
    } else {
      this.memory = this.read();
      this.persistent = false;
      remove();
    }
  }

  /** Erases every click and order id, stored and in memory (`forget()`). */
  clear(): void {
    this.memory = empty();
    remove();
  }

  private key(click: Click): MetricKey {
    return { placement: click.placement, modelVersion: click.modelVersion, variant: click.variant };
  }

  /**
   * Read, drop expired clicks, change, keep the newest `MAX_CLICKS` and write back, in one synchronous
   * step: the change is durable when this returns.
   */
  private update(change: (book: Book) => void): void {
    const book = this.read();
    const now = this.now();
    // A click from the future (the clock was turned back) is kept no longer than one from now.
    book.clicks = new Map([...book.clicks].filter(([, c]) => c.at >= now - ATTRIBUTION_MS && c.at <= now + ATTRIBUTION_MS));
    change(book);
    book.clicks = new Map([...book.clicks].sort((a, b) => a[1].at - b[1].at).slice(-MAX_CLICKS));
    this.write(book);
  }

  private read(): Book {
    if (this.persistent && this.storable) {
      try {
        return parseBook(localStorage.getItem(ATTRIBUTION_KEY));
      } catch {
        this.storable = false;
      }
    }
    return { clicks: new Map(this.memory.clicks), orders: [...this.memory.orders] };
  }

  private write(book: Book): void {
    this.memory = book;
    if (!this.persistent || !this.storable) return;
    try {
      localStorage.setItem(ATTRIBUTION_KEY, JSON.stringify({ clicks: [...book.clicks], orders: book.orders }));
    } catch {
      // Disabled or full: this page carries on with its own copy in memory.
      this.storable = false;
    }
  }
}

function remove(): void {
  try {
    localStorage.removeItem(ATTRIBUTION_KEY);
  } catch {
    // Nothing can have been kept.
  }
}
