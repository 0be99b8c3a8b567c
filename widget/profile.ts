import { interestSequence, type ShopEvent } from '../core/events.ts';

/** What the on-device event log says about the shopper now. */
export interface Profile {
  /** Items of interest in time order: the model's input. */
  sequence: string[];
  /** Items in the cart now, in the order they were first added. */
  cart: string[];
  purchased: Set<string>;
  /** Items the shopper viewed (`view_item`), most recent first, each once: the `recently-viewed` row. */
  viewed: string[];
}

/**
 * Derives the profile from the event log. The cart counts units: GA4 reports a partial removal
 * (quantity 2 -> 1) as `remove_from_cart` with the quantity removed, so an item stays in the cart until
 * its count reaches zero; a removal without a quantity removes the item. A purchase empties the cart of
 * what was bought.
 */
export function deriveProfile(events: readonly ShopEvent[]): Profile {
  const units = new Map<string, number>();
  const purchased = new Set<string>();
  // Re-inserting moves an item to the end, so iteration order is "least recently viewed first".
  const viewed = new Set<string>();
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) {
    for (const { item_id: id, quantity } of e.items) {
      if (e.name === 'view_item') {
        viewed.delete(id);
        viewed.add(id);
      }
      const have = units.get(id) ?? 0;
      if (e.name === 'add_to_cart') units.set(id, have + (quantity ?? 1));
      if (e.name === 'remove_from_cart') units.set(id, quantity === undefined ? 0 : Math.max(0, have - quantity));
      if (e.name === 'purchase') {
        purchased.add(id);
        units.delete(id);
      }
      if (units.get(id) === 0) units.delete(id);
    }
  }
  return { sequence: interestSequence(events), cart: [...units.keys()], purchased, viewed: [...viewed].reverse() };
}
