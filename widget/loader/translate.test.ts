import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../core/events.ts';
import { consentOf, BRIDGED_EVENTS, fromAttributes, fromDataLayer } from './translate.ts';

/** gtag.js pushes its `arguments` object, not an array. */
function gtagArgs(..._args: unknown[]): IArguments {
  return arguments;
}

const el = (attrs: Record<string, string>): Pick<Element, 'getAttribute'> => ({ getAttribute: (name) => attrs[name] ?? null });

describe('fromDataLayer', () => {
  it('translates a Tag Manager e-commerce push, keeping only the item fields EdgeRecs uses', () => {
    const event = fromDataLayer({
      event: 'add_to_cart',
      ecommerce: { currency: 'EUR', value: 25.8, items: [{ item_id: 'sku-1', item_name: 'Serum', item_category: 'Beauty', price: '12.90', quantity: 2, affiliation: 'x' }] },
    });
    expect(event).toEqual({ name: 'add_to_cart', params: { items: [{ item_id: 'sku-1', item_category: 'Beauty', price: 12.9, quantity: 2 }] } });
    expect(parseEvent(event!.name, event!.params, 5)).toEqual({ name: 'add_to_cart', ts: 5, items: [{ item_id: 'sku-1', item_category: 'Beauty', price: 12.9, quantity: 2 }] });
  });

  it('passes a purchase\'s value, currency and transaction_id on (for revenue), and no other event\'s', () => {
    const items = [{ item_id: 'sku-1', price: 12.5, quantity: 2 }];
    const tagManager = fromDataLayer({ event: 'purchase', ecommerce: { transaction_id: 'T-9', value: '29.90', currency: 'EUR', tax: 4.1, shipping: 4.9, coupon: 'X', items } });
    expect(tagManager).toEqual({ name: 'purchase', params: { items, value: 29.9, currency: 'EUR', transaction_id: 'T-9' } });
    expect(parseEvent(tagManager!.name, tagManager!.params, 1)).toMatchObject({ value: 29.9, currency: 'EUR', transaction_id: 'T-9' });
    expect(fromDataLayer(gtagArgs('event', 'purchase', { transaction_id: 7, value: 25, currency: 'usd', items }))).toEqual({ name: 'purchase', params: { items, value: 25, currency: 'usd', transaction_id: 7 } });
    expect(fromDataLayer({ event: 'view_item', ecommerce: { value: 12.5, currency: 'EUR', items } })).toEqual({ name: 'view_item', params: { items } });
  });

  it('translates gtag.js pushes (an arguments object)', () => {
    expect(fromDataLayer(gtagArgs('event', 'view_item', { items: [{ item_id: 7 }] }))).toEqual({ name: 'view_item', params: { items: [{ item_id: 7 }] } });
    expect(fromDataLayer(gtagArgs('config', 'G-XXXX'))).toBeUndefined();
  });

  it('bridges exactly the six documented events and ignores every other push', () => {
    expect(BRIDGED_EVENTS).toEqual(['view_item', 'view_item_list', 'select_item', 'add_to_cart', 'remove_from_cart', 'purchase']);
    for (const entry of [{ ecommerce: null }, { event: 'page_view' }, { event: 'begin_checkout', ecommerce: { items: [] } }, { 'gtm.start': 1, event: 'gtm.js' }, null, 'x', 3]) {
      expect(fromDataLayer(entry)).toBeUndefined();
    }
  });

  it('passes a malformed bridged event on for the validator to reject, rather than guessing', () => {
    const event = fromDataLayer({ event: 'purchase', ecommerce: { items: [{ item_name: 'no id' }] } })!;
    expect(() => parseEvent(event.name, event.params)).toThrow(/purchase\.items\[0\]\.item_id/);
    expect(() => parseEvent(...Object.values(fromDataLayer({ event: 'view_item' })!) as [unknown, unknown])).toThrow(/params\.items must hold/);
  });

  it('copies the items, so the merchant clearing or reusing the object later changes nothing', () => {
    const ecommerce = { items: [{ item_id: 'a', price: 1 }] };
    const event = fromDataLayer({ event: 'select_item', ecommerce })!;
    ecommerce.items[0]!.item_id = 'changed';
    expect(event.params).toEqual({ items: [{ item_id: 'a', price: 1 }] });
  });
});

describe('fromAttributes', () => {
  it('reads the event and item fields, numbers from strings', () => {
    const event = fromAttributes(
      el({ 'data-edge-recs-event': 'select_item', 'data-edge-recs-item-id': 'sku-1', 'data-edge-recs-price': '9.90', 'data-edge-recs-category': 'A > B', 'data-edge-recs-quantity': '3' }),
    );
    expect(event).toEqual({ name: 'select_item', params: { items: [{ item_id: 'sku-1', item_category: 'A > B', price: 9.9, quantity: 3 }] } });
  });

  it('treats empty attributes as absent and leaves bad values for the validator', () => {
    expect(fromAttributes(el({ 'data-edge-recs-event': 'add_to_cart', 'data-edge-recs-item-id': 'x', 'data-edge-recs-price': '' })).params).toEqual({ items: [{ item_id: 'x' }] });
    const bad = fromAttributes(el({ 'data-edge-recs-event': 'add_to_cart', 'data-edge-recs-item-id': 'x', 'data-edge-recs-quantity': 'two' }));
    expect(() => parseEvent(bad.name, bad.params)).toThrow(/quantity must be a non-negative number \(got "two"\)/);
  });
});

describe('consentOf', () => {
  function args(..._a: unknown[]): IArguments {
    // eslint-disable-next-line prefer-rest-params
    return arguments;
  }
  it('reads gtag consent commands, arguments or array form, for personalization_storage and analytics_storage', () => {
    expect(consentOf(args('consent', 'default', { personalization_storage: 'denied', analytics_storage: 'granted', ad_storage: 'denied' }))).toEqual({
      command: 'default',
      personalization: 'denied',
      analytics: 'granted',
    });
    expect(consentOf(['consent', 'update', { analytics_storage: 'denied' }])).toEqual({ command: 'update', personalization: undefined, analytics: 'denied' });
  });

  it('ignores everything else', () => {
    for (const entry of [args('event', 'view_item', {}), args('consent', 'revoke', {}), args('consent', 'update'), { event: 'consent' }, null, 'consent']) {
      expect(consentOf(entry)).toBeUndefined();
    }
  });
});
