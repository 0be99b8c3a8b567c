/**
 * What the widget does to a page's Core Web Vitals, measured as a merchant's auditor would:
 *
 * - Lighthouse 12 (the npm `lighthouse` package driving Debian chromium, default mobile and desktop
 *   configurations: simulated throttling) on the demo shop's home and product pages and on a plain static
 *   page made from the README snippet (a grid row as the README has it; a grid and a carousel row with the
 *   merchant guide's reserve rule in the page's own CSS), each with and without the widget
 *   (without: the loader's URL blocked, so the `<edge-recs>` tags stay inert), `RUNS` runs each, medians of
 *   the Performance and Accessibility scores, FCP, LCP, CLS, TBT and Speed Index.
 * - Playwright in the same Chromium, mobile viewport at 4x CPU slowdown (DevTools' CPU throttling), a
 *   fresh profile per visit: layout shifts with the nodes that moved, long-task time after FCP, and what
 *   the widget moved over the wire on a first visit (requests to the edge server's `/widget/` and `/v1/`
 *   paths, the page's and its workers': count and bytes as transferred, as DevTools reports them; the
 *   worker's own module fetch may go unreported, see test/integration/first-visit.chromium.test.ts, which
 *   counts at the server) until the model ranked the rows.
 *
 * The demo runs as `npm start` does (`tsx demo/main.ts`, fresh data directory, so it trains its model
 * first: ~20 s); the static page is served from another origin (`localhost` vs `127.0.0.1`), as a shop
 * would be. Needs `npm run build` output, which it makes.
 *
 *   npm run bench -- cwv        writes bench/results/cwv.json
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { chromium, type Browser, type BrowserContext, type CDPSession } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/support/chromium.ts';

const ROOT = join(import.meta.dirname, '..');
/** Lighthouse runs per page, form factor and variant (the median is reported). `CWV_RUNS=1` for a quick look, `0` to skip Lighthouse. */
const RUNS = Number(process.env.CWV_RUNS ?? 3);
/** Playwright visits per page and variant (the median is reported); `0` skips them. */
const VISITS = Number(process.env.CWV_VISITS ?? 3);
/** `CWV_PAGES="demo home;static grid, reserve rule"` (`;`-separated) measures those pages only; `CWV_FORM_FACTORS=mobile` one form factor. */
const PAGES = process.env.CWV_PAGES?.split(';').map((p) => p.trim());
const FORM_FACTORS = (process.env.CWV_FORM_FACTORS?.split(',') ?? ['mobile', 'desktop']).filter((f): f is 'mobile' | 'desktop' => f === 'mobile' || f === 'desktop');
const LOADER_PATH = '/widget/edge-recs.js';
/** A demo product for the product page and the carousel's `item-id`. */
const PRODUCT = 'sku-0001';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** A plain article page with one README-snippet row in view (the README's script tag) and text below it, so a shift moves real content. */
function staticPage(server: string, keys: string, row: string, widget: boolean, css = ''): string {
  const para = 'Our spring range is here: light textures, bright colours and refills for the things you already love. '.repeat(3);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A plain shop page</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:0 1rem}header,footer{padding:1rem 0}${css}</style>
${widget ? `<script type="module" src="${server}${LOADER_PATH}" data-model="default" data-public-key="${keys}"></script>` : ''}
</head><body><header><strong>Plain Shop</strong></header><main><h1>New this week</h1><p>${para}</p>
${row}
<h2>About us</h2><p>${para}</p><p>${para}</p><p>${para}</p></main><footer>© Plain Shop</footer></body></html>`;
}

/** The rule docs/merchant-guide.md gives for a shop's own stylesheet ("Before the loader runs"), as written there. */
const RESERVE_RULE = /\*\*Before the loader runs\.\*\*[\s\S]*?```css\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, 'docs/merchant-guide.md'), 'utf8'))?.[1] ?? '';

const ROWS: Record<string, string> = {
  grid: '<edge-recs placement="for-you" count="8"></edge-recs>',
  carousel: `<edge-recs placement="similar" count="8" item-id="${PRODUCT}" layout="carousel"></edge-recs>`,
};

interface Fixture {
  pages: Record<string, { url: string; blockForBaseline: boolean }>;
  server: string;
  close(): Promise<void>;
}

async function waitFor(url: string, child: ChildProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the demo exited with ${child.exitCode}`);
    if (await fetch(url).then((r) => r.ok).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer in ${ms} ms`);
}

/** `npm start`'s server on a fresh data directory, and the static shop on another origin. */
async function startFixture(): Promise<Fixture> {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const data = await mkdtemp(join(tmpdir(), 'edge-recs-cwv-'));
  const statics: Server = createServer();
  await new Promise<void>((r) => statics.listen(0, '127.0.0.1', r));
  const staticOrigin = `http://localhost:${(statics.address() as AddressInfo).port}`;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = `http://127.0.0.1:${port}`;
  const demo = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['demo/main.ts', '--allow-origin', staticOrigin], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), EDGE_RECS_DATA: data },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitFor(`${server}/healthz`, demo, 180_000);
  const keyOf = async (file: string): Promise<string> => {
    const k = JSON.parse(await readFile(join(data, file), 'utf8')) as { keyId: string; publicKey: string };
    return `${k.keyId}:${k.publicKey}`;
  };
  const keys = `${await keyOf('demo-signing-key.json')} ${await keyOf('demo-federation-key.json')}`;
  statics.on('request', (req, res) => {
    const [, row, rule, variant] = /^\/(grid|carousel)(-rule)?(-none)?\.html$/.exec(req.url ?? '') ?? [];
    if (!row) return void res.writeHead(404).end();
    // Without the widget: the merchant's page with neither the tag nor the rule (the rule alone reserves
    // space that, with no loader, it gives back after 10 s: a shift that is not the page's own).
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(staticPage(server, keys, ROWS[row]!, !variant, rule && !variant ? RESERVE_RULE : ''));
  });
  return {
    server,
    pages: {
      'static grid': { url: `${staticOrigin}/grid.html`, blockForBaseline: false },
      'static grid, reserve rule': { url: `${staticOrigin}/grid-rule.html`, blockForBaseline: false },
      'static carousel, reserve rule': { url: `${staticOrigin}/carousel-rule.html`, blockForBaseline: false },
      'demo home': { url: `${server}/`, blockForBaseline: true },
      'demo product': { url: `${server}/p/${PRODUCT}`, blockForBaseline: true },
    },
    async close() {
      demo.kill('SIGTERM');
      await new Promise((r) => statics.close(r));
      await rm(data, { recursive: true, force: true });
    },
  };
}

/** The page without the widget: the static page without the script tag; the demo with the loader blocked. */
function baselineUrl(page: Fixture['pages'][string]): string {
  return page.blockForBaseline ? page.url : page.url.replace(/\.html$/, '-none.html');
}

/** A Chromium with a DevTools port for Lighthouse, in a fresh profile. */
async function debuggableChromium(): Promise<{ port: number; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'edge-recs-cwv-profile-'));
  const child = spawn(CHROMIUM_PATH, [...CHROMIUM_ARGS, '--headless=new', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(err);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`chromium exited with ${code}: ${err.slice(-500)}`)));
  });
  return {
    port,
    async close() {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // Its helper processes (network, storage) may still write to the profile for a moment after the kill.
      await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

interface LighthouseFigures {
  performance: number;
  accessibility: number;
  fcpMs: number;
  lcpMs: number;
  cls: number;
  tbtMs: number;
  speedIndexMs: number;
}

async function lighthouseRun(url: string, formFactor: 'mobile' | 'desktop', block: boolean): Promise<LighthouseFigures> {
  const browser = await debuggableChromium();
  try {
    const result = await lighthouse(
      url,
      { port: browser.port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'], ...(block ? { blockedUrlPatterns: [`*${LOADER_PATH}`] } : {}) },
      formFactor === 'desktop' ? desktopConfig : undefined,
    );
    const lhr = result!.lhr;
    const audit = (id: string): number => lhr.audits[id]?.numericValue ?? NaN;
    return {
      performance: Math.round((lhr.categories.performance?.score ?? NaN) * 100),
      accessibility: Math.round((lhr.categories.accessibility?.score ?? NaN) * 100),
      fcpMs: audit('first-contentful-paint'),
      lcpMs: audit('largest-contentful-paint'),
      cls: audit('cumulative-layout-shift'),
      tbtMs: audit('total-blocking-time'),
      speedIndexMs: audit('speed-index'),
    };
  } finally {
    await browser.close();
  }
}

function medians(runs: LighthouseFigures[]): LighthouseFigures {
  const of = (k: keyof LighthouseFigures, digits = 0): number => round(median(runs.map((r) => r[k])), digits);
  return { performance: of('performance'), accessibility: of('accessibility'), fcpMs: of('fcpMs'), lcpMs: of('lcpMs'), cls: of('cls', 3), tbtMs: of('tbtMs'), speedIndexMs: of('speedIndexMs') };
}

interface VisitFigures {
  cls: number;
  /** What moved, for each shift: `tag#id.class` of each source node. */
  shifts: Array<{ value: number; sources: string[] }>;
  longTaskMsAfterFcp: number;
  longTasksAfterFcp: number;
  /** Each long task that ends after FCP, `[start, duration]` in ms from navigation, and FCP itself: which tasks the figure is made of. */
  longTasks: Array<[number, number]>;
  fcpMs: number;
  /** Requests to the edge server's widget and API paths, and their bytes as transferred. */
  widgetRequests: number;
  widgetTransferBytes: number;
  /** The same by kind: js, wasm, model, catalog, other. */
  byKind: Record<string, { requests: number; bytes: number }>;
}

const kindOf = (path: string): string =>
  path.endsWith('.wasm') ? 'wasm' : path.startsWith('/widget/') ? 'js' : /^\/v1\/(models\/|blobs)/.test(path) ? 'model' : path.startsWith('/v1/catalog') ? 'catalog' : 'other';

/** Records layout shifts (with the nodes that moved) and long tasks from the page's start, in `window.__cwv`. */
const OBSERVERS = `(() => {
  const w = window;
  w.__cwv = { shifts: [], long: [] };
  const name = (n) => !(n instanceof Element) ? (n ? n.nodeName : '?') : n.localName + (n.id ? '#' + n.id : '') + (n.classList.length ? '.' + [...n.classList].join('.') : '');
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) w.__cwv.shifts.push({ value: e.value, start: e.startTime, sources: (e.sources || []).map((s) => name(s.node)) });
  }).observe({ type: 'layout-shift', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__cwv.long.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
})();`;

/**
 * Waits until the widget's rows are model-ranked, asking the page every 250 ms through DevTools'
 * `Runtime.evaluate` (a sub-millisecond task). Not Playwright's `waitForFunction`: its first call installs
 * Playwright's injected script in the page, one 50–65 ms task at 4x slowdown that the long-task figure
 * would count as the widget's (the visits without the widget never poll).
 */
async function untilReady(cdp: CDPSession, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const { result } = (await cdp.send('Runtime.evaluate', { expression: 'window.edgeRecs?.state.status', returnByValue: true })) as { result: { value?: unknown } };
    if (result.value === 'ready') return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One first visit, mobile viewport, 4x CPU slowdown, until the rows are model-ranked and the network is idle. */
async function visit(browser: Browser, url: string, server: string, block: boolean): Promise<VisitFigures> {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 412, height: 823 }, deviceScaleFactor: 1.75, isMobile: true, hasTouch: true });
  try {
    const page = await context.newPage();
    if (block) await page.route(`**${LOADER_PATH}`, (r) => r.abort());
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await cdp.send('Network.enable');
    // Requests by `session:requestId`: the page's, and those of each worker it starts (the heavy work's
    // catalog, model and WASM), through DevTools auto-attach; a worker resumes once its Network is on.
    const requests = new Map<string, string>();
    const bytes = new Map<string, number>();
    const sent = (key: string, e: { request: { url: string } }): void => {
      const u = new URL(e.request.url);
      if (u.origin === server && (u.pathname.startsWith('/widget/') || u.pathname.startsWith('/v1/'))) requests.set(key, u.pathname);
    };
    const finished = (key: string, e: { encodedDataLength: number }): void => void (requests.has(key) && bytes.set(key, e.encodedDataLength));
    cdp.on('Network.requestWillBeSent', (e) => sent(`page:${e.requestId}`, e));
    cdp.on('Network.loadingFinished', (e) => finished(`page:${e.requestId}`, e));
    let messageId = 0;
    const enabling = new Map<number, string>();
    const toWorker = (sessionId: string, method: string): number => {
      const id = ++messageId;
      cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) }).catch(() => undefined);
      return id;
    };
    cdp.on('Target.attachedToTarget', ({ sessionId }) => void enabling.set(toWorker(sessionId, 'Network.enable'), sessionId));
    cdp.on('Target.receivedMessageFromTarget', ({ sessionId, message }) => {
      type Params = { requestId: string; request: { url: string }; encodedDataLength: number };
      const m = JSON.parse(message) as { id?: number; method?: string; params?: Params };
      if (m.method === 'Network.requestWillBeSent') sent(`${sessionId}:${m.params!.requestId}`, m.params!);
      if (m.method === 'Network.loadingFinished') finished(`${sessionId}:${m.params!.requestId}`, m.params!);
      if (m.id !== undefined && enabling.get(m.id) === sessionId) {
        enabling.delete(m.id);
        toWorker(sessionId, 'Runtime.runIfWaitingForDebugger');
      }
    });
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
    // A string, not a function: tsx would wrap the function's inner names in a helper the page lacks.
    await page.addInitScript(OBSERVERS);
    await page.goto(url);
    if (!block) await untilReady(cdp, 60_000);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(1000);
    const seen = await page.evaluate(() => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? 0;
      const w = window as unknown as { __cwv: { shifts: Array<{ value: number; sources: string[] }>; long: Array<{ start: number; duration: number }> } };
      const after = w.__cwv.long.filter((t) => t.start + t.duration > fcp);
      return { shifts: w.__cwv.shifts, longMs: after.reduce((n, t) => n + t.duration, 0), longCount: after.length, long: after.map((t) => [t.start, t.duration] as [number, number]), fcp };
    });
    const byKind: Record<string, { requests: number; bytes: number }> = {};
    for (const [id, path] of requests) {
      const k = (byKind[kindOf(path)] ??= { requests: 0, bytes: 0 });
      k.requests++;
      k.bytes += bytes.get(id) ?? 0;
    }
    return {
      cls: round(seen.shifts.reduce((n, s) => n + s.value, 0), 4),
      shifts: seen.shifts.map((s) => ({ value: round(s.value, 4), sources: s.sources })),
      longTaskMsAfterFcp: round(seen.longMs),
      longTasksAfterFcp: seen.longCount,
      longTasks: seen.long.map(([start, duration]) => [round(start), round(duration)] as [number, number]),
      fcpMs: round(seen.fcp),
      widgetRequests: requests.size,
      widgetTransferBytes: [...bytes.values()].reduce((n, b) => n + b, 0),
      byKind,
    };
  } finally {
    await context.close();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const fixture = await startFixture();
  try {
    const lighthouseFigures: Record<string, Record<string, { with: LighthouseFigures; without: LighthouseFigures }>> = {};
    const pages = Object.entries(fixture.pages).filter(([name]) => !PAGES || PAGES.includes(name));
    for (const [name, page] of RUNS > 0 ? pages : []) {
      for (const formFactor of FORM_FACTORS) {
        const withRuns: LighthouseFigures[] = [];
        const withoutRuns: LighthouseFigures[] = [];
        // Alternating, so a slow spell of the shared machine hits both sides.
        for (let i = 0; i < RUNS; i++) {
          withRuns.push(await lighthouseRun(page.url, formFactor, false));
          withoutRuns.push(await lighthouseRun(baselineUrl(page), formFactor, page.blockForBaseline));
        }
        const entry = { with: medians(withRuns), without: medians(withoutRuns) };
        (lighthouseFigures[name] ??= {})[formFactor] = entry;
        console.log(`lighthouse ${name} ${formFactor}: with ${JSON.stringify(entry.with)} without ${JSON.stringify(entry.without)}`);
      }
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const playwrightFigures: Record<string, unknown> = {};
    try {
      for (const [name, page] of VISITS > 0 ? pages : []) {
        const withVisits: VisitFigures[] = [];
        const withoutVisits: VisitFigures[] = [];
        for (let i = 0; i < VISITS; i++) {
          withVisits.push(await visit(browser, page.url, fixture.server, false));
          withoutVisits.push(await visit(browser, baselineUrl(page), fixture.server, page.blockForBaseline));
        }
        const pick = (vs: VisitFigures[]) => {
          const mid = [...vs].sort((a, b) => a.longTaskMsAfterFcp - b.longTaskMsAfterFcp)[Math.floor(vs.length / 2)]!;
          return {
            cls: round(median(vs.map((v) => v.cls)), 4),
            longTaskMsAfterFcp: round(median(vs.map((v) => v.longTaskMsAfterFcp))),
            widgetRequests: median(vs.map((v) => v.widgetRequests)),
            widgetTransferBytes: median(vs.map((v) => v.widgetTransferBytes)),
            byKind: mid.byKind,
            shifts: mid.shifts,
            /** Every visit's long tasks after FCP (`[start, duration]`), with its FCP. */
            visits: vs.map((v) => ({ fcpMs: v.fcpMs, longTasks: v.longTasks })),
          };
        };
        const entry = { with: pick(withVisits), without: pick(withoutVisits) };
        playwrightFigures[name] = {
          ...entry,
          widgetCls: round(entry.with.cls - entry.without.cls, 4),
          widgetLongTaskMs: round(entry.with.longTaskMsAfterFcp - entry.without.longTaskMsAfterFcp),
        };
        console.log(`playwright ${name}: ${JSON.stringify(playwrightFigures[name])}`);
      }
    } finally {
      await browser.close();
    }
    return {
      method: `Lighthouse ${RUNS} runs per page/form factor/variant (medians), default mobile and desktop configs, simulated throttling; Playwright ${VISITS} first visits per page/variant (medians), 412x823 mobile viewport, 4x CPU slowdown`,
      lighthouse: lighthouseFigures,
      playwright: playwrightFigures,
    };
  } finally {
    await fixture.close();
  }
}
