/**
 * Attack (issue 14, must-have 8): ETags as a supercookie. A server or CDN in front of the edge server
 * answers every `GET /v1/*` (catalog, manifest, blobs, popular lists) with an ETag and a Last-Modified date
 * it never issued before, and `Cache-Control: no-cache` so that a browser cache asks again with them. If a
 * later request carries one back (`If-None-Match`, `If-Modified-Since`), the server knows which earlier
 * visit it is: a shopper identifier that survives cleared cookies. The real production widget (`dist/`)
 * runs in real Chromium on a shop page, for `visits` page views in one browser profile whose cookies are
 * cleared before each (IndexedDB and the HTTP cache are kept, as clearing cookies keeps them); the front
 * (`test/support/etag-front.ts`, a raw `node:http` server) records every request it receives.
 *
 * Outcome: `echoed`, requests that carried an issued value back: the old widget sent the catalog's and the
 * manifest's stored ETag on every visit; it must be 0. `ready` counts visits where the model ranked the
 * rows anyway (the catalog and manifest then come in full: no content ETag to revalidate with).
 */
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium.ts';
import { startEtagFront } from '../support/etag-front.ts';
import { startWidgetShop } from '../support/widget-shop.ts';
import type { AbuseBenchmark } from '../support/abuse/benchmark.ts';

/** The issue names no number; 50 visits is a shopper's season of visits, each after clearing cookies. */
const FULL_SCALE = { visits: 50 } as const;

export interface EtagSupercookieOptions {
  visits: number;
  /** A Chromium to use (one is launched and closed when absent). */
  browser?: Browser;
}

export interface EtagSupercookieOutcome {
  visits: number;
  /** Visits where the widget reached `ready` with cards on the page. */
  ready: number;
  /** Requests the front received under /v1/. */
  requests: number;
  /** Identifying ETags and dates the front handed out. */
  issued: number;
  /** Requests that carried any of them back: must be 0. */
  echoed: number;
  /** Of those, by path (without query): where the identifier leaked. */
  echoedByPath: Record<string, number>;
}

export async function etagSupercookie(options: EtagSupercookieOptions): Promise<EtagSupercookieOutcome> {
  const shop = await startWidgetShop();
  const front = await startEtagFront(shop.edgeUrl, { identify: true });
  shop.page({ edgeUrl: front.url });
  const browser = options.browser ?? (await launchChromium());
  let ready = 0;
  try {
    const context = await browser.newContext();
    const paths = ['/', '/p/sku-01', '/p/sku-02'];
    for (let visit = 0; visit < options.visits; visit++) {
      await context.clearCookies();
      const page = await context.newPage();
      try {
        await page.goto(`${shop.shopUrl}${paths[visit % paths.length]}`);
        await page.waitForFunction(() => (window as unknown as { edgeRecs?: { state: { status: string } } }).edgeRecs?.state.status === 'ready', undefined, { timeout: 30_000 });
        await page.waitForFunction(() => Array.from(document.querySelectorAll('edge-recs')).every((el) => el.shadowRoot?.querySelector('li[part="card"]')), undefined, { timeout: 30_000 });
        await page.waitForLoadState('networkidle');
        ready++;
      } catch {
        // Counted by `ready`; the requests it made are in the front's log all the same.
      } finally {
        await page.close({ runBeforeUnload: false });
      }
    }
    await context.close();
  } finally {
    if (!options.browser) await browser.close();
    await front.close();
    await shop.stop();
  }
  const echoes = front.echoes();
  const echoedByPath: Record<string, number> = {};
  for (const r of echoes) {
    const path = r.path.split('?')[0]!;
    echoedByPath[path] = (echoedByPath[path] ?? 0) + 1;
  }
  return {
    visits: options.visits,
    ready,
    requests: front.requests.filter((r) => r.path.startsWith('/v1/')).length,
    issued: front.issued.size,
    echoed: echoes.length,
    echoedByPath,
  };
}

/** `npm run bench -- abuse`: this attack at `FULL_SCALE`. */
export const benchmark: AbuseBenchmark = { scale: FULL_SCALE, run: () => etagSupercookie(FULL_SCALE) };
