/**
 * The engine's side of attribution: card clicks remembered (with analytics consent) and the add-to-carts
 * and purchases that follow credited to them, by the rules of `attribution.ts` (which the loader's credit
 * for queued events shares, so they are not repeated here).
 */
import { groupEvents } from '../../core/catalog.ts';
import type { ShopEvent } from '../../core/events.ts';
import type { AnalyticsCounters, MetricKey } from './analytics-counters.ts';
import { Attributions, credit } from './attribution.ts';

export class CardAttribution {
  /** Card clicks awaiting an add-to-cart or purchase: `localStorage` with storage consent. */
  private readonly book: Attributions;

  constructor(
    persistent: boolean,
    private readonly counters: AnalyticsCounters,
    private readonly warn: (message: string) => void,
  ) {
    this.book = new Attributions(persistent);
  }

  /**
   * Credits an add-to-cart or purchase to the cards clicked for its items. `keyOf`: a product's variant
   * group (clicks are kept by group, so the event's items are read as their groups too); `currencyOf`: a
   * product's catalog currency.
   */
  credit(named: ShopEvent, keyOf: (id: string) => string, currencyOf: (id: string) => string | undefined): void {
    const event = groupEvents([named], keyOf)[0]!;
    const refused = credit(event, this.book, this.counters, currencyOf);
    if (__EDGE_RECS_DEV__) {
      for (const { currency, amount } of refused) this.warn(`purchase revenue of ${amount} minor units of ${currency} not counted: over the per-batch limit or not an ISO 4217 currency`);
    }
  }

  /**
   * A card of variant group `group` was clicked: credited to `key` from now on. The group's variant ids
   * and currency go with it: a later page may report the purchase before it has the catalog, which is
   * what maps a size to its group. The write is synchronous (see `attribution.ts`).
   */
  click(group: string, key: MetricKey, items: string[], currency: string | undefined): void {
    this.book.click(group, key, { items, currency });
  }

  setPersistent(storage: boolean, withdraw: boolean): void {
    this.book.setPersistent(storage, withdraw);
  }

  clear(): void {
    this.book.clear();
  }
}
