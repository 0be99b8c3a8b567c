/**
 * Attack (issue 14, must-have 2): catalog links and images that run script in the shop's origin. Every
 * spelling of a non-http(s) URL we know (`javascript:` in any case, with leading, embedded or trailing
 * tabs, line breaks and control characters, character references in XML, `data:`, `vbscript:`, `blob:`,
 * `file:`...) is uploaded as `link` and as `image_link`, in a JSON catalog, a TSV feed and an XML feed,
 * to the real Node server (`main.ts` in a child process) and, at full scale, to the Worker in workerd.
 * Whether a URL is dangerous is decided here by Node's own WHATWG URL parser (the browser's), not by the
 * server's rule: the outcome counts uploads of a dangerous URL that were accepted (goal 0).
 *
 * Then the production widget in real Chromium is given such URLs past the server's check, two ways: a
 * stored catalog holding them (as a server of before the rule kept it) served to the widget, and cards
 * holding them handed straight to `<edge-recs>` (the element's own check, the last line of defence). Each
 * rendered card is clicked with the real mouse; the outcome counts links and images rendered with a
 * non-http(s) URL and scripts that ran (goal 0).
 */
import { Hono } from 'hono';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.ts';
import type { Catalog } from '../../core/catalog.ts';
import { createApp } from '../../edge-server/app.ts';
import { catalogJson, createMemoryCatalog } from '../../edge-server/catalog/store.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { listen } from '../support/listen.ts';
import { snapshotWidget } from '../support/widget-snapshot.ts';
import { DIST } from '../support/widget-shop.ts';
import { startRuntime, type RuntimeName } from '../support/abuse/runtimes.ts';
import type { AbuseBenchmark } from '../support/abuse/benchmark.ts';

/** What a payload does when it runs: counts itself on the top window, which the harness reads. */
const RUN = 'top.__pwned=(top.__pwned||0)+1';

/**
 * Spellings of URLs that are not http(s) to a browser, and a few that look alike but are (relative
 * paths), which a correct rule accepts. The browser's view of each is computed, not assumed.
 */
export const ATTACK_URLS: readonly string[] = [
  `javascript:${RUN}`,
  `JaVaScRiPt:${RUN}`,
  `JAVASCRIPT:${RUN}`,
  `\tjavascript:${RUN}`,
  `\njavascript:${RUN}`,
  `\r\njavascript:${RUN}`,
  ` javascript:${RUN}`,
  `\u0000javascript:${RUN}`,
  `\u0001\u001fjavascript:${RUN}`,
  `java\tscript:${RUN}`,
  `java\nscript:${RUN}`,
  `j\ta\nv\ra\tscript:${RUN}`,
  `javascript\t:${RUN}`,
  `javascript:${RUN}\u0000`,
  `javascript://%0a${RUN}`,
  `javascript:/*https://shop.example/*/${RUN}`,
  `data:text/html,<script>${RUN}</script>`,
  `DATA:text/html;base64,${Buffer.from(`<script>${RUN}</script>`).toString('base64')}`,
  `data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" onload="${RUN}"/>`,
  'vbscript:msgbox(1)',
  'VBScript:msgbox(1)',
  'blob:https://shop.example/0d8f3c1e-0000-4000-8000-000000000000',
  'file:///etc/passwd',
  'filesystem:https://shop.example/temporary/x',
  'view-source:https://shop.example/',
  'about:blank',
  'mailto:a@shop.example',
  'ftp://shop.example/x',
  'ws://shop.example/',
  'intent://x#Intent;scheme=javascript;end',
  'x-javascript:1',
  // Relative to a browser (no scheme): accepted, and harmless.
  `\u00a0javascript:${RUN}`,
  `javascript&colon;${RUN}`,
  '/p/1',
  '//cdn.example/i/1.jpg',
];

const FIELDS = ['link', 'image_link'] as const;
const FORMATS = ['json', 'tsv', 'xml'] as const;

/**
 * Whether `url`, from an http(s) page, is anything but an http(s) URL to the WHATWG parser. One it cannot
 * parse counts as dangerous: Chromium's own parser reads `javascript://%0a...`, which WHATWG refuses for
 * its host, as a script.
 */
export function dangerous(url: string): boolean {
  try {
    return !['http:', 'https:'].includes(new URL(url, 'https://shop.example/p/0').protocol);
  } catch {
    return true;
  }
}

/** The issue's scale: every spelling, both fields, every format, on both runtimes, and the widget. */
const FULL_SCALE = { runtimes: ['node', 'workers'] as RuntimeName[], widget: true } as const;

export interface CatalogLinksOptions {
  runtimes: readonly RuntimeName[];
  /** Also run the widget half in Chromium. */
  widget: boolean;
}

export interface CatalogLinksOutcome {
  /** Uploads per runtime: spellings x fields x formats. */
  uploads: number;
  /** Uploads of a URL the browser reads as non-http(s). */
  dangerousUploads: number;
  /** Of those, answered 2xx (goal 0). */
  dangerousAccepted: number;
  /** Uploads of a URL the browser reads as http(s) (relative spellings), answered 2xx. */
  harmlessAccepted: number;
  harmlessUploads: number;
  /** Answers by runtime and status. */
  statuses: Record<string, Record<string, number>>;
  /** Refusals whose message did not name the field (`field "link"`), per runtime. */
  unnamedRefusals: number;
  widget?: WidgetOutcome;
}

export interface WidgetOutcome {
  /** Served a stored catalog holding the dangerous URLs: cards shown, and links/images with a non-http(s) URL. */
  servedCatalog: { cards: number; dangerousLinks: number; dangerousImages: number; errorEvents: number };
  /** Cards with the dangerous URLs handed to the element: cards shown, links/images rendered dangerous, clicks made. */
  handedCards: { cards: number; dangerousLinks: number; dangerousImages: number; clicks: number; linkedCards: number };
  /** Payloads that ran (`top.__pwned`), dialogs opened, and navigations away from the shop page: all goal 0. */
  scriptsRun: number;
  dialogs: number;
  navigations: number;
}

function catalogBody(format: (typeof FORMATS)[number], field: (typeof FIELDS)[number], url: string): { body: string; type: string } {
  const good = { id: 'good-1', title: 'Mug', link: '/p/good-1', image_link: '/i/good-1.jpg' };
  const bad = { ...good, id: 'bad-1', title: 'Kettle', [field]: url };
  if (format === 'json') {
    const product = (p: typeof good) => ({ ...p, price: 5, currency: 'EUR', availability: 'in_stock', product_type: 'Home' });
    return { body: JSON.stringify({ updatedAt: '2026-01-01T00:00:00Z', products: [product(good), product(bad)] }), type: 'application/json' };
  }
  if (format === 'tsv') {
    const q = (v: string): string => (/[\t\n\r"]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const row = (p: typeof good): string => [p.id, p.title, q(p.link), q(p.image_link), '5 EUR', 'in stock', 'Home'].join('\t');
    return { body: ['id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type', row(good), row(bad)].join('\n'), type: 'text/tab-separated-values' };
  }
  // XML: markup escaped, and every control character as a character reference (XML text cannot hold most of them raw).
  const x = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/[\u0000-\u001f]/g, (c) => (c === '\u0000' ? '' : `&#${c.charCodeAt(0)};`));
  const item = (p: typeof good): string =>
    `<item><g:id>${p.id}</g:id><g:title>${p.title}</g:title><g:link>${x(p.link)}</g:link><g:image_link>${x(p.image_link)}</g:image_link><g:price>5 EUR</g:price><g:availability>in stock</g:availability><g:product_type>Home</g:product_type></item>`;
  return { body: `<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>${item(good)}\n${item(bad)}</channel></rss>`, type: 'application/rss+xml' };
}

export async function runCatalogLinks(options: CatalogLinksOptions): Promise<CatalogLinksOutcome> {
  const outcome: CatalogLinksOutcome = { uploads: 0, dangerousUploads: 0, dangerousAccepted: 0, harmlessAccepted: 0, harmlessUploads: 0, statuses: {}, unnamedRefusals: 0 };
  for (const name of options.runtimes) {
    const runtime = await startRuntime(name);
    const statuses: Record<string, number> = (outcome.statuses[name] = {});
    try {
      for (const format of FORMATS) {
        for (const field of FIELDS) {
          for (const url of ATTACK_URLS) {
            // XML cannot carry U+0000 at all; the harness drops it there, so judge what was sent.
            const sent = format === 'xml' ? url.replace(/\u0000/g, '') : url;
            const { body, type } = catalogBody(format, field, url);
            const res = await runtime.fetch('/v1/admin/catalog', { method: 'PUT', headers: { Authorization: `Bearer ${runtime.adminToken}`, 'Content-Type': type }, body });
            const text = await res.text();
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
            outcome.uploads++;
            const ok = res.status >= 200 && res.status < 300;
            if (dangerous(sent)) {
              outcome.dangerousUploads++;
              if (ok) outcome.dangerousAccepted++;
              else if (!text.includes(`field \\"${field}\\"`)) outcome.unnamedRefusals++;
            } else {
              outcome.harmlessUploads++;
              if (ok) outcome.harmlessAccepted++;
            }
          }
        }
      }
    } finally {
      await runtime.close();
    }
  }
  if (options.widget) outcome.widget = await attackWidget();
  return outcome;
}

/** Links and images rendered with a dangerous URL, and cards, in every `<edge-recs>` of the page. */
async function rendered(page: Page): Promise<{ cards: number; hrefs: string[]; srcs: string[]; linked: number }> {
  return page.evaluate(() => {
    const out = { cards: 0, hrefs: [] as string[], srcs: [] as string[], linked: 0 };
    for (const el of Array.from(document.querySelectorAll('edge-recs'))) {
      const root = el.shadowRoot;
      if (!root) continue;
      out.cards += root.querySelectorAll('li[part="card"]').length;
      for (const a of Array.from(root.querySelectorAll('[href]'))) out.hrefs.push(a.getAttribute('href')!);
      for (const img of Array.from(root.querySelectorAll('img, [src]'))) if (img.hasAttribute('src')) out.srcs.push(img.getAttribute('src')!);
      out.linked += root.querySelectorAll('li[part="card"] a[href]').length;
    }
    return out;
  });
}

async function attackWidget(): Promise<WidgetOutcome> {
  const danger = ATTACK_URLS.filter(dangerous);
  // What a server of before the rule would have stored: the attack catalog, put in the store unchecked.
  const raw: Catalog = {
    updatedAt: '2026-01-01T00:00:00.000Z',
    products: danger.map((url, i) => ({ id: `bad-${i}`, title: `Product ${i}`, link: url, image_link: danger[(i + 1) % danger.length]!, price: 5, currency: 'EUR', availability: 'in_stock', product_type: 'Home' })),
  };
  const catalog = createMemoryCatalog();
  await catalog.put(catalogJson(raw));
  const shopApp = new Hono();
  let edgeUrl = '';
  shopApp.get('/favicon.ico', (c) => c.body(null, 204));
  shopApp.get('*', (c) =>
    c.html(`<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script type="module" src="${edgeUrl}/widget/edge-recs.js" data-model="default"></script>
<style>edge-recs { display: block; width: 760px }</style></head>
<body><h1>Shop</h1><edge-recs id="row" placement="trending" count="8"></edge-recs></body></html>`),
  );
  const shop = await listen(shopApp);
  const app = createApp({ storage: createMemoryStorage(), trustedKeys: [], widget: await snapshotWidget(DIST), catalog, allowedOrigins: [shop.url] });
  const edge = await listen(app);
  edgeUrl = edge.url;
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    const page = await context.newPage();
    let dialogs = 0;
    let navigations = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame() && !frame.url().startsWith(shop.url)) navigations++;
    });
    context.on('page', () => navigations++);
    await page.addInitScript(() => {
      addEventListener('edge-recs:error', () => ((window as unknown as { __errors: number }).__errors = ((window as unknown as { __errors?: number }).__errors ?? 0) + 1));
    });
    await page.goto(`${shop.url}/`);
    // The engine has loaded (its catalog fetch settled, refused or not) once the element class carries it.
    await page.waitForFunction(() => {
      const engine = (customElements.get('edge-recs') as unknown as { engine?: { state: { status: string } } } | undefined)?.engine;
      return engine !== undefined && engine.state.status !== 'loading';
    }, undefined, { timeout: 30_000 });
    await page.waitForTimeout(500);
    const served = await rendered(page);
    const errorEvents = await page.evaluate(() => (window as unknown as { __errors?: number }).__errors ?? 0);

    // The element's own check: the engine answers with cards holding the dangerous URLs.
    await page.evaluate((products) => {
      type Engine = EventTarget & { recommend: (r: unknown) => Promise<unknown[]> };
      const engine = (customElements.get('edge-recs') as unknown as { engine: Engine }).engine;
      engine.recommend = async () =>
        products.map((product) => ({ product, reason: 'Popular in our shop', variant: 'none', lineKey: 'x', why: 'why', tier: 'catalog', source: 'fallback', modelVersion: 'fallback' }));
      engine.dispatchEvent(new Event('change'));
    }, raw.products);
    // Every card handed (a row's first cards go into the page a few per frame).
    await page.waitForFunction((n) => (document.querySelector('#row')?.shadowRoot?.querySelectorAll('li[part="card"]').length ?? 0) >= n, raw.products.length, { timeout: 10_000 });
    const handed = await rendered(page);
    const cards = page.locator('#row li[part="card"]');
    let clicks = 0;
    for (let i = 0; i < (await cards.count()); i++) {
      // The card's own link (or where it would be) with the real mouse: title text is in it either way.
      const box = await cards.nth(i).locator('[part="title"]').boundingBox();
      if (!box) continue;
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      clicks++;
      await page.waitForTimeout(50);
      if (!page.url().startsWith(shop.url)) await page.goBack();
    }
    await page.waitForTimeout(300);
    const scriptsRun = await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0).catch(() => -1);
    await context.close();
    const isDanger = (u: string): boolean => dangerous(u);
    return {
      servedCatalog: { cards: served.cards, dangerousLinks: served.hrefs.filter(isDanger).length, dangerousImages: served.srcs.filter(isDanger).length, errorEvents },
      handedCards: { cards: handed.cards, dangerousLinks: handed.hrefs.filter(isDanger).length, dangerousImages: handed.srcs.filter(isDanger).length, clicks, linkedCards: handed.linked },
      scriptsRun,
      dialogs,
      navigations,
    };
  } finally {
    await browser?.close();
    await edge.close();
    await shop.close();
  }
}

/** `npm run bench -- abuse`: this attack at `FULL_SCALE`. */
export const benchmark: AbuseBenchmark = { scale: FULL_SCALE, run: () => runCatalogLinks(FULL_SCALE) };
