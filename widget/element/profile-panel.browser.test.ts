/**
 * The profile panel says what is stored in the shopper's own words: counts by the language's plural rules
 * ("1 event", "2 events"), prices in the catalog's currency as the widget's locale writes money. The
 * production build (`dist/edge-recs.js`) in real Chromium against the real edge server
 * (`test/support/browser/edge-server.ts`, a catalog in EUR: p01 costs 11, p04 14).
 */
import { equal } from '../../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { deleteDb, openShop, storedEvents, until, type ShopFrame } from '../../test/support/browser/shop-frame.ts';

describe('profile panel, production build', () => {
  let shop: ShopFrame | undefined;

  beforeEach(async () => {
    await deleteDb();
    sessionStorage.clear();
  });

  afterEach(() => {
    shop?.close();
    shop = undefined;
  });

  /** Opens the panel after `views` and returns its event count and price range as shown. */
  async function panelAfter(locale: string, views: string[], priceLabel: string): Promise<{ events: string; price: string }> {
    const s = (shop = await openShop({ build: 'prod', attrs: { 'data-locale': locale } }));
    await s.api.ready();
    for (const id of views) s.api.track('view_item', { items: [{ item_id: id }] });
    await until(async () => (await storedEvents()).length === views.length, 'views stored');
    await s.api.openProfile();
    const panel = await until(() => s.doc.querySelector('dialog[data-edge-recs-profile] edge-recs-profile')?.shadowRoot, 'profile panel');
    const text = (id: string): string | undefined => panel.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();
    const events = await until(() => text('profile-events'), 'event count');
    const price = await until(() => [...panel.querySelectorAll('dt')].find((dt) => dt.textContent === priceLabel)?.nextElementSibling?.textContent?.trim(), 'price range');
    return { events, price };
  }

  it('in English: "1 event" and "2 events", the price range in euros', async () => {
    const one = await panelAfter('en', ['p01'], 'Usual price range');
    equal(one.events.split(' (')[0], '1 event', 'one event');
    equal(one.price, '€11.00 – €11.00', 'price range of one product');
    shop!.close();
    await deleteDb();
    const two = await panelAfter('en', ['p01', 'p04'], 'Usual price range');
    equal(two.events.split(' (')[0], '2 events', 'two events');
    equal(two.price, '€11.00 – €14.00', 'price range');
  });

  it('in German: "1 Ereignis", "2 Ereignisse", euros as German writes them', async () => {
    const one = await panelAfter('de-DE', ['p01'], 'Übliche Preisspanne');
    equal(one.events.split(' (')[0], '1 Ereignis', 'one event');
    shop!.close();
    await deleteDb();
    const two = await panelAfter('de-DE', ['p01', 'p04'], 'Übliche Preisspanne');
    equal(two.events.split(' (')[0], '2 Ereignisse', 'two events');
    equal(two.price, '11,00\u00a0€ – 14,00\u00a0€', 'price range');
  });
});
