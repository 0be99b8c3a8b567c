/**
 * Holdout experiments on the device, production build in real Chromium against the real edge server
 * (`test/support/browser/edge-server.ts`, which serves the experiment in `/v1/popular`): the arm drawn once
 * and kept from page to page (with the profile under storage consent, for the session without), control
 * rows as the experiment configures them (the bestsellers and then the catalog's order, with no history
 * and no claim about the shopper; or nothing, with no space reserved), and the shop's outcomes counted
 * per session and arm across page views into the metrics batches.
 */
import { drawArm, type Experiment, type ExperimentCounter, type ExperimentRevenue } from '../../core/experiment.ts';
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { ADMIN_TOKEN, OUT_OF_STOCK, PRODUCT_IDS } from '../../test/support/browser/shop-fixture.ts';
import { addRow, cardIds, DB_NAME, deleteDb, NO_WORKERS, openShop, RECORD_METRICS, recordedMetrics, until, type ShopFrame, type ShopOptions } from '../../test/support/browser/shop-frame.ts';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
const DRAW_KEY = 'edge-recs:experiment-draw';

async function startExperiment(body: { name: string; holdout: number; control: 'bestsellers' | 'none' }): Promise<Experiment> {
  const res = await fetch('/v1/admin/models/default/experiment', { method: 'PUT', headers: admin, body: JSON.stringify(body) });
  equal(res.status, 201, `PUT experiment: ${await res.clone().text()}`);
  return { ...body, startedAt: new Date().toISOString() };
}

/** A draw in [0, 1) that puts a device in `arm` of `experiment`. */
function drawFor(experiment: Pick<Experiment, 'name' | 'holdout'>, arm: 'treatment' | 'control'): number {
  for (let i = 0; i < 10_000; i++) {
    const draw = (i + 0.5) / 10_000;
    if (drawArm(experiment, draw) === arm) return draw;
  }
  throw new Error(`no draw gives ${arm}`);
}

/** The draw kept with the profile (IndexedDB meta `experimentDraw`), if any. */
async function profileDraw(): Promise<unknown> {
  if (!(await indexedDB.databases()).some((d) => d.name === DB_NAME)) return undefined;
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  try {
    if (!db.objectStoreNames.contains('meta')) return undefined;
    return await new Promise((resolve, reject) => {
      const req = db.transaction('meta').objectStore('meta').get('experimentDraw');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

const bestsellers = (ids: string[]): Promise<Response> => fetch('/v1/admin/models/default/bestsellers', { method: 'PUT', headers: admin, body: JSON.stringify({ ids }) });

/** The built-in texts a card may say about the shopper's own activity (`copy/templates.ts`, English). */
const ABOUT_SHOPPER = /you viewed|your|because|picked for you|favourite|shoppers who|your activity|this device/i;

describe('holdout experiments on the device, production build', () => {
  const frames: ShopFrame[] = [];
  const open = async (options: Omit<ShopOptions, 'build'> = {}): Promise<ShopFrame> => {
    const s = await openShop({ build: 'prod', ...options, before: NO_WORKERS + RECORD_METRICS + (options.before ?? '') });
    frames.push(s);
    await s.api.ready();
    return s;
  };
  const armOf = (s: ShopFrame): Promise<string | null> => until(() => (s.api.state.arm === undefined ? undefined : { arm: s.api.state.arm }), 'the arm was never known').then((a) => a.arm);

  beforeEach(async () => {
    await deleteDb();
    sessionStorage.clear();
    localStorage.clear();
  });

  afterEach(async () => {
    for (const s of frames.splice(0)) s.close();
    await fetch('/v1/admin/models/default/experiment', { method: 'DELETE', headers: admin });
    await bestsellers([]);
    sessionStorage.clear();
    localStorage.clear();
    await deleteDb();
  });

  it('says arm null where no experiment runs, and keeps no draw', async () => {
    const s = await open();
    equal(await armOf(s), null, 'equal(await armOf(s), null);');
    equal(sessionStorage.getItem(DRAW_KEY), null, 'no draw in sessionStorage');
    equal(await profileDraw(), undefined, 'no draw with the profile');
  });

  it('draws the arm once and keeps it with the profile under storage consent, from page to page and session to session', async () => {
    const experiment = await startExperiment({ name: 'kept-arm', holdout: 0.5, control: 'bestsellers' });
    const first = await open();
    const arm = await armOf(first);
    const draw = await until(() => profileDraw(), 'no draw kept with the profile');
    ok(typeof draw === 'number' && draw >= 0 && draw < 1, `a uniform draw kept with the profile (got ${String(draw)})`);
    equal(arm, drawArm(experiment, draw as number), 'the arm is drawn from the kept number');
    // Another page, then a new session (sessionStorage gone): the profile's draw decides.
    equal(await armOf(await open()), arm, 'the next page keeps the arm');
    sessionStorage.clear();
    equal(await armOf(await open()), arm, 'a new session keeps the arm');
    equal(await profileDraw(), draw, 'the draw is not redrawn');
    // forget() erases it with the profile.
    const last = await open();
    await armOf(last);
    await last.api.forget();
    equal(await profileDraw(), undefined, 'forget() erased the draw');
    equal(sessionStorage.getItem(DRAW_KEY), null, 'forget() erased the session copy');
  });

  it('without storage consent keeps the draw for the session only (sessionStorage), never in IndexedDB', async () => {
    const experiment = await startExperiment({ name: 'session-arm', holdout: 0.5, control: 'bestsellers' });
    const attrs = { 'data-consent': 'required' };
    const first = await open({ attrs });
    const arm = await armOf(first);
    const kept = Number(sessionStorage.getItem(DRAW_KEY));
    ok(kept >= 0 && kept < 1, `a draw kept for the session (got ${sessionStorage.getItem(DRAW_KEY)})`);
    equal(arm, drawArm(experiment, kept), 'equal(arm, drawArm(experiment, kept));');
    equal(await armOf(await open({ attrs })), arm, 'the next page of the session keeps the arm');
    equal(await profileDraw(), undefined, 'nothing in IndexedDB');
    // A new session draws afresh.
    sessionStorage.clear();
    await armOf(await open({ attrs }));
    const again = sessionStorage.getItem(DRAW_KEY);
    ok(again !== null && Number(again) !== kept, 'a new session drew a new number');
  });

  it('control "bestsellers": rows show the bestsellers, then the catalog order, read nothing of the shopper and claim nothing about them', async () => {
    const experiment = await startExperiment({ name: 'control-rows', holdout: 0.5, control: 'bestsellers' });
    equal((await bestsellers(['p07', 'p03'])).status, 200, 'equal((await bestsellers([p07, p03])).status, 200);');
    sessionStorage.setItem(DRAW_KEY, String(drawFor(experiment, 'control')));
    const s = await open({ attrs: { 'data-consent': 'required' } });
    equal(await armOf(s), 'control', 'equal(await armOf(s), control);');
    // A history that the treatment arm would rank after, show back and name.
    for (const id of ['p01', 'p02', 'p05']) s.api.track('view_item', { items: [{ item_id: id }] });
    s.api.track('add_to_cart', { items: [{ item_id: 'p05', price: 15 }] });
    await until(async () => (await s.api.events()).length >= 4, 'events stored');
    const expected = ['p07', 'p03', ...PRODUCT_IDS.filter((id) => id !== 'p07' && id !== 'p03' && id !== OUT_OF_STOCK)];
    for (const placement of ['for-you', 'cart', 'trending']) {
      const row = await addRow(s, `<edge-recs placement="${placement}" count="6"></edge-recs>`);
      deepEqual(cardIds(row), expected.slice(0, 6), `${placement}: bestsellers, then the catalog order, including what the shopper viewed or carted`);
      equal(row.getAttribute('state'), 'fallback', 'equal(row.getAttribute(state), fallback);');
      const cards = Array.from(row.shadowRoot!.querySelectorAll('li[part="card"]'));
      for (const li of cards) {
        equal(li.getAttribute('data-source'), 'fallback', `${placement}: no card from the model`);
        const reason = li.querySelector('[part="reason"]')!.textContent!;
        const why = li.querySelector('[part="why"]')!.textContent!;
        ok(!ABOUT_SHOPPER.test(reason), `${placement}: "${reason}" claims nothing about the shopper`);
        ok(!ABOUT_SHOPPER.test(why), `${placement}: "${why}" claims nothing about the shopper`);
        ok(/bestseller|catalog/i.test(why), `${placement}: "why this" says bestseller or the shop's selection (got "${why}")`);
      }
    }
    // On a product page: the product on screen is left out, and nothing is "similar" to it.
    const similar = await addRow(s, '<edge-recs placement="similar" item-id="p07" count="3"></edge-recs>');
    deepEqual(cardIds(similar), ['p03', 'p01', 'p02'], 'deepEqual(cardIds(similar), [p03, p01, p02]);');
    // Recently viewed is the shopper's history: a control row shows nothing.
    const recent = await addRow(s, '<edge-recs placement="recently-viewed" count="3"></edge-recs>');
    equal(recent.getAttribute('state'), 'empty', 'equal(recent.getAttribute(state), empty);');
    deepEqual(s.errors, [], 'page errors');
  });

  it('control "none": rows collapse and reserve no space; the next page reserves none from the start (no layout shift)', async () => {
    const experiment = await startExperiment({ name: 'control-none', holdout: 0.5, control: 'none' });
    sessionStorage.setItem(DRAW_KEY, String(drawFor(experiment, 'control')));
    const body = '<p>above</p><edge-recs placement="for-you" count="4"><h2 slot="heading">For you</h2></edge-recs><p id="below">below</p>';
    const measure = `<script>
      window.__shifts = 0; window.__heights = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) { window.__shifts += e.value; window.__sources = (window.__sources || []).concat(e.sources.map((x) => (x.node && x.node.nodeName) + ' ' + JSON.stringify(x.previousRect) + '->' + JSON.stringify(x.currentRect) + ' at ' + e.startTime)); } }).observe({ type: 'layout-shift', buffered: true });
      addEventListener('DOMContentLoaded', () => window.__heights.push(document.querySelector('edge-recs').getBoundingClientRect().height));
    </script>`;
    // `blocking="render"` (docs/merchant-guide.md): the loader's stylesheet is in the page's first frame.
    const attrs = { 'data-consent': 'required', blocking: 'render' };
    const first = await open({ attrs, body, after: measure });
    equal(await armOf(first), 'control', 'equal(await armOf(first), control);');
    const row = first.doc.querySelector('edge-recs')!;
    await until(() => row.getAttribute('state') === 'empty', 'the row never settled');
    ok(row.hasAttribute('holdout'), 'the row is marked held out');
    equal(row.getBoundingClientRect().height, 0, 'the row takes no space');
    equal(row.shadowRoot!.querySelectorAll('li').length, 0, 'no cards');
    const firstHeights = (first.win as unknown as { __heights: number[] }).__heights;
    ok(firstHeights[0]! > 0, `the first page reserved space before the arm was known (${firstHeights[0]} px): the case the note avoids next time`);

    const next = await open({ attrs, body, after: measure });
    const heights = (next.win as unknown as { __heights: number[] }).__heights;
    equal(heights[0], 0, 'the next page reserves no space from its first paint');
    const nextRow = next.doc.querySelector('edge-recs')!;
    await until(() => nextRow.getAttribute('state') === 'empty', 'the row never settled');
    equal(nextRow.getBoundingClientRect().height, 0, 'equal(nextRow.getBoundingClientRect().height, 0);');
    equal((next.win as unknown as { __shifts: number }).__shifts, 0, `no layout shift: ${JSON.stringify((next.win as unknown as { __sources: unknown }).__sources)}`);
    // The experiment ends: the note goes, and rows reserve space again.
    await fetch('/v1/admin/models/default/experiment', { method: 'DELETE', headers: admin });
    const after = await open({ attrs, body });
    equal(await armOf(after), null, 'equal(await armOf(after), null);');
    await until(() => after.doc.querySelector('edge-recs')!.getBoundingClientRect().height > 0, 'rows show again once the experiment ended');
    equal(sessionStorage.getItem('edge-recs:holdout'), null, 'the note is gone');
  });

  for (const arm of ['treatment', 'control'] as const) {
    it(`counts the ${arm} arm's sessions, add-to-carts, orders and revenue across page views, an order reported twice once`, async () => {
      const experiment = await startExperiment({ name: `outcomes-${arm}`, holdout: 0.5, control: 'bestsellers' });
      // The device's kept draw, put with the profile before the first page (as an earlier visit would have).
      sessionStorage.setItem(DRAW_KEY, String(drawFor(experiment, arm)));
      const pages: ShopFrame[] = [];
      // Page 1: a product page with a row; the shopper adds to the cart (no card clicked).
      const product = await open({ body: '<edge-recs placement="similar" item-id="p02" count="4"></edge-recs>' });
      pages.push(product);
      equal(await armOf(product), arm, 'equal(await armOf(product), arm);');
      product.api.track('view_item', { items: [{ item_id: 'p02', price: 12 }] });
      product.api.track('add_to_cart', { items: [{ item_id: 'p02', price: 12, quantity: 2 }] });
      await until(async () => (await product.api.events()).length >= 2, 'events stored');
      product.win.dispatchEvent(new PageTransitionEvent('pagehide'));
      // Page 2: the thank-you page, no row on it: the order (value 24.9 EUR) counts for the session.
      const thanks = await open();
      pages.push(thanks);
      thanks.api.track('purchase', { transaction_id: 'T-1', value: 24.9, currency: 'EUR', items: [{ item_id: 'p02', price: 12, quantity: 2 }] });
      await until(async () => (await thanks.api.events()).some((e) => e.name === 'purchase'), 'purchase stored');
      await armOf(thanks);
      thanks.win.dispatchEvent(new PageTransitionEvent('pagehide'));
      // Page 3: the thank-you page reloaded reports it again; then a second order without a value.
      const again = await open();
      pages.push(again);
      again.api.track('purchase', { transaction_id: 'T-1', value: 24.9, currency: 'EUR', items: [{ item_id: 'p02', price: 12, quantity: 2 }] });
      again.api.track('purchase', { transaction_id: 'T-2', items: [{ item_id: 'p03', price: 13, quantity: 1 }] });
      await until(async () => (await again.api.events()).filter((e) => e.name === 'purchase').length >= 2, 'purchases stored');
      await armOf(again);
      again.win.dispatchEvent(new PageTransitionEvent('pagehide'));
      // Every page sent what it counted as it went (answered by the server: recorded).
      for (const page of pages) await until(() => recordedMetrics(page).length > 0 || undefined, `no batch from ${pages.indexOf(page) + 1}`);
      const sent = pages.flatMap((page) => recordedMetrics(page).map((r) => {
        equal(r.status, 202, `the server took the batch: ${r.body}`);
        return JSON.parse(r.body) as { experiments?: ExperimentCounter[]; experimentRevenue?: ExperimentRevenue[] };
      }));
      const counters = sent.flatMap((b) => b.experiments ?? []);
      const revenue = sent.flatMap((b) => b.experimentRevenue ?? []);
      const sum = (k: keyof ExperimentCounter): number => counters.reduce((a, c) => a + (c[k] as number), 0);
      ok(counters.every((c) => c.experiment === experiment.name && c.arm === arm), `only ${experiment.name}/${arm} counted: ${JSON.stringify(counters)}`);
      deepEqual([sum('sessions'), sum('cartSessions'), sum('purchaseSessions'), sum('orders')], [1, 1, 1, 2], 'one session, with an add-to-cart and a purchase, two orders');
      const amount = revenue.reduce((a, r) => a + r.amount, 0);
      const squares = revenue.reduce((a, r) => a + r.squares, 0);
      deepEqual([amount, squares], [2490 + 1300, (2490 + 1300) ** 2], 'the session revenue in cents, and its square');
      ok(revenue.every((r) => r.currency === 'EUR' && r.arm === arm), 'ok(revenue.every((r) => r.currency === EUR && r.arm === ar');
    });
  }
});
