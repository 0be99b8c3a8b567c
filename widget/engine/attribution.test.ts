import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../core/events.ts';
import { ATTRIBUTION_MS, Attributions, credit, lineAmounts } from './attribution.ts';
import { AnalyticsCounters, type MetricKey } from './analytics-counters.ts';

const SIMILAR: MetricKey = { placement: 'similar', modelVersion: 'v2', variant: 'viewed.1' };
const FOR_YOU: MetricKey = { placement: 'for-you', modelVersion: 'v2', variant: 'segment.0' };
const purchase = (params: Record<string, unknown>) => parseEvent('purchase', params, 1);
const cart = (...ids: string[]) => parseEvent('add_to_cart', { items: ids.map((item_id) => ({ item_id })) }, 1);
const noCatalog = (): undefined => undefined;

/** Attributions in memory (no storage consent) on a clock the test moves. */
function book(): { a: Attributions; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  return { a: new Attributions(false, () => clock.now), clock };
}

describe('Attributions: the rules', () => {
  it('credits a clicked product\'s first add-to-cart and its purchase to the card, once each', () => {
    const { a } = book();
    a.click('sku-1', SIMILAR);
    expect(a.addToCart(cart('sku-1', 'sku-9'))).toEqual([SIMILAR]);
    expect(a.addToCart(cart('sku-1'))).toEqual([]);
    const credit = a.purchase(purchase({ items: [{ item_id: 'sku-1', price: 24.9, quantity: 1 }], value: 29.8, currency: 'EUR' }), noCatalog);
    expect(credit).toEqual({ purchases: [SIMILAR], revenue: [{ key: SIMILAR, currency: 'EUR', amount: 2980, orders: 1, purchases: 1 }] });
    // The purchase consumed the click: buying it again later is not credited.
    expect(a.purchase(purchase({ items: [{ item_id: 'sku-1', price: 24.9 }], currency: 'EUR' }), noCatalog)).toEqual({ purchases: [], revenue: [] });
  });

  it('lets the last click win when a product was clicked on two placements', () => {
    const { a, clock } = book();
    a.click('sku-1', SIMILAR);
    clock.now += 60_000;
    a.click('sku-1', FOR_YOU);
    expect(a.purchase(purchase({ items: [{ item_id: 'sku-1', price: 10 }], currency: 'EUR' }), noCatalog)).toEqual({ purchases: [FOR_YOU], revenue: [{ key: FOR_YOU, currency: 'EUR', amount: 1000, orders: 1, purchases: 1 }] });
  });

  it('credits a click for 7 days and not a moment longer', () => {
    const { a, clock } = book();
    a.click('sku-1', SIMILAR);
    a.click('sku-2', SIMILAR);
    clock.now += ATTRIBUTION_MS;
    expect(a.purchase(purchase({ items: [{ item_id: 'sku-1' }] }), noCatalog).purchases).toEqual([SIMILAR]);
    clock.now += 1;
    expect(a.purchase(purchase({ items: [{ item_id: 'sku-2' }] }), noCatalog).purchases).toEqual([]);
  });

  it('splits an order\'s value over its lines by price x quantity; each card key gets its lines\' share, and the order counts once, for the key with the largest share', () => {
    const { a } = book();
    a.click('sku-1', SIMILAR);
    a.click('sku-2', FOR_YOU);
    a.click('sku-3', SIMILAR);
    // 10.00 + 2 x 5.00 + 20.00 = 40.00 of goods, value 44.90 with shipping; sku-4 was not clicked.
    const order = purchase({
      value: 44.9,
      currency: 'EUR',
      transaction_id: 'T-1',
      items: [
        { item_id: 'sku-1', price: 10, quantity: 1 },
        { item_id: 'sku-2', price: 5, quantity: 2 },
        { item_id: 'sku-3', price: 10, quantity: 1 },
        { item_id: 'sku-4', price: 10, quantity: 1 },
      ],
    });
    // 44.90 / 4 = 11.225 a line: the half cents go to the first lines (largest remainder, ties in order).
    expect(lineAmounts(order, 'EUR')).toEqual([1123, 1123, 1122, 1122]);
    const credit = a.purchase(order, noCatalog);
    expect(credit.purchases).toEqual([SIMILAR, FOR_YOU, SIMILAR]);
    expect(credit.revenue).toEqual([
      { key: SIMILAR, currency: 'EUR', amount: 1123 + 1122, orders: 1, purchases: 2 },
      { key: FOR_YOU, currency: 'EUR', amount: 1123, orders: 0, purchases: 1 },
    ]);
  });

  it('credits one order to exactly one key however many keys its products were clicked on; ties go to the most recent click', () => {
    const { a, clock } = book();
    const CART: MetricKey = { placement: 'cart', modelVersion: 'v2', variant: 'cart.0' };
    a.click('sku-1', SIMILAR);
    clock.now += 1000;
    a.click('sku-2', FOR_YOU);
    clock.now += 1000;
    a.click('sku-3', CART);
    // Three clicked products on three keys, one order: 30.00 + 30.00 + 10.00, a tie between SIMILAR and FOR_YOU.
    const credit = a.purchase(purchase({ currency: 'EUR', transaction_id: 'T-3', items: [{ item_id: 'sku-1', price: 30 }, { item_id: 'sku-2', price: 30 }, { item_id: 'sku-3', price: 10 }] }), noCatalog);
    expect(credit.purchases).toEqual([SIMILAR, FOR_YOU, CART]);
    expect(credit.revenue).toEqual([
      { key: SIMILAR, currency: 'EUR', amount: 3000, orders: 0, purchases: 1 },
      { key: FOR_YOU, currency: 'EUR', amount: 3000, orders: 1, purchases: 1 },
      { key: CART, currency: 'EUR', amount: 1000, orders: 0, purchases: 1 },
    ]);
    // Orders add up to the one order; revenue to the attributed lines, to the cent.
    expect(credit.revenue.reduce((n, r) => n + r.orders, 0)).toBe(1);
    expect(credit.revenue.reduce((n, r) => n + r.amount, 0)).toBe(7000);
  });

  it('without a value, counts price x quantity of the attributed lines, in the catalog currency when the event names none', () => {
    const { a } = book();
    a.click('sku-1', SIMILAR);
    a.click('sku-2', SIMILAR);
    const order = purchase({ items: [{ item_id: 'sku-1', price: 0.1, quantity: 3 }, { item_id: 'sku-2' }, { item_id: 'sku-3', price: 99 }] });
    expect(lineAmounts(order, 'USD')).toEqual([30, undefined, 9900]);
    // Two purchases, one of them with a price: the amount is made of one.
    expect(a.purchase(order, (id) => (id === 'sku-1' ? 'USD' : undefined))).toEqual({ purchases: [SIMILAR, SIMILAR], revenue: [{ key: SIMILAR, currency: 'USD', amount: 30, orders: 1, purchases: 1 }] });
  });

  it('counts with the revenue only the purchases that make up its amount: not those without a price or with a share of 0', () => {
    const { a } = book();
    const metrics = new AnalyticsCounters('/v1/metrics', 'default', () => true);
    const ids = Array.from({ length: 10 }, (_, i) => `sku-${i}`);
    for (const id of ids) a.click(id, SIMILAR);
    // Nine products without a price and one at 89.00: ten purchases, and an amount that is one purchase's.
    credit(purchase({ currency: 'EUR', items: ids.map((item_id, i) => (i === 9 ? { item_id, price: 89 } : { item_id })) }), a, metrics);
    expect(metrics.pending()).toEqual({
      model: 'default',
      counters: [{ ...SIMILAR, event: 'purchase', count: 10 }],
      revenue: [{ ...SIMILAR, currency: 'EUR', orders: 1, purchases: 1, amount: 8900 }],
    });
    // A value split by price: a free line gets nothing of it; lines without any price share it equally.
    for (const id of ['free', 'paid', 'x', 'y']) a.click(id, FOR_YOU);
    expect(a.purchase(purchase({ value: 20, currency: 'EUR', items: [{ item_id: 'free', price: 0 }, { item_id: 'paid', price: 20 }] }), noCatalog).revenue).toEqual([
      { key: FOR_YOU, currency: 'EUR', amount: 2000, orders: 1, purchases: 1 },
    ]);
    expect(a.purchase(purchase({ value: 20, currency: 'EUR', items: [{ item_id: 'x' }, { item_id: 'y' }] }), noCatalog).revenue).toEqual([
      { key: FOR_YOU, currency: 'EUR', amount: 2000, orders: 1, purchases: 2 },
    ]);
  });

  it('counts the purchase but no revenue when neither the event nor the catalog gives a currency', () => {
    const { a } = book();
    a.click('sku-1', SIMILAR);
    expect(a.purchase(purchase({ items: [{ item_id: 'sku-1', price: 5 }], value: 5 }), noCatalog)).toEqual({ purchases: [SIMILAR], revenue: [] });
  });

  it('splits a value equally over lines without prices, and the shares always sum to the value', () => {
    expect(lineAmounts(purchase({ value: 10, currency: 'EUR', items: [{ item_id: 'a' }, { item_id: 'b' }, { item_id: 'c', price: 3 }] }), 'EUR')).toEqual([334, 333, 333]);
    expect(lineAmounts(purchase({ value: 1000, currency: 'JPY', items: [{ item_id: 'a', price: 0 }, { item_id: 'b', price: 0 }] }), 'JPY')).toEqual([500, 500]);
    for (const value of [0.01, 0.07, 19.99, 1234.56]) {
      const shares = lineAmounts(purchase({ value, currency: 'EUR', items: [{ item_id: 'a', price: 1 }, { item_id: 'b', price: 2 }, { item_id: 'c', price: 4 }] }), 'EUR');
      expect((shares as number[]).reduce((x, y) => x + y, 0)).toBe(Math.round(value * 100));
    }
  });

  it('does not count an order (transaction_id) reported again, even after a new click on the product', () => {
    const { a } = book();
    const order = purchase({ transaction_id: 'T-7', currency: 'EUR', items: [{ item_id: 'sku-1', price: 10 }] });
    a.click('sku-1', SIMILAR);
    expect(a.purchase(order, noCatalog).purchases).toEqual([SIMILAR]);
    a.click('sku-1', SIMILAR);
    expect(a.purchase(order, noCatalog)).toEqual({ purchases: [], revenue: [] });
    expect(a.purchase(purchase({ transaction_id: 'T-8', items: [{ item_id: 'sku-1' }] }), noCatalog).purchases).toEqual([SIMILAR]);
  });

  it('credits other variants of a clicked card\'s group without the catalog, priced in the card\'s currency', () => {
    // The thank-you page reports the purchase before the widget has the catalog: its lines name sizes,
    // not the group the click is kept under, and the event names no currency.
    const { a } = book();
    a.click('jacket', SIMILAR, { items: ['jacket S', 'jacket M', 'jacket L'], currency: 'EUR' });
    a.click('hat', FOR_YOU, { currency: 'EUR' });
    expect(a.addToCart(cart('jacket L'))).toEqual([SIMILAR]);
    const order = purchase({
      transaction_id: 'T-9',
      items: [
        { item_id: 'jacket L', price: 89.9, quantity: 1 },
        { item_id: 'jacket M', price: 89.9, quantity: 1 },
        { item_id: 'hat', price: 25, quantity: 2 },
        { item_id: 'scarf', price: 35, quantity: 1 },
      ],
    });
    // Two sizes of one clicked jacket are one attributed product; its revenue is both lines, to the cent.
    expect(a.purchase(order, noCatalog)).toEqual({
      purchases: [SIMILAR, FOR_YOU],
      revenue: [
        { key: SIMILAR, currency: 'EUR', amount: 17980, orders: 1, purchases: 1 },
        { key: FOR_YOU, currency: 'EUR', amount: 5000, orders: 0, purchases: 1 },
      ],
    });
    expect(a.purchase(purchase({ currency: 'EUR', items: [{ item_id: 'jacket S', price: 89.9 }] }), noCatalog).purchases).toEqual([]);
  });

  it('keeps a product id that is a property name of Object as a plain id', () => {
    const { a } = book();
    a.click('__proto__', SIMILAR);
    a.click('constructor', FOR_YOU);
    expect(a.addToCart(cart('__proto__', 'constructor', 'toString'))).toEqual([SIMILAR, FOR_YOU]);
  });

  it('forgets everything on clear()', () => {
    const { a } = book();
    a.click('sku-1', SIMILAR);
    a.clear();
    expect(a.addToCart(cart('sku-1'))).toEqual([]);
  });
});
