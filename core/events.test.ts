import { describe, expect, expectTypeOf, it } from 'vitest';
import { ContractError } from './errors.ts';
import { EVENT_NAMES, interestRuns, interestSequence, parseEvent, type EventName, type ShopEvent } from './events.ts';
import { thrownContractError } from '../test/support/contract-error.ts';

const refusal = (name: unknown, params: unknown): ContractError => thrownContractError(() => parseEvent(name, params, 0), 'bad_event');

describe('parseEvent', () => {
  it('accepts a GA4 e-commerce event with items[] and keeps the fields EdgeRecs uses', () => {
    const event = parseEvent(
      'purchase',
      {
        ts: 1_700_000_000_000,
        currency: 'EUR',
        transaction_id: 'T-1',
        items: [
          { item_id: 'SKU_12345', item_name: 'Shirt', item_category: 'Apparel', price: 9.99, quantity: 2, discount: 1 },
          { item_id: 'gid://shop/Product/7', price: 0 },
        ],
      },
      5,
    );

    expectTypeOf(event).toEqualTypeOf<ShopEvent>();
    expect(event).toEqual({
      name: 'purchase',
      ts: 1_700_000_000_000,
      items: [
        { item_id: 'SKU_12345', item_category: 'Apparel', price: 9.99, quantity: 2 },
        { item_id: 'gid://shop/Product/7', price: 0 },
      ],
      currency: 'EUR',
      transaction_id: 'T-1',
    });
  });

  it('accepts the bare item_id shorthand as a one-item event', () => {
    expect(parseEvent('view_item', { item_id: 'sku-1', price: 3 }, 42)).toEqual({
      name: 'view_item',
      ts: 42,
      items: [{ item_id: 'sku-1', price: 3 }],
    });
  });

  it('turns a numeric item_id into a string', () => {
    expect(parseEvent('add_to_cart', { items: [{ item_id: 1234 }] }, 0).items).toEqual([{ item_id: '1234' }]);
  });

  it('stamps the event with now when it has no usable ts', () => {
    expect(parseEvent('view_item', { item_id: 'a' }, 777).ts).toBe(777);
    expect(parseEvent('view_item', { item_id: 'a', ts: 'yesterday' }, 777).ts).toBe(777);
    expect(parseEvent('view_item', { item_id: 'a', ts: Infinity }, 777).ts).toBe(777);
  });

  it('keeps a short placement and drops a long one', () => {
    expect(parseEvent('select_item', { item_id: 'a', placement: 'for-you' }, 0).placement).toBe('for-you');
    expect(parseEvent('select_item', { item_id: 'a', placement: 'x'.repeat(65) }, 0)).not.toHaveProperty('placement');
  });

  it.each(EVENT_NAMES)('accepts the GA4 event name %s', (name) => {
    expect(parseEvent(name, { item_id: 'a' }, 0).name).toBe(name);
  });

  it.each(['page_view', 'View_Item', '', undefined, 3])('refuses the event name %j, listing every valid name', (name) => {
    const err = refusal(name, { item_id: 'a' });
    expect(err.message).toContain(`one of ${EVENT_NAMES.join(', ')}`);
  });

  it.each([
    ['no items', {}],
    ['an empty items array', { items: [] }],
    ['items that are not an array', { items: { item_id: 'a' } }],
    ['more than 200 items', { items: Array.from({ length: 201 }, (_, i) => ({ item_id: `s${i}` })) }],
  ])('refuses %s, saying how many items are allowed', (_what, params) => {
    expect(refusal('view_item', params).message).toContain('params.items must hold 1-200 items');
  });

  it.each([[null], ['sku-1'], [['sku-1']]])('refuses params %j that are not an object', (params) => {
    expect(refusal('view_item', params).message).toContain('params must be an object');
  });

  it.each([
    ['', 'an empty id'],
    ['  ', 'only spaces'],
    ['a\u0000b', 'a control character'],
    ['x'.repeat(129), 'more than 128 characters'],
    [null, 'null'],
    [{ id: 1 }, 'an object'],
  ])('refuses the item_id %j (%s), naming the item and the rule', (itemId, _why) => {
    const err = refusal('view_item', { items: [{ item_id: 'ok' }, { item_id: itemId }] });
    expect(err.message).toContain('view_item.items[1].item_id must be 1-128 characters after trimming');
  });

  it('accepts any id the catalog accepts, normalized the same way (a space inside, whitespace around)', () => {
    expect(parseEvent('view_item', { items: [{ item_id: ' rain  jacket M ' }, { item_id: 'Größe/42 "a"' }] }, 0).items).toEqual([
      { item_id: 'rain jacket M' },
      { item_id: 'Größe/42 "a"' },
    ]);
  });

  it.each([-1, Number.NaN, Infinity, '9.99', null])('refuses the price %j, saying a price is a non-negative number', (price) => {
    const err = refusal('purchase', { items: [{ item_id: 'a', price }] });
    expect(err.message).toContain('purchase.items[0].price must be a non-negative number');
  });

  it('refuses a negative quantity and a non-string category, naming the field', () => {
    expect(refusal('purchase', { item_id: 'a', quantity: -2 }).message).toContain('items[0].quantity must be a non-negative number');
    expect(refusal('purchase', { item_id: 'a', item_category: 5 }).message).toContain('items[0].item_category must be a string');
  });
});

describe('parseEvent: a purchase\'s order fields', () => {
  it('keeps value, currency (upper-cased) and transaction_id on a purchase, and on no other event', () => {
    const items = [{ item_id: 'sku-1', price: 12.5, quantity: 2 }];
    expect(parseEvent('purchase', { items, value: 29.9, currency: 'eur', transaction_id: ' T-1 ' }, 7)).toEqual({ name: 'purchase', ts: 7, items, value: 29.9, currency: 'EUR', transaction_id: 'T-1' });
    expect(parseEvent('purchase', { items, transaction_id: 1234 }, 7).transaction_id).toBe('1234');
    expect(parseEvent('add_to_cart', { items, value: 'x', currency: 'nope', transaction_id: 'T-1' }, 7)).toEqual({ name: 'add_to_cart', ts: 7, items });
  });

  it.each([
    [{ value: -1 }, /^purchase\.value must be a non-negative number \(got -1\)/],
    [{ value: '29.90' }, /^purchase\.value must be a non-negative number/],
    [{ currency: 'euro' }, /^purchase\.currency must be an ISO 4217 code such as "EUR" or "USD" \(got "euro"\)/],
    [{ currency: 'XYZ' }, /^purchase\.currency must be an ISO 4217 code/],
    [{ transaction_id: '' }, /^purchase\.transaction_id must be a string of 1-100 characters/],
    [{ transaction_id: 'x'.repeat(101) }, /^purchase\.transaction_id must be a string of 1-100 characters/],
  ])('refuses the purchase field %j, naming it', (over, message) => {
    expect(thrownContractError(() => parseEvent('purchase', { items: [{ item_id: 'sku-1' }], ...over }), 'bad_event').message).toMatch(message);
  });
});

describe('interestSequence', () => {
  const ev = (name: EventName, ts: number, ...ids: string[]): ShopEvent => ({ name, ts, items: ids.map((item_id) => ({ item_id })) });

  it('lists the items of interest events in time order, whatever order they are stored in', () => {
    const events = [ev('purchase', 30, 'c'), ev('view_item', 10, 'a'), ev('add_to_cart', 20, 'b')];
    expect(interestSequence(events)).toEqual(['a', 'b', 'c']);
    expect(events.map((e) => e.ts)).toEqual([30, 10, 20]); // input left as it was
  });

  it('skips events that are not a sign of interest', () => {
    const events = [
      ev('view_item', 1, 'a'),
      ev('view_item_list', 2, 'x', 'y'),
      ev('remove_from_cart', 3, 'z'),
      ev('begin_checkout', 4, 'w'),
      ev('select_item', 5, 'b'),
    ];
    expect(interestSequence(events)).toEqual(['a', 'b']);
  });

  it('collapses consecutive repeats of an item but keeps a return to it later', () => {
    const events = [
      ev('view_item', 1, 'a'),
      ev('view_item', 2, 'a'),
      ev('add_to_cart', 3, 'a'),
      ev('view_item', 4, 'b'),
      ev('view_item', 5, 'a'),
      ev('purchase', 6, 'a', 'a', 'c'),
    ];
    expect(interestSequence(events)).toEqual(['a', 'b', 'a', 'c']);
  });

  it('keeps the stored order of events with the same timestamp', () => {
    expect(interestSequence([ev('view_item', 5, 'b'), ev('view_item', 5, 'a'), ev('view_item', 5, 'c')])).toEqual(['b', 'a', 'c']);
  });

  it('reads only the event names it is told count as interest', () => {
    const events = [ev('view_item', 1, 'a'), ev('add_to_cart', 2, 'b'), ev('purchase', 3, 'c'), ev('view_item', 4, 'd')];
    expect(interestSequence(events, ['purchase'])).toEqual(['c']);
    expect(interestSequence(events, ['add_to_cart', 'purchase'])).toEqual(['b', 'c']);
    expect(interestSequence(events)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('returns an empty sequence without events', () => {
    expect(interestSequence([])).toEqual([]);
  });

  it('reads items as their groups and keeps the newest id of each run (interestRuns)', () => {
    const group = (id: string): string => id.split(' ')[0]!;
    const events = [ev('view_item', 1, 'jacket M'), ev('view_item', 2, 'jacket L'), ev('view_item', 3, 'mug'), ev('select_item', 4, 'jacket S'), ev('view_item_list', 5, 'jacket M')];
    expect(interestRuns(events, undefined, group)).toEqual([
      { item: 'jacket', named: 'jacket L' },
      { item: 'mug', named: 'mug' },
      { item: 'jacket', named: 'jacket S' },
    ]);
    expect(interestRuns(events).map((r) => r.item)).toEqual(interestSequence(events));
  });
});
