/**
 * The widget's shopper-facing features as merchants ship them (the production build, `dist/edge-recs.js`),
 * in real Chromium against the real edge server (`test/support/browser/edge-server.ts`): "why this",
 * keyboard navigation, custom card templates, merchant rules, copy locales, the server's popular lists,
 * aggregate metrics, Google Consent Mode, the profile panel, `forget()` and the model cache across visits.
 * Development-build warnings for the merchant config are checked on the development build.
 */
import { parseMetricsBatch, type MetricsBatch } from '../core/analytics.ts';
import { deepEqual, equal, ok } from '../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../test/support/browser/mocha.ts';
import { addRow, brief, cardIds, dbExists, deleteDb, DB_NAME, nextRender, openShop, RECORD_METRICS, recordedMetrics, storedAtLeast, storedEvents, until, type ShopFrame, type ShopOptions } from '../test/support/browser/shop-frame.ts';
import { ADMIN_TOKEN, TEST_CATALOG } from '../test/support/browser/shop-fixture.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
const setBestsellers = (ids: string[]): Promise<Response> =>
  fetch('/v1/admin/models/default/bestsellers', { method: 'PUT', headers: admin, body: JSON.stringify({ ids }) });
const category = (id: string): string => TEST_CATALOG.products.find((p) => p.id === id)!.product_type;

/** Counts of one event in a batch, summed. */
function total(batches: MetricsBatch[], where: Partial<{ placement: string; event: string; modelVersion: string }>): number {
  let n = 0;
  for (const b of batches) {
    for (const c of b.counters) if (Object.entries(where).every(([k, v]) => (c as unknown as Record<string, string>)[k] === v)) n += c.count;
  }
  return n;
}

/** Tables of every object store in the widget's database: name -> row count. */
async function storeCounts(): Promise<Record<string, number>> {
  if (!(await dbExists())) return {};
  const db = await new Promise<IDBDatabase>((resolve) => {
    const req = indexedDB.open(DB_NAME);
    req.onsuccess = () => resolve(req.result);
  });
  const out: Record<string, number> = {};
  for (const name of Array.from(db.objectStoreNames)) {
    out[name] = await new Promise<number>((resolve) => {
      const req = db.transaction(name).objectStore(name).count();
      req.onsuccess = () => resolve(req.result);
    });
  }
  db.close();
  return out;
}

/** Keys of the widget's `meta` store (bandit counts, the pause switch, ...). */
async function metaKeys(): Promise<string[]> {
  if (!(await dbExists())) return [];
  const db = await new Promise<IDBDatabase>((resolve) => {
    const req = indexedDB.open(DB_NAME);
    req.onsuccess = () => resolve(req.result);
  });
  try {
    if (!db.objectStoreNames.contains('meta')) return [];
    return await new Promise<string[]>((resolve) => {
      const req = db.transaction('meta').objectStore('meta').getAllKeys();
      req.onsuccess = () => resolve(req.result.map(String));
    });
  } finally {
    db.close();
  }
}

describe('widget features, production build', () => {
  let shop: ShopFrame | undefined;
  const open = async (options: Omit<ShopOptions, 'build'> = {}): Promise<ShopFrame> => (shop = await openShop({ build: 'prod', ...options }));
  const settled = async (s: ShopFrame): Promise<void> => {
    await s.api.ready();
    await until(() => s.api.state.status !== 'loading', 'the model never finished loading');
  };
  const root = (el: Element): ShadowRoot => el.shadowRoot!;

  beforeEach(async () => {
    await deleteDb();
    sessionStorage.clear();
  });

  afterEach(async () => {
    shop?.close();
    shop = undefined;
    await setBestsellers([]);
    await deleteDb();
  });

  it('explains every card behind an accessible "why this" disclosure', async () => {
    const s = await open();
    await settled(s);
    s.api.track('view_item', { items: [{ item_id: 'p01' }] });
    await storedAtLeast(1, 'view stored');
    const el = await addRow(s, '<edge-recs placement="for-you" count="3"></edge-recs>');
    await until(() => root(el).querySelector('li[data-tier="personal"]'), 'a model-ranked card');
    const li = root(el).querySelector('li[data-tier="personal"]')!;
    const button = li.querySelector<HTMLButtonElement>('button[part="why-button"]')!;
    const note = li.querySelector<HTMLElement>('[part="why"]')!;
    equal(button.getAttribute('aria-expanded'), 'false', 'collapsed at first');
    equal(button.getAttribute('aria-controls'), note.id, 'the button controls the explanation');
    ok(note.hidden, 'explanation hidden at first');
    button.click();
    await (el as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    equal(button.getAttribute('aria-expanded'), 'true', 'expanded after a click');
    ok(!note.hidden, 'explanation shown');
    ok(note.textContent!.includes('Ranked on this device') && note.textContent!.includes('Product 1'), `explanation names the fact behind it (got "${note.textContent}")`);
    ok(li.querySelector('[part="reason"]')!.textContent!.trim().length > 0, 'a copy line on the card');
    deepEqual(s.errors, [], 'page errors');
  });

  it('moves between cards with the arrow keys, Home and End, with one tab stop for the row', async () => {
    const s = await open();
    await settled(s);
    const el = await addRow(s, '<edge-recs placement="trending" count="4"></edge-recs>');
    const links = (): HTMLAnchorElement[] => Array.from(root(el).querySelectorAll<HTMLAnchorElement>('a[part="link"]'));
    deepEqual(links().map((a) => a.tabIndex), [0, -1, -1, -1], 'roving tabindex');
    equal(root(el).querySelector('ul')!.getAttribute('role'), 'list', 'list role');
    ok(root(el).querySelector('ul')!.getAttribute('aria-label'), 'the list has a label');
    links()[0]!.focus();
    const key = (k: string): void => void root(el).activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, composed: true }));
    key('ArrowRight');
    equal(root(el).activeElement, links()[1], 'ArrowRight focuses the next card');
    key('End');
    equal(root(el).activeElement, links()[3], 'End focuses the last card');
    key('ArrowRight');
    equal(root(el).activeElement, links()[3], 'ArrowRight stays on the last card');
    key('Home');
    equal(root(el).activeElement, links()[0], 'Home focuses the first card');
    await (el as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    deepEqual(links().map((a) => a.tabIndex), [0, -1, -1, -1], 'one tab stop follows the focus');
  });

  it('renders the merchant\'s <template> for cards and the carousel layout', async () => {
    const s = await open();
    await settled(s);
    const el = await addRow(
      s,
      `<edge-recs placement="trending" count="3" layout="carousel"><template>
        <a data-field="link" class="mine"><b data-field="title"></b><s data-field="was"></s><i data-field="price"></i><em data-field="reason"></em></a>
      </template></edge-recs>`,
    );
    const cards = Array.from(root(el).querySelectorAll('li[part="card"]'));
    equal(cards.length, 3, 'cards');
    const first = cards[0]!;
    equal(first.querySelector('a.mine')!.getAttribute('href'), '/p/p01', 'link field');
    equal(first.querySelector('b')!.textContent, 'Product 1', 'title field');
    equal(first.querySelector('s'), null, 'the "was" price is removed when the product is not on sale');
    ok(first.querySelector('em')!.textContent!.length > 0, 'reason field');
    equal(root(el).querySelector('ul')!.getAttribute('aria-roledescription'), 'carousel', 'carousel role description');
    ok(root(el).querySelector('[part="prev"]') && root(el).querySelector('[part="next"]'), 'previous and next buttons');
  });

  it('applies merchant rules from the page\'s JSON block and from configure()', async () => {
    const s = await open({
      body: `<script type="application/json" data-edge-recs-config>{"rules": {"exclude": ["Kitchen"], "pin": [{"id": "p10", "position": 1}]}}</script>`,
    });
    await settled(s);
    const el = await addRow(s, '<edge-recs placement="trending" count="4"></edge-recs>');
    const ids = cardIds(el);
    equal(ids[0], 'p10', 'pinned product first');
    ok(ids.every((id) => !category(id).startsWith('Kitchen')), `no excluded category (got ${ids.join(', ')})`);
    const rendered = nextRender(el);
    s.api.configure({ rules: { exclude: [], include: ['Kitchen'], pin: [] } });
    const kitchen = await rendered;
    ok(kitchen.length > 0 && kitchen.every((id) => category(id).startsWith('Kitchen')), `only the included category (got ${kitchen.join(', ')})`);
  });

  it('writes card copy and explanations in the shop\'s locale', async () => {
    const s = await open({ attrs: { 'data-locale': 'de-DE' } });
    await settled(s);
    const el = await addRow(s, '<edge-recs placement="trending" count="2"></edge-recs>');
    equal(root(el).querySelector('[part="why-button"]')!.textContent, 'Warum?', 'why button');
    // The catalog's order is no claim: a neutral line about the product (the bandit picks one of two variants).
    const reason = root(el).querySelector('[part="reason"]')!.textContent!;
    ok(/^Aus unserem Sortiment(: .+)?$/.test(reason), `neutral copy line of a catalog-order card (got "${reason}")`);
    equal(root(el).querySelector('[part="why"]')!.textContent, 'Aus dem Katalog des Shops, in seiner eigenen Reihenfolge.', 'explanation');
    ok(root(el).querySelector('[part="price"]')!.textContent!.includes('€'), 'price in the shop currency');
  });

  it('follows the server\'s bestseller list (GET /v1/popular) before the catalog order', async () => {
    equal((await setBestsellers(['p09', 'p06'])).status, 200, 'bestsellers set through the admin API');
    const s = await open();
    await settled(s);
    const el = await addRow(s, '<edge-recs placement="trending" count="4"></edge-recs>');
    deepEqual(cardIds(el).slice(0, 2), ['p09', 'p06'], 'bestsellers first');
    equal(root(el).querySelector('li')!.getAttribute('data-tier'), 'bestseller', 'tier');
    equal(root(el).querySelector('[part="reason"]')!.textContent!.includes('bestseller'), true, 'bestseller copy only on a bestseller');
  });

  it('sends impressions, clicks, add-to-carts and purchases as counters to POST /v1/metrics, with no identifiers and no item ids', async () => {
    const s = await open({ before: RECORD_METRICS });
    await settled(s);
    s.api.track('view_item', { items: [{ item_id: 'p01' }] });
    await storedAtLeast(1, 'view stored');
    // Links would navigate the frame away; the click itself is what is measured.
    s.win.addEventListener('click', (e) => e.preventDefault(), true);
    const forYou = await addRow(s, '<edge-recs placement="for-you" count="2"></edge-recs>');
    await until(() => root(forYou).querySelector('li[data-tier="personal"]'), 'model-ranked cards');
    const trending = await addRow(s, '<edge-recs placement="trending" count="3"></edge-recs>');
    const clicked = cardIds(forYou)[0]!;
    // A card counts once it has been at least half in view for a second (a viewable impression).
    const pending = (): MetricsBatch[] => {
      const batch = (s.win.customElements.get('edge-recs') as unknown as { engine: { metrics: { pending(): MetricsBatch | undefined } } }).engine.metrics.pending();
      return batch ? [batch] : [];
    };
    await until(() => total(pending(), { placement: 'trending', event: 'impression' }) >= 3 && total(pending(), { placement: 'for-you', event: 'impression' }) >= 2, 'viewable impressions counted');
    root(forYou).querySelector<HTMLAnchorElement>('a[part="link"]')!.click();
    s.api.track('add_to_cart', { items: [{ item_id: clicked, quantity: 1 }] });
    s.api.track('purchase', { items: [{ item_id: clicked, quantity: 1 }] });
    await until(async () => (await storedEvents()).some((e) => e.name === 'purchase'), 'purchase stored');
    s.win.dispatchEvent(new PageTransitionEvent('pagehide'));
    const sent = await until(() => (recordedMetrics(s).length > 0 ? recordedMetrics(s) : undefined), 'a metrics batch was sent');
    equal(sent[0]!.status, 202, 'the real server accepted the batch');
    const batches = sent.map((m) => parseMetricsBatch(JSON.parse(m.body)));
    // At least: the purchase re-ranks both rows, and cards new to a row count when they are seen.
    ok(total(batches, { placement: 'trending', event: 'impression', modelVersion: 'fallback' }) >= 3, 'trending impressions');
    ok(total(batches, { placement: 'for-you', event: 'impression', modelVersion: 'v1' }) >= 2, 'for-you impressions, attributed to the model version');
    equal(total(batches, { placement: 'for-you', event: 'click' }), 1, 'clicks');
    equal(total(batches, { placement: 'for-you', event: 'add_to_cart' }), 1, 'add-to-carts of the clicked item');
    equal(total(batches, { placement: 'for-you', event: 'purchase' }), 1, 'purchases of the clicked item');
    ok(batches.every((b) => b.counters.every((c) => c.variant !== 'none')), 'every counter names its copy variant');
    for (const m of sent) ok(!/p\d\d|"id"|user|device|session/.test(m.body), `no item ids or identifiers in ${m.body}`);
    const readout = (await (await fetch('/v1/admin/metrics?model=default', { headers: admin })).json()) as { byPlacement: Array<{ placement: string; click: number | null }> };
    ok((readout.byPlacement.find((r) => r.placement === 'for-you')?.click ?? 0) >= 1, 'the server counted the click');
    void trending;
  });

  it('honours Google Consent Mode: nothing stored while personalization_storage is denied, stored once granted, erased when withdrawn', async () => {
    const s = await open({
      before: `<script>window.dataLayer = []; function gtag() { dataLayer.push(arguments); }
        gtag('consent', 'default', { analytics_storage: 'denied', personalization_storage: 'denied' });</script>`,
    });
    const gtag = (...args: unknown[]): void => void (s.win as unknown as { gtag: (...a: unknown[]) => void }).gtag(...args);
    s.api.track('view_item', { items: [{ item_id: 'p02' }] });
    await settled(s);
    deepEqual(brief(await s.api.events()), ['view_item:p02'], 'kept in memory');
    await sleep(200);
    equal(await dbExists(), false, 'no database while denied');
    gtag('consent', 'update', { personalization_storage: 'granted', analytics_storage: 'granted' });
    deepEqual(brief(await storedAtLeast(1, 'stored after the grant')), ['view_item:p02'], 'stored events');
    gtag('consent', 'update', { personalization_storage: 'denied' });
    await until(async () => !(await dbExists()), 'the database is erased when consent is withdrawn');
    s.api.track('view_item', { items: [{ item_id: 'p03' }] });
    await sleep(200);
    equal(await dbExists(), false, 'nothing stored after the withdrawal');
    deepEqual(s.errors, [], 'page errors');
  });

  it('opens the profile panel: what is stored, pause (kept across pages) and erase all', async () => {
    const s = await open();
    await settled(s);
    s.api.track('view_item', { items: [{ item_id: 'p01' }] });
    s.api.track('view_item', { items: [{ item_id: 'p04' }] });
    await until(async () => (await storedEvents()).length === 2, 'views stored');
    await s.api.openProfile();
    const dialog = await until(() => s.doc.querySelector('dialog[data-edge-recs-profile]'), 'profile dialog');
    ok((dialog as HTMLDialogElement).open, 'the dialog is open (modal)');
    const panel = dialog.querySelector('edge-recs-profile')!;
    const text = await until(() => panel.shadowRoot?.querySelector('[data-testid="profile-events"]')?.textContent, 'profile summary');
    ok(text.includes('2 events') && text.includes('IndexedDB'), `summary (got "${text}")`);
    panel.shadowRoot!.querySelector<HTMLButtonElement>('[part="pause"]')!.click();
    await until(() => s.api.state.paused === true, 'paused');
    s.api.track('view_item', { items: [{ item_id: 'p05' }] });
    await sleep(200);
    equal((await storedEvents()).length, 2, 'no event stored while paused');
    s.close();
    const next = await open();
    await next.api.ready();
    equal(next.api.state.paused, true, 'still paused on the next page');
    await next.api.openProfile();
    const panel2 = (await until(() => next.doc.querySelector('edge-recs-profile'), 'panel')) as HTMLElement;
    await until(() => panel2.shadowRoot?.querySelector('[part="erase"]'), 'erase button');
    panel2.shadowRoot!.querySelector<HTMLButtonElement>('[part="erase"]')!.click();
    await until(async () => (await storedEvents()).length === 0, 'erased');
    await until(() => panel2.shadowRoot?.querySelector('[data-testid="profile-empty"]'), 'the panel shows nothing stored');
  });

  it('loads no model bytes on a repeat visit (IndexedDB cache, manifest revalidated), and forget() erases everything', async () => {
    const first = await open();
    await settled(first);
    equal(first.api.state.modelLoad?.manifest, 'network', 'first visit');
    first.api.track('view_item', { items: [{ item_id: 'p01' }] });
    await storedAtLeast(1, 'view stored');
    first.close();
    const again = await open();
    await settled(again);
    deepEqual(again.api.state.modelLoad, { manifest: 'revalidated', filesFromCache: 3, filesFetched: 0, bytesFetched: 0 }, 'repeat visit');
    const blobs = again.win.performance.getEntriesByType('resource').filter((e) => e.name.includes('/v1/blobs/'));
    deepEqual(blobs.map((e) => e.name), [], 'model file requests on the repeat visit');
    const el = await addRow(again, '<edge-recs placement="for-you" count="2"></edge-recs>');
    ok(cardIds(el).length === 2, 'cards');
    // The copy bandit's counts are saved a second after the cards' viewable impressions.
    await until(async () => (await metaKeys()).includes('bandit'), "the copy bandit's counts stored");
    const before = await storeCounts();
    ok(before.blobs! > 0 && before.manifests === 1 && before.catalogs === 1 && before.events === 1 && before.meta! > 0, `stored before forget (${JSON.stringify(before)})`);
    await again.api.forget();
    deepEqual(await storeCounts(), { blobs: 0, catalogs: 0, events: 0, manifests: 0, meta: 0 }, 'every store after forget()');
  });
});

describe('merchant config, development build', () => {
  let shop: ShopFrame | undefined;
  afterEach(async () => {
    shop?.close();
    await deleteDb();
  });

  it('drops invalid config entries with a warning naming them and the valid choices, and never breaks the page', async () => {
    shop = await openShop({
      build: 'dev',
      body: `<script type="application/json" data-edge-recs-config>{"rules": {"boost": [{"brand": "X", "by": 3}]}, "placements": {"home": {}}}</script>
        <script type="application/json" data-edge-recs-config>{ not json</script>`,
    });
    await shop.api.ready();
    shop.api.configure({ lowStock: 'few' });
    const warnings = shop.warnings.join('\n');
    for (const expected of ['boost[0] needs "by", a number from -1 to 1', 'placements.home is not a placement; choose from for-you', 'is not valid JSON', 'lowStock must be a whole number']) {
      ok(warnings.includes(expected), `a warning containing ${JSON.stringify(expected)}; got:\n${warnings}`);
    }
    deepEqual(shop.errors, [], 'page errors');
  });
});
