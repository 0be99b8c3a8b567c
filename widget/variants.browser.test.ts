/**
 * Merchant Center variants and ids with spaces, in real Chromium on the production widget, against a real
 * edge server whose catalog is the shop's own TSV feed (`test/support/browser/variant-shop.ts`): a jacket
 * in three sizes is one card, events on any size count for the jacket (the shopper's history, the model's
 * input, the cart, a card click's attribution), and an id with a space is stored, learned and shown.
 */
import { parseMetricsBatch } from '../core/analytics.ts';
import { deepEqual, equal, ok } from '../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../test/support/browser/mocha.ts';
import { addRow, brief, cardIds, deleteDb, openShop, realClick, RECORD_METRICS, recordedMetrics, storedAtLeast, until, type ShopFrame } from '../test/support/browser/shop-frame.ts';
import { JACKET, VARIANT_CARDS, VARIANT_SERVER } from '../test/support/browser/variant-fixture.ts';
import { ATTRIBUTION_KEY } from './engine/attribution.ts';

const tiers = (el: Element): string[] => Array.from(el.shadowRoot!.querySelectorAll('li[part="card"]')).map((li) => li.getAttribute('data-tier') ?? '');

describe('variant groups and ids with spaces, production build', () => {
  let shop: ShopFrame | undefined;
  const open = async (before = ''): Promise<ShopFrame> => {
    shop = await openShop({ build: 'prod', attrs: { 'data-server': VARIANT_SERVER }, before });
    await shop.api.ready();
    await until(() => shop!.api.state.status !== 'loading', 'the model never finished loading');
    equal(shop.api.state.status, 'ready', `the variant shop's model loaded (${shop.api.state.error ?? ''})`);
    return shop;
  };

  beforeEach(async () => {
    await deleteDb();
    localStorage.removeItem(ATTRIBUTION_KEY);
  });

  afterEach(async () => {
    shop?.close();
    shop = undefined;
    localStorage.removeItem(ATTRIBUTION_KEY);
    await deleteDb();
  });

  it('shows a 3-size jacket as one card, the size in stock, linking to that size', async () => {
    const s = await open();
    const row = await addRow(s, '<edge-recs placement="for-you" count="12"></edge-recs>');
    deepEqual(cardIds(row), [...VARIANT_CARDS], 'one card per group, in catalog order');
    const jacket = row.shadowRoot!.querySelector(`li[data-item-id="${JACKET.shown}"]`)!;
    const href = new URL(jacket.querySelector<HTMLAnchorElement>('a[part="link"]')!.href);
    equal(href.pathname + href.search, JACKET.link, "the card links to the shown size's page");
    ok(jacket.textContent!.includes('Rain jacket, size M'), 'the card names the shown size');
    deepEqual(s.errors, [], 'page errors');
  });

  it('counts events on any size for the jacket: recently viewed, the model\'s history, the product page and the cart', async () => {
    const s = await open();
    // Size L, written with stray whitespace as a tag might send it: stored trimmed, read as the jacket.
    await s.api.track('view_item', { items: [{ item_id: ' rain jacket L ' }] });
    deepEqual(brief(await storedAtLeast(1, 'the view was stored')), ['view_item:rain jacket L'], 'stored as the feed names it');
    const viewed = await addRow(s, '<edge-recs placement="recently-viewed" count="4"></edge-recs>');
    deepEqual(cardIds(viewed), [JACKET.sizes[2]], 'the jacket is what was viewed, shown as the size viewed');

    // The model knows the group, not the size: a personal row shows that the view reached it.
    const forYou = await addRow(s, '<edge-recs placement="for-you" count="4"></edge-recs>');
    await until(() => tiers(forYou).length === 4 && tiers(forYou).every((t) => t === 'personal'), `model-ranked cards after a view of size L (tiers ${JSON.stringify(tiers(forYou))})`);
    ok(!cardIds(forYou).some((id) => id.startsWith('rain jacket')), `no jacket in the row: it was seen (${JSON.stringify(cardIds(forYou))})`);

    // On the page of the sold-out size S: ranked after the jacket, and no other size offered as "similar".
    const similar = await addRow(s, `<edge-recs placement="similar" item-id="${JACKET.sizes[0]}" count="4"></edge-recs>`);
    await until(() => tiers(similar).length === 4 && tiers(similar).every((t) => t === 'similar'), `ranked after the jacket (tiers ${JSON.stringify(tiers(similar))})`);
    ok(!cardIds(similar).some((id) => id.startsWith('rain jacket')), `no size of the jacket on its own page (${JSON.stringify(cardIds(similar))})`);

    // Size L in the cart: the jacket is in the cart, whichever size the card would show.
    const cart = await addRow(s, '<edge-recs placement="cart" count="12"></edge-recs>');
    await s.api.track('add_to_cart', { items: [{ item_id: JACKET.sizes[2], quantity: 1 }] });
    await until(() => cardIds(cart).length > 0 && !cardIds(cart).includes(JACKET.shown), `the jacket is not offered while a size of it is in the cart (showing ${JSON.stringify(cardIds(cart))})`);
    deepEqual(s.errors, [], 'page errors');
  });

  it('shows the size the shopper viewed, and a real click on its card opens that size', async () => {
    const s = await open();
    await s.api.track('view_item', { items: [{ item_id: JACKET.sizes[2] }] });
    await storedAtLeast(1, 'the view was stored');
    // Recently viewed: size L (the group's default card is size M).
    const viewed = await addRow(s, '<edge-recs placement="recently-viewed" count="4"></edge-recs>');
    deepEqual(cardIds(viewed), [JACKET.sizes[2]], 'the card is the size viewed');
    const card = viewed.shadowRoot!.querySelector(`li[data-item-id="${JACKET.sizes[2]}"]`)!;
    ok(card.textContent!.includes('Rain jacket, size L') && !card.textContent!.includes('size M'), `the card names size L (${card.textContent})`);
    const link = card.querySelector<HTMLAnchorElement>('a[part="link"]')!;
    const href = new URL(link.href);
    equal(href.pathname + href.search, '/p/rain-jacket?size=L', "the card links to size L's page");
    // Every other row shows the jacket as size L too, by the same group rank: the catalog's order, before the model's picks.
    const page = await addRow(s, '<edge-recs placement="trending" count="12"></edge-recs>');
    ok(cardIds(page).includes(JACKET.sizes[2]) && !cardIds(page).includes(JACKET.shown), `the jacket's card is size L in other rows (${JSON.stringify(cardIds(page))})`);
    // The shopper clicks the recently viewed card: the frame lands on size L.
    await realClick(s, link);
    await until(() => {
      const at = s.frame.contentWindow?.location;
      return at && at.pathname + at.search === '/p/rain-jacket?size=L';
    }, `the click landed on size L (at ${s.frame.contentWindow?.location.href})`);
  });

  it('stores, learns and shows an id with a space', async () => {
    const s = await open();
    await s.api.track('view_item', { items: [{ item_id: 'mug 1' }] });
    deepEqual(brief(await storedAtLeast(1, 'the view was stored')), ['view_item:mug 1'], 'the event was kept');
    const viewed = await addRow(s, '<edge-recs placement="recently-viewed" count="4"></edge-recs>');
    deepEqual(cardIds(viewed), ['mug 1'], 'shown under its id');
    const forYou = await addRow(s, '<edge-recs placement="for-you" count="3"></edge-recs>');
    await until(() => tiers(forYou).length === 3 && tiers(forYou).every((t) => t === 'personal'), `model-ranked after "mug 1" (tiers ${JSON.stringify(tiers(forYou))})`);
    ok(!cardIds(forYou).includes('mug 1'), 'the viewed mug is left out of the model\'s picks');
  });

  it('credits a click on the jacket card when another size goes into the cart and is bought', async () => {
    const s = await open(RECORD_METRICS);
    // An SPA-style shop: the click is the widget's to count; the page stays.
    s.win.addEventListener('click', (e) => e.preventDefault(), true);
    const row = await addRow(s, '<edge-recs placement="for-you" count="12"></edge-recs>');
    const card = row.shadowRoot!.querySelector(`li[data-item-id="${JACKET.shown}"]`)!;
    const variant = card.getAttribute('data-variant')!;
    const link = card.querySelector('a[part="link"]')!;
    await realClick(s, link);
    await until(async () => brief(await s.api.events()).includes(`select_item:${JACKET.shown}`), 'the click was tracked');
    // The shopper picks size L on the product page.
    await s.api.track('add_to_cart', { items: [{ item_id: JACKET.sizes[2], quantity: 1, price: 89 }] });
    await s.api.track('purchase', { transaction_id: 'V-1', value: 89, currency: 'EUR', items: [{ item_id: JACKET.sizes[2], quantity: 1, price: 89 }] });
    s.win.dispatchEvent(new PageTransitionEvent('pagehide'));
    const recorded = recordedMetrics(s);
    await until(() => recorded.length > 0, 'a metrics batch was sent');
    const counters = recorded.flatMap((m) => parseMetricsBatch(JSON.parse(m.body)).counters).filter((c) => c.placement === 'for-you' && c.variant === variant);
    const count = (event: string): number => counters.filter((c) => c.event === event).reduce((n, c) => n + c.count, 0);
    deepEqual([count('click'), count('add_to_cart'), count('purchase')], [1, 1, 1], 'click, add-to-cart and purchase of another size, credited to the card');
  });
});
