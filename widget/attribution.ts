/**
 * Card-click attribution: which card (placement, model version, copy variant) a shopper clicked for each
 * product, so that a later add-to-cart or purchase of it is credited to that card, also pages or days
 * later. The rules, as the README documents them:
 * - a click is credited for `ATTRIBUTION_MS` (7 days); a later click on the same product, from any
 *   placement, replaces it (last click wins);
 * - each click is credited at most one add-to-cart and one purchase; the purchase consumes the click;
 * - a purchase counts one `purchase` per attributed product and one order per card key it credits, and
 *   its revenue is split over its lines (see `lineAmounts`); each key gets its own lines' share;
 * - an order (`transaction_id`) reported again on this device is not counted again.
 *
 * Durability: with storage consent the record lives in `localStorage`, written synchronously in the
 * click handler, so it is on disk before the navigation the click starts can unload the page (an
 * IndexedDB write scheduled then may never run). It is read back on every use, so other tabs' clicks
 * count too. Without storage consent it lives in memory for the page view only. It never leaves the
 * device: only the aggregates it produces do (`metrics.ts`).
 */
import { PLACEMENTS, TOKEN } from '../core/analytics.ts';
import { toMinor } from '../core/currency.ts';
import type { ShopEvent } from '../core/events.ts';
import type { MetricKey } from './metrics.ts';

/** How long a card click is credited with the add-to-carts and purchases of its product. */
export const ATTRIBUTION_MS = 7 * 86_400_000;
/** Most clicks kept (the oldest go first) and most order ids remembered. */
const MAX_CLICKS = 100;
const MAX_ORDERS = 50;
export const ATTRIBUTION_KEY = 'edge-recs:attribution';

interface Click extends MetricKey {
  at: number;
  /** An add-to-cart was credited to this click already. */
  carted?: boolean;
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
  revenue: Array<{ key: MetricKey; currency: string; amount: number }>;
}

const empty = (): Book => ({ clicks: new Map(), orders: [] });

/** FNV-1a: the order id itself is not kept, only enough to recognise it again. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

function validClick(c: unknown): c is Click {
  if (typeof c !== 'object' || c === null) return false;
  const { placement, modelVersion, variant, at } = c as Record<string, unknown>;
  return PLACEMENTS.includes(placement as MetricKey['placement']) && TOKEN.test(String(modelVersion)) && TOKEN.test(String(variant)) && Number.isFinite(at);
}

/** A stored book, with anything unreadable left out (a corrupt entry must not break the page). */
function parseBook(text: string | null): Book {
  const book = empty();
  if (!text) return book;
  try {
    const raw = JSON.parse(text) as { clicks?: unknown; orders?: unknown };
    for (const entry of Array.isArray(raw.clicks) ? raw.clicks : []) {
      if (Array.isArray(entry) && typeof entry[0] === 'string' && validClick(entry[1])) book.clicks.set(entry[0], entry[1]);
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

/** The attribution record: `localStorage` with storage consent, else memory for the page view. */
export class Attributions {
  private memory: Book = empty();
  /** False once `localStorage` failed on this page (disabled, full): the page's copy is used from then on. */
  private storable = true;

  constructor(
    private persistent: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** A card of `itemId` was clicked: credited to `key` from now on, replacing an earlier click on it. */
  click(itemId: string, key: MetricKey): void {
    this.update((book) => {
      book.clicks.delete(itemId);
      book.clicks.set(itemId, { placement: key.placement, modelVersion: key.modelVersion, variant: key.variant, at: this.now() });
    });
  }

  /** The keys an add-to-cart credits: each clicked product's first add-to-cart since its click. */
  addToCart(event: ShopEvent): MetricKey[] {
    const keys: MetricKey[] = [];
    this.update((book) => {
      for (const { item_id } of event.items) {
        const click = book.clicks.get(item_id);
        if (!click || click.carted) continue;
        click.carted = true;
        keys.push(this.key(click));
      }
    });
    return keys;
  }

  /**
   * What a purchase credits, consuming the clicks it credits. `currencyOf` gives a product's catalog
   * currency, used when the event names none.
   */
  purchase(event: ShopEvent, currencyOf: (itemId: string) => string | undefined): Credit {
    const credit: Credit = { purchases: [], revenue: [] };
    this.update((book) => {
      const order = event.transaction_id === undefined ? undefined : hash(event.transaction_id);
      if (order !== undefined && book.orders.includes(order)) return;
      const keyOfLine = event.items.map((item) => book.clicks.get(item.item_id));
      const attributed = new Set<string>();
      for (const [i, click] of keyOfLine.entries()) {
        const id = event.items[i]!.item_id;
        if (!click || attributed.has(id)) continue;
        attributed.add(id);
        credit.purchases.push(this.key(click));
      }
      if (attributed.size === 0) return;
      for (const id of attributed) book.clicks.delete(id);
      if (order !== undefined) book.orders = [...book.orders, order].slice(-MAX_ORDERS);
      const currency = event.currency ?? currencyOf([...attributed][0]!);
      if (currency === undefined) return;
      let amounts: Array<number | undefined>;
      try {
        amounts = lineAmounts(event, currency);
      } catch {
        return; // a catalog currency this table does not know: no revenue rather than a wrong one
      }
      const byKey = new Map<string, { key: MetricKey; currency: string; amount: number }>();
      for (const [i, click] of keyOfLine.entries()) {
        const amount = amounts[i];
        if (!click || amount === undefined) continue;
        const id = keyId(click);
        const entry = byKey.get(id) ?? byKey.set(id, { key: this.key(click), currency, amount: 0 }).get(id)!;
        entry.amount += amount;
      }
      credit.revenue = [...byKey.values()];
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
