/**
 * Card-click attribution in real Chromium on the production widget: a real mouse click on a card whose
 * link really navigates the page away is remembered before the page unloads, and a purchase on a later
 * page is counted, with its revenue, for that card's placement, model version and copy variant (as the
 * real edge server reads it out). The record follows the consent rules: nothing stored without storage
 * consent, erased by `forget()` and by a Consent Mode withdrawal. A purchase reported before the widget
 * has the catalog (a thank-you page that reports it at once) is still matched to the clicked card's
 * variant group and priced in its currency.
 */
import { parseMetricsBatch, type MetricsBatch } from '../../core/analytics.ts';
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { addRow, deleteDb, NO_WORKERS, openShop, realClick, RECORD_METRICS, recordedMetrics, until, type ShopFrame, type ShopOptions } from '../../test/support/browser/shop-frame.ts';
import { ADMIN_TOKEN, TEST_CATALOG } from '../../test/support/browser/shop-fixture.ts';
import { JACKET, VARIANT_SERVER } from '../../test/support/browser/variant-fixture.ts';
import { ATTRIBUTION_KEY } from './attribution.ts';

/** Holds the page's `GET /v1/catalog` until `window.__releaseCatalog()`; `window.__catalogAsked` once requested. */
const HOLD_CATALOG = `<script>
  window.__catalogAsked = false;
  let release;
  const held = new Promise((resolve) => (release = resolve));
  window.__releaseCatalog = () => release();
  const g = window.fetch;
  window.fetch = function (input, init) {
    if (!String(input).includes('/v1/catalog')) return g.apply(this, arguments);
    window.__catalogAsked = true;
    return held.then(() => g.call(this, input, init));
  };
</script>`;

const stored = (): { clicks: Array<[string, Record<string, unknown>]> } | null => JSON.parse(localStorage.getItem(ATTRIBUTION_KEY) ?? 'null');
const clickedIds = (): string[] => (stored()?.clicks ?? []).map(([id]) => id);
const priceOf = (id: string): number => TEST_CATALOG.products.find((p) => p.id === id)!.price;

describe('card-click attribution, production build', () => {
  let frames: ShopFrame[] = [];
  const open = async (options: Omit<ShopOptions, 'build'> = {}): Promise<ShopFrame> => {
    const s = await openShop({ build: 'prod', ...options });
    frames.push(s);
    await s.api.ready();
    await until(() => s.api.state.status !== 'loading', 'the model never finished loading');
    return s;
  };

  beforeEach(async () => {
    await deleteDb();
    localStorage.removeItem(ATTRIBUTION_KEY);
  });

  afterEach(async () => {
    for (const s of frames) s.close();
    frames = [];
    localStorage.removeItem(ATTRIBUTION_KEY);
    await deleteDb();
  });

  it('remembers a card click through the navigation it starts, and credits a purchase pages later with its revenue', async () => {
    const first = await open();
    first.api.track('view_item', { items: [{ item_id: 'p01' }] });
    const row = await addRow(first, '<edge-recs placement="similar" item-id="p01" count="3"></edge-recs>');
    const card = row.shadowRoot!.querySelector('li[part="card"]')!;
    const clicked = card.getAttribute('data-item-id')!;
    const variant = card.getAttribute('data-variant')!;
    const modelVersion = card.getAttribute('data-source') === 'model' ? first.api.state.modelVersion! : 'fallback';
    const left = new Promise<void>((resolve) => first.frame.addEventListener('load', () => resolve(), { once: true }));
    await realClick(first, card.querySelector('a[part="link"]')!);
    // The link's own navigation unloads the page: nothing asynchronous of the widget's ran after the click.
    await left;
    equal(new URL(first.frame.contentWindow!.location.href).pathname, `/p/${clicked}`, 'the click navigated to the product');
    deepEqual(stored()!.clicks.map(([id, c]) => [id, c.placement, c.modelVersion, c.variant]), [[clicked, 'similar', modelVersion, variant]], 'the click as stored');

    // A later page (a new document): add to cart, then buy it with something that was not clicked.
    const later = await open({ before: RECORD_METRICS });
    later.api.track('add_to_cart', { items: [{ item_id: clicked, quantity: 2 }] });
    later.api.track('purchase', {
      transaction_id: 'T-1001',
      value: 2 * priceOf(clicked) + priceOf('p09'),
      currency: 'EUR',
      items: [
        { item_id: clicked, price: priceOf(clicked), quantity: 2 },
        { item_id: 'p09', price: priceOf('p09'), quantity: 1 },
      ],
    });
    await later.api.events();
    later.win.dispatchEvent(new PageTransitionEvent('pagehide'));
    const recorded = recordedMetrics(later);
    await until(() => recorded.length > 0, 'a metrics batch was sent');
    equal(recorded[0]!.status, 202, 'the real server accepted the batch');
    const batch: MetricsBatch = parseMetricsBatch(JSON.parse(recorded[0]!.body));
    const key = { placement: 'similar', modelVersion, variant };
    deepEqual(batch.counters, [{ ...key, event: 'add_to_cart', count: 1 }, { ...key, event: 'purchase', count: 1 }], 'counters of the later page');
    deepEqual(batch.revenue, [{ ...key, currency: 'EUR', orders: 1, purchases: 1, amount: 2 * priceOf(clicked) * 100 }], 'revenue of the clicked product only, in cents');
    ok(!recorded[0]!.body.includes('T-1001') && !recorded[0]!.body.includes(clicked), 'no order or item id in the batch');
    deepEqual(clickedIds(), [], 'the purchase consumed the click');

    const readout = (await (await fetch('/v1/admin/metrics?model=default', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
      groups: Array<{ placement: string; modelVersion: string; variant: string; purchase: number | null; revenue: Record<string, { orders: number | null; amount: string | null }> }>;
    };
    const group = readout.groups.find((g) => g.placement === 'similar' && g.modelVersion === modelVersion && g.variant === variant)!;
    ok((group.purchase ?? 0) >= 1, 'the server counted the purchase');
    ok(Number(group.revenue.EUR?.amount ?? 0) >= 2 * priceOf(clicked), `the server summed the revenue (${JSON.stringify(group.revenue)})`);
    deepEqual(later.errors, [], 'page errors');
  });

  it('credits a purchase of another size reported before the catalog has loaded, in the card\'s currency', async () => {
    const first = await open({ attrs: { 'data-server': VARIANT_SERVER } });
    // An SPA-style shop: the page stays, so its row can be read after the click.
    first.win.addEventListener('click', (e) => e.preventDefault(), true);
    const row = await addRow(first, '<edge-recs placement="for-you" count="12"></edge-recs>');
    const card = row.shadowRoot!.querySelector(`li[data-item-id="${JACKET.shown}"]`)!;
    const key = { placement: 'for-you', modelVersion: card.getAttribute('data-source') === 'model' ? first.api.state.modelVersion! : 'fallback', variant: card.getAttribute('data-variant')! };
    const link = card.querySelector('a[part="link"]')!;
    await realClick(first, link);
    deepEqual(clickedIds(), [JACKET.group], 'the click is kept under the jacket\'s group');

    // The thank-you page: the purchase (size L, no currency, and an unclicked hat) is reported while the
    // catalog, which maps sizes to groups and knows the currency, is still on its way; then the shopper leaves.
    const thanks = await openShop({ build: 'prod', attrs: { 'data-server': VARIANT_SERVER }, before: NO_WORKERS + RECORD_METRICS + HOLD_CATALOG });
    frames.push(thanks);
    const win = thanks.win as unknown as { __catalogAsked: boolean; __releaseCatalog: () => void };
    await until(() => win.__catalogAsked, 'the engine asked for the catalog');
    thanks.api.track('add_to_cart', { items: [{ item_id: JACKET.sizes[2], quantity: 1, price: 89 }] });
    thanks.api.track('purchase', { transaction_id: 'V-EARLY', items: [{ item_id: JACKET.sizes[2], quantity: 1, price: 89 }, { item_id: 'wool hat', quantity: 1, price: 25 }] });
    equal(thanks.api.state.catalogLoad, undefined, 'the catalog had not loaded');
    thanks.win.dispatchEvent(new PageTransitionEvent('pagehide'));
    await until(() => recordedMetrics(thanks).length > 0, 'a metrics batch was sent');
    const batches = recordedMetrics(thanks).map((m) => parseMetricsBatch(JSON.parse(m.body)));
    deepEqual(batches.flatMap((b) => b.counters), [{ ...key, event: 'add_to_cart', count: 1 }, { ...key, event: 'purchase', count: 1 }], 'the add-to-cart and purchase of size L, credited to the jacket\'s card');
    deepEqual(batches.flatMap((b) => b.revenue ?? []), [{ ...key, currency: 'EUR', orders: 1, purchases: 1, amount: 8900 }], 'the jacket\'s line only, in the card\'s EUR, in cents');
    deepEqual(clickedIds(), [], 'the purchase consumed the click');
    win.__releaseCatalog();
    deepEqual(thanks.errors, [], 'page errors');
  });

  it('stores nothing before consent, and erases the record on forget() and on a Consent Mode withdrawal', async () => {
    const s = await open({
      before: `<script>window.dataLayer = []; function gtag() { dataLayer.push(arguments); }
        gtag('consent', 'default', { analytics_storage: 'denied', personalization_storage: 'denied' });</script>`,
    });
    const gtag = (...args: unknown[]): void => void (s.win as unknown as { gtag: (...a: unknown[]) => void }).gtag(...args);
    s.win.addEventListener('click', (e) => e.preventDefault(), true);
    const row = await addRow(s, '<edge-recs placement="trending" count="3"></edge-recs>');
    const link = (i: number): HTMLAnchorElement => row.shadowRoot!.querySelectorAll<HTMLAnchorElement>('a[part="link"]')[i]!;
    await realClick(s, link(0));
    equal(localStorage.getItem(ATTRIBUTION_KEY), null, 'nothing stored while consent is denied');

    gtag('consent', 'update', { personalization_storage: 'granted', analytics_storage: 'granted' });
    await s.api.events();
    await realClick(s, link(1));
    equal(clickedIds().length, 1, 'stored once consent is granted');
    await s.api.forget();
    equal(localStorage.getItem(ATTRIBUTION_KEY), null, 'forget() erases it');

    await realClick(s, link(2));
    equal(clickedIds().length, 1, 'stored again after forget()');
    gtag('consent', 'update', { personalization_storage: 'denied' });
    await until(() => localStorage.getItem(ATTRIBUTION_KEY) === null, 'a withdrawal erases it');
    deepEqual(s.errors, [], 'page errors');
  });
});
