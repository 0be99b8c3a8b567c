import { describe, expect, it } from 'vitest';
import type { ShopEvent } from '../core/events.ts';
import { deriveProfile } from './profile.ts';

let ts = 0;
const ev = (name: ShopEvent['name'], item_id: string, quantity?: number): ShopEvent => ({
  name,
  ts: ++ts,
  items: [{ item_id, ...(quantity === undefined ? {} : { quantity }) }],
});

describe('deriveProfile', () => {
  it('keeps an item in the cart after a partial removal and drops it when its count reaches zero', () => {
    const added = [ev('add_to_cart', 'a', 2), ev('add_to_cart', 'b')];
    expect(deriveProfile([...added, ev('remove_from_cart', 'a', 1)]).cart).toEqual(['a', 'b']);
    expect(deriveProfile([...added, ev('remove_from_cart', 'a', 1), ev('remove_from_cart', 'a', 1)]).cart).toEqual(['b']);
  });

  it('removes the whole item when remove_from_cart carries no quantity', () => {
    expect(deriveProfile([ev('add_to_cart', 'a', 3), ev('remove_from_cart', 'a')]).cart).toEqual([]);
  });

  it('moves purchased items out of the cart and into purchased', () => {
    const p = deriveProfile([ev('add_to_cart', 'a'), ev('add_to_cart', 'b'), ev('purchase', 'a')]);
    expect(p.cart).toEqual(['b']);
    expect([...p.purchased]).toEqual(['a']);
  });

  it('reads events in time order whatever order they are stored in', () => {
    const add = ev('add_to_cart', 'a');
    const remove = ev('remove_from_cart', 'a');
    expect(deriveProfile([remove, add]).cart).toEqual([]);
  });

  it('builds the model sequence from interest events only, collapsing repeats', () => {
    const p = deriveProfile([ev('view_item', 'a'), ev('view_item', 'a'), ev('remove_from_cart', 'x'), ev('add_to_cart', 'b'), ev('view_item_list', 'c')]);
    expect(p.sequence).toEqual(['a', 'b']);
  });

  it('lists viewed items most recent first, each once, ignoring other events', () => {
    const p = deriveProfile([ev('view_item', 'a'), ev('view_item', 'b'), ev('add_to_cart', 'c'), ev('view_item', 'a'), ev('select_item', 'd')]);
    expect(p.viewed).toEqual(['a', 'b']);
  });
});
