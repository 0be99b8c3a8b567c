/**
 * A healthy page is quiet: the production widget (`dist/`), loaded cross-origin from the real edge server
 * (`test/support/widget-shop.ts`) into a shop page with several rows, logs nothing to the console and
 * makes no request that fails — over several page views, with the model loaded, on a machine without a
 * GPU adapter (so backend probing finds none), and whether federated learning is on or off.
 */
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { startWidgetShop, type WidgetShop } from '../support/widget-shop.ts';

let browser: Browser;

beforeAll(async () => {
  // No `--enable-unsafe-webgpu`: `navigator.gpu` is there but has no adapter, as on most machines without a GPU.
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

interface Noise {
  console: string[];
  failed: string[];
  errors: string[];
}

function listen(page: Page, noise: Noise): void {
  page.on('console', (m: ConsoleMessage) => noise.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => noise.errors.push(e.message));
  page.on('requestfailed', (r) => noise.failed.push(`${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => void (r.status() >= 400 && noise.failed.push(`${r.request().method()} ${r.url()} ${r.status()}`)));
}

/** Opens `path` and waits until the model ranks the rows and the page has gone quiet on the network. */
async function view(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { edgeRecs?: { state: { status: string } } }).edgeRecs?.state.status === 'ready', undefined, { timeout: 30_000 });
  await page.waitForFunction(() => Array.from(document.querySelectorAll('edge-recs')).every((el) => el.shadowRoot?.querySelector('li[part="card"]')), undefined, { timeout: 30_000 });
  await page.waitForLoadState('networkidle');
}

/** Product pages enough for the on-device training step to want to run (its threshold is 5 new events). */
const PATHS = ['/', '/p/sku-01', '/p/sku-02', '/p/sku-03', '/p/sku-04', '/p/sku-05', '/p/sku-06', '/'];

describe('a healthy page logs nothing', () => {
  let shop: WidgetShop | undefined;
  afterAll(async () => shop?.stop());

  it('with federated learning off: no console message of any type and no failed request over eight page views', { timeout: 180_000 }, async () => {
    shop = await startWidgetShop({ federated: false });
    const context = await browser.newContext();
    const page = await context.newPage();
    const noise: Noise = { console: [], failed: [], errors: [] };
    listen(page, noise);
    for (const path of PATHS) await view(page, `${shop.shopUrl}${path}`);
    expect(noise).toEqual({ console: [], failed: [], errors: [] });
    expect(shop.log.filter((l) => l.includes('/v1/updates')), 'the widget never asks a server without federated learning for updates').toEqual([]);
    await context.close();
  });

  it('with federated learning on: the same page views upload an update, still without a console message', { timeout: 180_000 }, async () => {
    await shop?.stop();
    shop = await startWidgetShop({ federated: true });
    const context = await browser.newContext();
    const page = await context.newPage();
    const noise: Noise = { console: [], failed: [], errors: [] };
    listen(page, noise);
    for (const path of PATHS) await view(page, `${shop.shopUrl}${path}`);
    await expect.poll(() => shop!.log.filter((l) => /^POST \/v1\/updates 20\d$/.test(l)).length, { timeout: 60_000 }).toBeGreaterThan(0);
    // A background request still running when the next page view starts (an upload, its token, a model
    // refresh, the training chunk still loading on a slow machine) is cut off with the page and made again
    // later; that is the page going away, not a failure, and the browser logs nothing for it. No answer is
    // an HTTP error, and nothing is logged.
    expect({ ...noise, failed: noise.failed.filter((f) => !/\/(v1|widget\/chunks)\/\S+ net::ERR_ABORTED$/.test(f)) }).toEqual({ console: [], failed: [], errors: [] });
    await context.close();
  });
});
