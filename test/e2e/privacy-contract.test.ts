/**
 * The privacy contract (docs/privacy.md), checked on the wire: a scripted shopper session in
 * real Chromium against the demo (`npm start`'s server) — category and product views, card clicks,
 * add-to-carts, a purchase, a Consent Mode grant, enough events for the on-device training step to run
 * and upload — with every request the browser sends recorded as the server receives it (a recording
 * proxy in front of the demo, so beacons, keepalive fetches and worker requests are caught too).
 *
 * Every request must match an allowed shape, and none may carry a shopper event, an item history, a
 * stable identifier or a cookie: metrics bodies must pass `parseMetricsBatch` (counters only, no item
 * ids), update bodies must decode with the one update codec and hold nothing else.
 *
 * The shop runs a holdout experiment and the device is in its treatment arm (it trains and uploads): the
 * experiment's name and the arm are the only new fields that leave it, in the metrics batches' experiment
 * sums, which hold the one session's counts and nothing per session.
 *
 * A second test makes the training worker's script throw and checks the page keeps recommending.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetricsBatch } from '../../core/analytics.ts';
import { drawArm } from '../../core/experiment.ts';
import { decodeUpdate } from '../../core/federated/codec.ts';
import { startRecordingProxy, type Recorded, type RecordingProxy } from '../support/reliability/recording-proxy.ts';
import { launchChromium } from '../support/chromium.ts';
import { startDemoServer, type DemoServer } from '../support/e2e/demo-server.ts';

let server: DemoServer;
let proxy: RecordingProxy;
let browser: Browser;
/** The holdout experiment the shop runs during the session. */
const EXPERIMENT = { name: 'privacy-test', holdout: 0.2, control: 'bestsellers' as const };

beforeAll(async () => {
  server = await startDemoServer();
  proxy = await startRecordingProxy(server.url.replace(/\/$/, ''));
  browser = await launchChromium();
  const token = (await readFile(join(server.dataDir, 'admin-token'), 'utf8')).trim();
  const put = await fetch(`${server.url}v1/admin/models/default/experiment`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(EXPERIMENT),
  });
  expect(put.status, await put.text()).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await server?.stop();
});

/** Pages, the shop's own script and art, the widget's files: static GETs with no query. */
const STATIC = [/^\/$/, /^\/cart$/, /^\/c\/[\w-]+$/, /^\/p\/[\w-]+$/, /^\/demo\/[\w./-]+$/, /^\/widget\/[\w./-]+$/, /^\/favicon\.ico$/];
/** Widget API GETs, with the only query each may have. */
const API_GETS: Array<[RegExp, RegExp]> = [
  // The session's canary bucket, 0-99 (drawn on the device, docs/privacy.md).
  [/^\/v1\/models\/default\/manifest$/, /^(bucket=\d{1,2})?$/],
  [/^\/v1\/blobs\/[0-9a-f]{64}$/, /^$/],
  // A model's files in one request: content hashes only.
  [/^\/v1\/blobs$/, /^sha256=[0-9a-f]{64}(,[0-9a-f]{64})*$/],
  [/^\/v1\/keys$/, /^$/],
  [/^\/v1\/catalog$/, /^$/],
  [/^\/v1\/popular$/, /^model=default$/],
  [/^\/v1\/models\/default\/deltas$/, /^from=[A-Za-z0-9._+-]+$/],
  // The admission token issuer's directory (docs/federated-admission.md).
  [/^\/v1\/federated\/tokens$/, /^$/],
];
/** Request headers a browser sends by itself, and the three the widget may add. */
const HEADERS = new Set([
  'host', 'connection', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'referer', 'origin', 'content-type', 'content-length',
  'cache-control', 'pragma', 'if-none-match', 'if-modified-since', 'range', 'if-range', 'upgrade-insecure-requests', 'priority', 'purpose', 'sec-purpose',
  'x-canary-bucket', 'x-client-token', 'authorization',
]);
/** The one credential the widget sends: a Privacy Pass token (RFC 9577), on an update only. */
const PRIVATE_TOKEN = /^PrivateToken token="?[A-Za-z0-9_-]+=*"?$/;
const CLIENT_TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

interface Session {
  itemIds: Set<string>;
  orderId?: string;
  /** The experiment counts and revenue sums the batches carried. */
  experiments: Array<Record<string, unknown>>;
}

/** Puts the context's device in the experiment's treatment arm (the arm that ranks with the model, trains and uploads): its kept number. */
async function inTreatment(context: BrowserContext): Promise<void> {
  let draw = 0.5;
  while (drawArm(EXPERIMENT, draw) !== 'treatment') draw = (draw + 0.137) % 1;
  await context.addInitScript((d) => {
    if (sessionStorage.getItem('edge-recs:experiment-draw') === null) sessionStorage.setItem('edge-recs:experiment-draw', String(d));
  }, draw);
}

/** The fields of a batch's experiment entries: the experiment's name and the arm, and sums. */
const EXPERIMENT_FIELDS = ['arm', 'cartSessions', 'experiment', 'orders', 'purchaseSessions', 'sessions'];
const EXPERIMENT_REVENUE_FIELDS = ['amount', 'arm', 'currency', 'experiment', 'squares'];

/** Throws naming the first way `r` breaks the contract. */
function checkRequest(r: Recorded, session: Session): void {
  const where = `${r.method} ${r.path}${r.query ? `?${r.query}` : ''}`;
  const header = (name: string): string | undefined => {
    const v = r.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  expect(header('cookie'), `${where}: no cookie`).toBeUndefined();
  if (r.path !== '/v1/updates' || r.body.length === 0) expect(header('authorization'), `${where}: no credentials`).toBeUndefined();
  else expect(header('authorization'), `${where}: an update spends one admission token`).toMatch(PRIVATE_TOKEN);
  for (const name of Object.keys(r.headers)) {
    if (!HEADERS.has(name) && !name.startsWith('sec-ch-') && !name.startsWith('sec-fetch-')) throw new Error(`${where}: unexpected header ${name}: ${header(name)}`);
  }
  const token = header('x-client-token');
  if (token !== undefined && r.path !== '/v1/updates') throw new Error(`${where}: carries the client token`);
  if (header('x-canary-bucket') !== undefined && !/^\d{1,2}$/.test(header('x-canary-bucket')!)) throw new Error(`${where}: canary bucket ${header('x-canary-bucket')}`);

  // Nothing the shopper did may be in a URL: no item id, event name or order id in a query.
  const query = decodeURIComponent(r.query);
  for (const id of session.itemIds) if (query.includes(id)) throw new Error(`${where}: the query names item ${id}`);
  if (/view_item|add_to_cart|purchase|select_item|DEMO-/.test(query)) throw new Error(`${where}: the query names an event`);

  if (r.method === 'GET' || r.method === 'HEAD') {
    expect(r.body.length, `${where}: a GET with a body`).toBe(0);
    if (STATIC.some((p) => p.test(r.path))) {
      expect(r.query, `${where}: static files take no query`).toBe('');
      return;
    }
    const api = API_GETS.find(([p]) => p.test(r.path));
    if (!api) throw new Error(`${where}: not an allowed request`);
    if (!api[1].test(r.query)) throw new Error(`${where}: query not allowed for this route`);
    return;
  }
  if (r.method !== 'POST') throw new Error(`${where}: method not allowed`);
  const text = r.body.toString('latin1');
  for (const id of session.itemIds) if (text.includes(id)) throw new Error(`${where}: the body names item ${id}`);
  if (session.orderId && text.includes(session.orderId)) throw new Error(`${where}: the body names the order`);
  if (r.path === '/v1/metrics') {
    // Strict parser: unknown fields are refused, so a batch that passes holds counters and nothing else.
    const raw = JSON.parse(r.body.toString('utf8')) as { experiments?: Array<Record<string, unknown>>; experimentRevenue?: Array<Record<string, unknown>> };
    const batch = parseMetricsBatch(raw);
    expect(batch.model).toBe('default');
    // Experiment sums: the experiment's name and the device's arm are their only dimensions.
    for (const e of raw.experiments ?? []) {
      expect(Object.keys(e).sort(), `${where}: experiment counts`).toEqual(EXPERIMENT_FIELDS);
      expect([e.experiment, e.arm]).toEqual([EXPERIMENT.name, 'treatment']);
      session.experiments.push(e);
    }
    for (const e of raw.experimentRevenue ?? []) {
      expect(Object.keys(e).sort(), `${where}: experiment revenue`).toEqual(EXPERIMENT_REVENUE_FIELDS);
      expect([e.experiment, e.arm]).toEqual([EXPERIMENT.name, 'treatment']);
      session.experiments.push(e);
    }
    expect(header('referer'), `${where}: the page URL travels with a batch`).toBeUndefined();
    return;
  }
  if (r.path === '/v1/federated/tokens') {
    // A blinded token request (RFC 9578 §5.1): 259 bytes the issuer cannot link to the token it becomes.
    expect(header('content-type')).toBe('application/private-token-request');
    expect(r.body.length).toBe(259);
    expect(header('referer'), `${where}: the page URL travels with a token request`).toBeUndefined();
    return;
  }
  if (r.path === '/v1/updates') {
    if (r.body.length === 0) return; // the widget's "does this server take updates" probe: no body, no token
    expect(token, `${where}: an update carries its client token`).toMatch(CLIENT_TOKEN);
    expect(header('referer'), `${where}: the page URL travels with the client token`).toBeUndefined();
    expect(header('content-type')).toBe('application/vnd.edge-recs.update');
    // The one codec decodes it whole (no trailing bytes): the frame holds the codec's fields only.
    const update = decodeUpdate(new Uint8Array(r.body));
    expect(update.model).toBe('default');
    return;
  }
  throw new Error(`${where}: not an allowed request`);
}

async function waitForCards(page: Page, placement: string): Promise<void> {
  await page.locator(`edge-recs[placement="${placement}"] li[part="card"]`).first().waitFor({ timeout: 60_000 });
}

describe('privacy contract, on the wire', () => {
  it('a whole shopper session sends only allowed requests, none with an event, an item history, an identifier or a cookie', { timeout: 240_000 }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Requests to anywhere but the demo (through the proxy) break the contract outright.
    const elsewhere: string[] = [];
    context.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(proxy.url) && !url.startsWith('data:') && !url.startsWith('blob:')) elsewhere.push(url);
    });
    const session: Session = { itemIds: new Set(), experiments: [] };
    await inTreatment(context);

    await page.goto(proxy.url);
    // The shop's consent banner grants through Google Consent Mode, as a real CMP does.
    await page.evaluate(() => {
      const w = window as unknown as { dataLayer: unknown[] };
      w.dataLayer ??= [];
      w.dataLayer.push(['consent', 'update', { personalization_storage: 'granted', analytics_storage: 'granted' }]);
    });
    await waitForCards(page, 'for-you');

    // Browse: category lists, product pages reached from tiles (select_item) and from cards, add to cart.
    for (let i = 0; i < 4; i++) {
      await page.locator('a[href^="/c/"]').nth(i).click();
      await page.locator('[data-testid="product-tile"]').first().waitFor();
      await page.locator('[data-testid="product-tile"]').nth(i + 1).click();
      await page.locator('[data-testid="product-title"]').waitFor();
      session.itemIds.add(new URL(page.url()).pathname.split('/').pop()!);
      if (i % 2 === 0) await page.locator('[data-testid="add-to-cart"]').click();
      await waitForCards(page, 'similar');
      const card = page.locator('edge-recs[placement="similar"] li[part="card"] a').first();
      const cardId = await page.locator('edge-recs[placement="similar"] li[part="card"]').first().getAttribute('data-item-id');
      await card.click();
      await page.locator('[data-testid="product-title"]').waitFor();
      session.itemIds.add(cardId!);
      await page.locator('a.logo').click();
      await waitForCards(page, 'for-you');
    }
    // Buy what is in the cart.
    await page.locator('a.cart-link').click();
    await page.locator('[data-testid="checkout"]').click();
    session.orderId = (await page.locator('body').textContent())?.match(/DEMO-[A-Z0-9]+/)?.[0];
    const events = await page.evaluate(() => window.edgeRecs!.events());
    if (process.env.DEBUG_PRIVACY) console.log(events.map((e) => e.name).join(' '), '\n', proxy.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join('\n'));
    expect(events.map((e) => e.name)).toEqual(expect.arrayContaining(['view_item', 'view_item_list', 'select_item', 'add_to_cart', 'purchase']));
    for (const e of events) for (const item of e.items) session.itemIds.add(item.item_id);

    // Enough events for the on-device training step: wait for its upload (it trains in a worker).
    await expect.poll(() => proxy.requests.filter((r) => r.path === '/v1/updates' && r.body.length > 0).length, { timeout: 120_000, interval: 500 }).toBeGreaterThan(0);
    // Leaving the page flushes the metric counters (keepalive fetch or beacon).
    await page.goto(`${proxy.url}cart`);
    await expect.poll(() => proxy.requests.filter((r) => r.path === '/v1/metrics').length, { timeout: 30_000, interval: 250 }).toBeGreaterThan(0);
    await page.close();
    await context.close();

    const seen = new Map<string, number>();
    for (const r of proxy.requests) {
      const key = `${r.method} ${r.path.replace(/[0-9a-f]{64}/, ':sha256').replace(/^\/(p|c)\/.*/, '/$1/:id').replace(/^\/(widget|demo)\/.*/, '/$1/*')}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      checkRequest(r, session);
    }
    console.log(`privacy contract: ${proxy.requests.length} requests checked, ${session.itemIds.size} item ids and the order id looked for\n${[...seen].map(([k, n]) => `  ${n.toString().padStart(4)}  ${k}`).join('\n')}`);
    // The client token is one random value, on updates only (checked per request above).
    const tokens = new Set(proxy.requests.map((r) => r.headers['x-client-token']).filter((t) => t !== undefined));
    expect(tokens.size).toBe(1);
    // One shopper session: its sums, not a record of it (one session counted once, whatever the batches).
    const total = (k: string): number => session.experiments.reduce((a, e) => a + (typeof e[k] === 'number' && 'sessions' in e ? (e[k] as number) : 0), 0);
    expect([total('sessions'), total('purchaseSessions')]).toEqual([1, 1]);
    expect(total('orders')).toBeGreaterThanOrEqual(1);
    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a crashing training worker leaves the page recommending, with nothing thrown into the page', { timeout: 240_000 }, async () => {
    const broken = (r: Recorded): boolean => r.path.startsWith('/widget/') && /worker[-.]/.test(r.path) && r.path.endsWith('.js');
    proxy.override(broken, { status: 200, type: 'text/javascript', body: "throw new Error('training worker crashed');" });
    const context = await browser.newContext();
    // A control device shows the bestsellers, never the model's ranking this test waits for.
    await inTreatment(context);
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const before = proxy.requests.length;
      await page.goto(proxy.url);
      await waitForCards(page, 'for-you');
      for (let i = 0; i < 6; i++) {
        const id = await page.locator('[data-testid="product-tile"]').nth(i).getAttribute('data-item-id');
        await page.evaluate((item) => window.edgeRecs!.track('view_item', { items: [{ item_id: item }] }), id);
      }
      // The worker was asked for and failed; training fell back to idle-time steps on the main thread.
      await expect.poll(() => proxy.requests.slice(before).some(broken), { timeout: 60_000, interval: 250 }).toBe(true);
      // A row already showing the fallback keeps it when the model becomes ready, until a new view.
      await page.waitForFunction(() => window.edgeRecs?.state.status === 'ready', undefined, { timeout: 60_000 });
      await page.evaluate(() => window.edgeRecs!.refresh());
      await page.locator('edge-recs[placement="for-you"][state="ready"] li[part="card"]').first().waitFor({ timeout: 60_000 });
      const cards = await page.locator('edge-recs[placement="for-you"] li[part="card"]').count();
      expect(cards).toBeGreaterThan(0);
      // The page still re-ranks on each event.
      const first = await page.locator('edge-recs[placement="for-you"] li[part="card"]').first().getAttribute('data-item-id');
      await page.evaluate((item) => window.edgeRecs!.track('add_to_cart', { items: [{ item_id: item }] }), first);
      await expect.poll(() => page.locator('edge-recs[placement="for-you"] li[part="card"]').first().getAttribute('data-item-id')).not.toBe(first);
      expect(errors).toEqual([]);
    } finally {
      proxy.override(broken, null);
      await context.close();
    }
  });
});
