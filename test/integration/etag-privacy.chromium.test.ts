/**
 * ETags cannot identify a shopper, and a signed catalog can be required: the production widget (`dist/`)
 * in real Chromium on a shop page, with a raw HTTP server (`test/support/etag-front.ts`) between the page
 * and the real edge server, recording every request it receives.
 * - An honest server: a repeat visit revalidates the catalog and the manifest with exactly the SHA-256 of
 *   the bytes served (a 304 each), so the cache still works.
 * - A server that gives each client its own ETags and dates: none ever comes back, from any client, over
 *   visits with cookies cleared in between; the widget still ranks.
 * - `data-require-signed-catalog`: a signed catalog is used; an unsigned one, or one changed on the way,
 *   is not (no cards, the error in `edgeRecs.state`), and the production build logs nothing about it.
 */
import { createHash } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { startEtagFront, type EtagFront } from '../support/etag-front.ts';
import { startWidgetShop, type WidgetShop } from '../support/widget-shop.ts';

let browser: Browser;
const running: Array<{ stop(): Promise<void> } | { close(): Promise<void> }> = [];

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const r of running.splice(0).reverse()) await ('stop' in r ? r.stop() : r.close());
});

async function shopBehindFront(options: { signedCatalog?: boolean; identify?: boolean; attributes?: string; rewrite?: (path: string, body: Buffer) => Buffer | undefined } = {}): Promise<{ shop: WidgetShop; front: EtagFront }> {
  const shop = await startWidgetShop({ signedCatalog: options.signedCatalog });
  running.push(shop);
  const front = await startEtagFront(shop.edgeUrl, { identify: options.identify ?? false, rewrite: options.rewrite });
  running.push(front);
  shop.page({ edgeUrl: front.url, attributes: options.attributes ?? '' });
  return { shop, front };
}

type State = { status: string; error?: string; catalogLoad?: string; modelLoad?: { manifest: string } };
const state = (page: Page): Promise<State> => page.evaluate(() => (window as unknown as { edgeRecs: { state: State } }).edgeRecs.state);

/** Opens `url` and waits until the model ranks the rows and the network is quiet. */
async function visit(context: BrowserContext, url: string): Promise<State> {
  const page = await context.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { edgeRecs?: { state: { status: string } } }).edgeRecs?.state.status === 'ready', undefined, { timeout: 30_000 });
    await page.waitForFunction(() => Array.from(document.querySelectorAll('edge-recs')).every((el) => el.shadowRoot?.querySelector('li[part="card"]')), undefined, { timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    return await state(page);
  } finally {
    await page.close();
  }
}

const sha256 = (body: Buffer | string): string => `"${createHash('sha256').update(body).digest('hex')}"`;

describe('revalidation never repeats an ETag the widget cannot verify', () => {
  it('an honest server: the repeat visit revalidates catalog and manifest with the SHA-256 of their bytes and gets 304s', { timeout: 120_000 }, async () => {
    const { shop, front } = await shopBehindFront();
    const context = await browser.newContext();
    const first = await visit(context, `${shop.shopUrl}/`);
    expect(first.catalogLoad).toBe('network');
    const catalog = sha256(Buffer.from(await (await fetch(`${shop.edgeUrl}/v1/catalog`)).arrayBuffer()));
    const manifest = sha256(Buffer.from(await (await fetch(`${shop.edgeUrl}/v1/models/default/manifest`)).arrayBuffer()));
    await context.clearCookies();
    const second = await visit(context, `${shop.shopUrl}/p/sku-01`);
    expect(second.catalogLoad).toBe('revalidated');
    expect(second.modelLoad?.manifest).toBe('revalidated');
    const conditional = front.requests.filter((r) => r.ifNoneMatch !== undefined).map((r) => `${r.path.split('?')[0]} ${r.ifNoneMatch}`);
    // Both answers went out compressed (Chromium accepts br), so their ETags are the content hash made weak.
    expect(conditional.sort()).toEqual([`/v1/catalog W/${catalog}`, `/v1/models/default/manifest W/${manifest}`]);
    expect(front.requests.filter((r) => r.ifModifiedSince !== undefined)).toEqual([]);
    await context.close();
  });

  it('a server giving each client its own ETags and dates never gets one back, from either client, across visits with cookies cleared', { timeout: 180_000 }, async () => {
    const { shop, front } = await shopBehindFront({ identify: true });
    const clients = [await browser.newContext(), await browser.newContext()];
    for (let round = 0; round < 3; round++) {
      for (const context of clients) {
        await context.clearCookies();
        const got = await visit(context, `${shop.shopUrl}/p/sku-0${round + 1}`);
        // Nothing verifiable to revalidate with: fetched in full, and ranked.
        expect(got.catalogLoad).toBe('network');
        expect(got.modelLoad?.manifest).toBe('network');
      }
    }
    expect(front.issued.size).toBeGreaterThan(20);
    expect(front.echoes()).toEqual([]);
    expect(front.requests.filter((r) => r.ifNoneMatch !== undefined || r.ifModifiedSince !== undefined)).toEqual([]);
    for (const context of clients) await context.close();
  });
});

describe('data-require-signed-catalog', () => {
  /** Opens the home page and waits for the widget to settle: ready with cards, or fallback. */
  async function settle(context: BrowserContext, url: string): Promise<{ state: State; cards: number; console: string[] }> {
    const page = await context.newPage();
    const console: string[] = [];
    page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
    try {
      await page.goto(url);
      await page.waitForFunction(() => ['ready', 'fallback'].includes((window as unknown as { edgeRecs?: { state: { status: string } } }).edgeRecs?.state.status ?? ''), undefined, { timeout: 30_000 });
      await page.waitForLoadState('networkidle');
      const cards = await page.evaluate(() => Array.from(document.querySelectorAll('edge-recs')).reduce((n, el) => n + (el.shadowRoot?.querySelectorAll('li[part="card"]').length ?? 0), 0));
      return { state: await state(page), cards, console };
    } finally {
      await page.close();
    }
  }

  it('uses a catalog signed by the pinned key', { timeout: 120_000 }, async () => {
    const { shop } = await shopBehindFront({ signedCatalog: true, attributes: 'data-require-signed-catalog' });
    const context = await browser.newContext();
    const got = await visit(context, `${shop.shopUrl}/`);
    expect(got.status).toBe('ready');
    // The stored copy is checked again on the next visit, and used.
    expect((await visit(context, `${shop.shopUrl}/`)).catalogLoad).toBe('revalidated');
    await context.close();
  });

  it('does not use an unsigned catalog, nor a signed one changed on the way, and says nothing in production', { timeout: 120_000 }, async () => {
    const unsigned = await shopBehindFront({ attributes: 'data-require-signed-catalog' });
    const context = await browser.newContext();
    const a = await settle(context, `${unsigned.shop.shopUrl}/`);
    // The model may still load (state `ready`); without a catalog there is nothing to show.
    expect(a.state.error).toMatch(/catalog unavailable: the catalog is not signed/);
    expect(a.state.catalogLoad).toBeUndefined();
    expect(a.cards).toBe(0);
    expect(a.console).toEqual([]);
    await context.close();

    // A CDN that points a product at another site, keeping everything else (and a matching ETag).
    const tampered = await shopBehindFront({
      signedCatalog: true,
      attributes: 'data-require-signed-catalog',
      rewrite: (path, body) => (path === '/v1/catalog' ? Buffer.from(body.toString('utf8').replace('"/p/sku-00"', '"https://evil.example/p/sku-00"')) : undefined),
    });
    const context2 = await browser.newContext();
    const b = await settle(context2, `${tampered.shop.shopUrl}/`);
    expect(b.state.error).toMatch(/catalog unavailable: the catalog: signature does not match its content/);
    expect(b.state.catalogLoad).toBeUndefined();
    expect(b.cards).toBe(0);
    expect(b.console).toEqual([]);
    await context2.close();

    // Without the attribute the same changed catalog is used: the signature is checked only when required.
    tampered.shop.page({ attributes: '' });
    const context3 = await browser.newContext();
    expect((await visit(context3, `${tampered.shop.shopUrl}/`)).status).toBe('ready');
    await context3.close();
  });
});
