/**
 * The production widget (`dist/`, as merchants ship it) in real Chromium, on a shop page of its own
 * origin talking to a separate edge server (`test/support/reliability/shop.ts`):
 * - integrity: every damaged or tampered artifact (`mutations.ts`) is refused by the widget's real loading
 *   code, the error is reported in `edgeRecs.state`, and the row still shows cards (the fallback chain);
 * - faults: after a first visit, a stopped or slow edge server leaves the shopper with cards ranked by the
 *   model cached in IndexedDB;
 * - security: the widget works under a strict nonce-based Content-Security-Policy with no violation, and
 *   under Subresource Integrity with the hash the build publishes (`dist/integrity.json`).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import type { EngineState } from '../../widget/engine/engine.ts';
import { MUTATIONS, signedTwoShardArtifact, type SignedArtifact } from './mutations.ts';
import { startShop, type Shop } from '../support/reliability/shop.ts';

let browser: Browser;
let signed: SignedArtifact;
let shop: Shop;

beforeAll(async () => {
  signed = await signedTwoShardArtifact();
  shop = await startShop(signed.artifact, signed.trusted);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await shop?.stop();
});

interface Visit {
  page: Page;
  errors: string[];
  violations: string[];
}

async function open(context: BrowserContext, path = '/'): Promise<Visit> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${shop.shopUrl}${path}`);
  return { page, errors, violations: [] };
}

/** `edgeRecs.state` once the model has loaded or failed. */
async function settled(page: Page, timeout = 30_000): Promise<EngineState> {
  if (process.env.DEBUG_WIDGET) page.on('console', (m) => console.log('console:', m.text()));
  if (process.env.DEBUG_WIDGET) page.on('requestfailed', (r) => console.log('failed:', r.url(), r.failure()?.errorText));
  await page.waitForFunction(() => {
    const s = (window as unknown as { edgeRecs?: { state: EngineState } }).edgeRecs?.state;
    return s && (s.status === 'ready' || s.error !== undefined);
  }, undefined, { timeout });
  return page.evaluate(() => (window as unknown as { edgeRecs: { state: EngineState } }).edgeRecs.state);
}

async function cards(page: Page): Promise<string[]> {
  await page.locator('edge-recs li[part="card"]').first().waitFor({ timeout: 30_000 });
  return page.locator('edge-recs li[part="card"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-item-id') ?? ''));
}

describe('integrity: the widget refuses every damaged or tampered artifact', () => {
  it('loads the intact artifact (the refusals below are the checks, not the setup)', { timeout: 60_000 }, async () => {
    shop.damage(null);
    shop.page({ attributes: 'data-backend="cpu"' });
    const context = await browser.newContext();
    const { page, errors } = await open(context);
    const state = await settled(page);
    expect(state.status).toBe('ready');
    expect(state.modelVersion).toBe('v1');
    expect(await cards(page)).toHaveLength(4);
    expect(errors).toEqual([]);
    await context.close();
  });

  for (const mutation of MUTATIONS) {
    it(`${mutation.name}: refused with a clear error, cards from the fallback chain, nothing thrown into the page`, { timeout: 60_000 }, async () => {
      shop.damage(await mutation.apply(signed));
      shop.page({ attributes: 'data-backend="cpu"' });
      const context = await browser.newContext();
      try {
        const { page, errors } = await open(context);
        const state = await settled(page);
        expect(state.status).toBe('fallback');
        expect(state.error).toMatch(mutation.error);
        expect(state.modelVersion).toBeUndefined();
        expect(await cards(page)).toHaveLength(4);
        // Nothing of the refused artifact was kept: the model cache is empty.
        const cached = await page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const req = indexedDB.open('edge-recs');
              req.onsuccess = () => {
                const db = req.result;
                if (!db.objectStoreNames.contains('blobs')) return resolve(0);
                const count = db.transaction('blobs').objectStore('blobs').count();
                count.onsuccess = () => resolve(count.result);
              };
            }),
        );
        expect(cached).toBe(0);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        shop.damage(null);
      }
    });
  }
});

describe('security: strict CSP with a nonce, and Subresource Integrity', () => {
  const STRICT = "default-src 'none'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; connect-src {edge}; img-src 'self' data:; worker-src {edge} blob:; base-uri 'none'; object-src 'none'";
  /** Whether the training worker's script was fetched from the edge server since log entry `from`. */
  const workerLoaded = (from: number): boolean => shop.log.slice(from).some((l) => /^GET \/widget\/assets\/worker-[\w-]+\.js 200$/.test(l));

  for (const backend of ['wasm', 'cpu']) {
    it(`renders model-ranked cards under "${STRICT.split(';')[1]!.trim()}" on the ${backend} backend with no CSP violation`, { timeout: 60_000 }, async () => {
      shop.page({ csp: STRICT, attributes: `data-backend="${backend}"` });
      const context = await browser.newContext();
      try {
        const { page, errors } = await open(context);
        const state = await settled(page);
        expect(state.error).toBeUndefined();
        expect(state.status).toBe('ready');
        expect(state.backend).toBe(backend);
        expect(await cards(page)).toHaveLength(4);
        // Enough events for the on-device training step: it trains and uploads under the policy.
        const before = shop.log.length;
        for (const id of ['sku-b', 'sku-d', 'sku-a', 'sku-f', 'sku-c', 'sku-e']) await page.evaluate((item) => window.edgeRecs!.track('view_item', { items: [{ item_id: item }] }), id);
        await expect.poll(() => shop.log.slice(before).find((l) => l.startsWith('POST /v1/updates') && l.endsWith(' 202')), { timeout: 60_000, interval: 250 }).toBeTruthy();
        // In a worker, although the widget comes from the edge server's origin: a blob: bootstrap of the
        // page's origin imported the worker chunk (CORS).
        expect(workerLoaded(before)).toBe(true);
        const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
        expect(violations).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('without blob: in worker-src, on-device training falls back to the main thread and still uploads; the only violation is the refused blob: worker', { timeout: 90_000 }, async () => {
    shop.page({ csp: STRICT.replace(' blob:', ''), attributes: 'data-backend="cpu"' });
    const context = await browser.newContext();
    try {
      const { page, errors } = await open(context);
      expect((await settled(page)).status).toBe('ready');
      const before = shop.log.length;
      for (const id of ['sku-b', 'sku-d', 'sku-a', 'sku-f', 'sku-c', 'sku-e']) await page.evaluate((item) => window.edgeRecs!.track('view_item', { items: [{ item_id: item }] }), id);
      await expect.poll(() => shop.log.slice(before).find((l) => l.startsWith('POST /v1/updates') && l.endsWith(' 202')), { timeout: 60_000, interval: 250 }).toBeTruthy();
      expect(workerLoaded(before)).toBe(false);
      const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
      expect(violations.length).toBeGreaterThan(0);
      expect(violations.filter((v) => !/^worker-src blob/.test(v))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('needs no eval: without \'wasm-unsafe-eval\' only the WASM backend is refused, and the CPU backend still ranks', { timeout: 60_000 }, async () => {
    shop.page({ csp: STRICT.replace(" 'wasm-unsafe-eval'", ''), attributes: 'data-backend="cpu"' });
    const context = await browser.newContext();
    try {
      const { page, errors } = await open(context);
      const state = await settled(page);
      expect(state.status).toBe('ready');
      expect(state.backend).toBe('cpu');
      const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
      expect(violations.filter((v) => !v.startsWith('script-src') || !/wasm|eval/.test(v))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('loads with the SRI hash the build publishes, and a wrong hash is blocked by the browser (no widget, no error in the page)', { timeout: 60_000 }, async () => {
    const integrity = shop.loaderIntegrity;
    expect(shop.publishedIntegrity, 'dist/integrity.json names the built loader').toBe(integrity);
    shop.page({ integrity, attributes: 'data-backend="cpu"' });
    let context = await browser.newContext();
    const good = await open(context);
    expect((await settled(good.page)).status).toBe('ready');
    await context.close();

    shop.page({ integrity: `sha384-${'A'.repeat(64)}`, attributes: 'data-backend="cpu"' });
    context = await browser.newContext();
    const bad = await open(context);
    await bad.page.waitForTimeout(500);
    expect(await bad.page.evaluate(() => typeof window.edgeRecs)).toBe('undefined');
    expect(bad.errors).toEqual([]);
    await context.close();
  });
});

describe('faults: the edge server down or slow after a first visit', () => {
  /** A first visit that loads and caches the model and stores a short history; returns the shop and context. */
  async function firstVisit(): Promise<{ own: Shop; context: BrowserContext; before: string[] }> {
    const own = await startShop(signed.artifact, signed.trusted);
    // The next visit comes after the catalog's HTTP cache lifetime: only the widget's own copy can help.
    own.expireCatalog();
    own.page({ attributes: 'data-backend="cpu"' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${own.shopUrl}/`);
    await page.waitForFunction(() => window.edgeRecs?.state.status === 'ready', undefined, { timeout: 30_000 });
    await page.evaluate(async () => {
      window.edgeRecs!.track('view_item', { items: [{ item_id: 'sku-b' }] });
      window.edgeRecs!.track('add_to_cart', { items: [{ item_id: 'sku-c' }] });
      await window.edgeRecs!.events();
    });
    await page.waitForTimeout(200);
    const before = await page.locator('edge-recs li[part="card"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-item-id') ?? ''));
    await page.close();
    return { own, context, before };
  }

  for (const fault of ['stopped', 'slow'] as const) {
    it(`${fault}: the next visit, past the catalog's HTTP cache lifetime, still shows model-ranked cards from the IndexedDB cache (model and catalog), with the shopper's history, and no page error`, { timeout: 90_000 }, async () => {
      const { own, context, before } = await firstVisit();
      try {
        if (fault === 'stopped') await own.stopEdge();
        else own.slow(60_000);
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        const started = Date.now();
        await page.goto(`${own.shopUrl}/`);
        const state = await settled(page, 40_000);
        const ms = Date.now() - started;
        const shown = await cards(page);
        console.log(`edge server ${fault}: ${JSON.stringify(state)}; cards after ${ms} ms: ${shown.join(', ')} (first visit: ${before.join(', ')})`);
        expect(state.status).toBe('ready');
        expect(state.modelLoad?.filesFetched).toBe(0);
        expect(state.catalogLoad).toBe('offline');
        expect(shown.length).toBe(4);
        expect(shown).not.toContain('sku-c'); // in the cart: the stored history is used
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await own.stop();
      }
    });
  }
});

describe('faults: IndexedDB content damaged between visits', () => {
  it('garbage event records and a corrupted cached manifest: the page still ranks with the model, no page error', { timeout: 90_000 }, async () => {
    shop.damage(null);
    shop.page({ attributes: 'data-backend="cpu"' });
    const context = await browser.newContext();
    try {
      const first = await context.newPage();
      await first.goto(`${shop.shopUrl}/`);
      await first.waitForFunction(() => window.edgeRecs?.state.status === 'ready', undefined, { timeout: 30_000 });
      await first.evaluate(() => window.edgeRecs!.events());
      // Another script, a disk error or an old schema left records the widget never wrote.
      await first.evaluate(
        () =>
          new Promise<void>((resolve, reject) => {
            const req = indexedDB.open('edge-recs');
            req.onsuccess = () => {
              const db = req.result;
              const tx = db.transaction(['events', 'manifests', 'meta'], 'readwrite');
              const events = tx.objectStore('events');
              for (const junk of [{ name: 42 }, {}, { name: 'view_item', ts: 'yesterday', items: 'sku-b' }, { name: 'view_item', ts: 1, items: [{ item_id: { nested: true } }] }, { name: 'purchase', ts: 2, items: [null] }]) events.add(junk);
              const manifests = tx.objectStore('manifests');
              const get = manifests.get('default');
              get.onsuccess = () => manifests.put({ ...(get.result as object), body: '{"format": "edge-recs-model/1", trunc' }, 'default');
              tx.objectStore('meta').put('not what you expected', 'bandit');
              tx.oncomplete = () => resolve();
              tx.onerror = () => reject(tx.error);
            };
          }),
      );
      await first.close();
      const { page, errors } = await open(context);
      const state = await settled(page);
      expect(state.status, JSON.stringify(state)).toBe('ready');
      expect(await cards(page)).toHaveLength(4);
      await page.evaluate(() => window.edgeRecs!.track('view_item', { items: [{ item_id: 'sku-d' }] }));
      expect((await page.evaluate(() => window.edgeRecs!.events())).at(-1)?.items[0]?.item_id).toBe('sku-d');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
