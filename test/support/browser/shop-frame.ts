/**
 * A shop page for loader tests: a same-origin iframe whose `<head>` holds the widget's script tag exactly
 * as a merchant writes it, the widget and `/v1/*` served by the real edge server (see `edge-server.ts`),
 * the page itself by `/__shop?html=...` (see `web-test-runner.config.mjs`). Each frame is a fresh window,
 * so every test gets its own loader, config and page API, while IndexedDB and sessionStorage are shared
 * with the test page, which reads them directly.
 */
import { sendMouse } from '@web/test-runner-commands';
import type { ShopEvent } from '../../../core/events.ts';
import type { EdgeRecsApi } from '../../../widget/loader/loader.ts';
import { AssertionError } from './assert.ts';

/** `prod`: `dist/edge-recs.js` from `npm run build`, as merchants ship it. `dev`: a development build, with warnings. */
export type Build = 'dev' | 'prod';
export const BUILDS: readonly Build[] = ['dev', 'prod'];

const LOADER: Record<Build, string> = { dev: '/dev/widget/edge-recs.js', prod: '/widget/edge-recs.js' };
export const DB_NAME = 'edge-recs';

export interface ShopWindow extends Window {
  edgeRecs?: EdgeRecsApi;
  dataLayer?: unknown[];
}

export interface ShopFrame {
  frame: HTMLIFrameElement;
  win: ShopWindow;
  doc: Document;
  /** The page API; fails the test if the loader did not install it. */
  api: EdgeRecsApi;
  /** `console.warn` calls in the frame, one string each. */
  warnings: string[];
  /** Uncaught errors and unhandled rejections in the frame. */
  errors: string[];
  close(): void;
}

export interface ShopOptions {
  build: Build;
  /** `data-*` attributes of the widget's script tag, e.g. `{ 'data-consent': 'required' }`. */
  attrs?: Record<string, string>;
  /** Markup before the widget's script tag (e.g. a `dataLayer` that already holds pushes). */
  before?: string;
  /** Markup right after the widget's script tag, still in `<head>`. */
  after?: string;
  body?: string;
  /**
   * Names the page (`window.__page`). `openShop` resolves on the load of the page named `waitFor`
   * (default: this one), so a page that navigates on to another during parsing can be followed.
   */
  page?: string;
  waitFor?: string;
}

const escapeAttr = (v: string): string => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The page's HTML; a string to put in a script must go through `scriptString`. */
function shopHtml(options: ShopOptions): string {
  const attrs = Object.entries(options.attrs ?? {})
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8">
<script>
  window.__page = ${scriptString(options.page ?? 'shop')};
  window.__warnings = []; window.__errors = [];
  console.warn = (...args) => window.__warnings.push(args.map(String).join(' '));
  addEventListener('error', (e) => window.__errors.push(String(e.message)));
  addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason)));
</script>
${options.before ?? ''}
<script type="module" src="${LOADER[options.build]}"${attrs}></script>
${options.after ?? ''}
</head><body>${options.body ?? ''}</body></html>`;
}

/** The URL that serves `html` as a page of this origin. */
export const shopUrl = (html: string): string => `/__shop?html=${encodeURIComponent(html)}`;

/** A JS string literal that is safe inside an inline `<script>`. */
const scriptString = (value: string): string => JSON.stringify(value).replace(/<\//g, '<\\/');

/** Opens a shop page and resolves after its `load` event, when the loader (a module script) has run. */
export async function openShop(options: ShopOptions): Promise<ShopFrame> {
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width: 800px; height: 600px; border: 0';
  frame.src = shopUrl(shopHtml(options));
  const wanted = options.waitFor ?? options.page ?? 'shop';
  type Loaded = ShopWindow & { __page?: string; __warnings: string[]; __errors: string[] };
  const loaded = new Promise<void>((resolve) => {
    const onLoad = (): void => {
      if ((frame.contentWindow as Loaded | null)?.__page !== wanted) return;
      frame.removeEventListener('load', onLoad);
      resolve();
    };
    frame.addEventListener('load', onLoad);
  });
  document.body.append(frame);
  await loaded;
  const win = frame.contentWindow as Loaded;
  const api = win.edgeRecs;
  if (!api) {
    const hint = options.build === 'prod' ? ' (is dist/ built? run `npm run build`)' : '';
    throw new AssertionError(`the ${options.build} loader did not install window.edgeRecs${hint}; frame errors: ${JSON.stringify(win.__errors)}`);
  }
  return { frame, win, doc: win.document, api, warnings: win.__warnings, errors: win.__errors, close: () => frame.remove() };
}

/** Polls `probe` until it returns a truthy value (returned) or `timeoutMs` passes (fails with `message`). */
export async function until<T>(probe: () => T | Promise<T>, message: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  while (performance.now() < deadline) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new AssertionError(`${message} (last value ${JSON.stringify(last)})`);
}

/**
 * Resolves with the stored events once there are at least `n` (`until(storedEvents)` alone would not
 * wait: an empty list is truthy, so it returns as soon as the database exists).
 */
export function storedAtLeast(n: number, what: string): Promise<ShopEvent[]> {
  return until(async () => ((await storedEvents()).length >= n ? storedEvents() : undefined), what);
}

/** Whether the widget's database exists: it must not, before consent with `data-consent="required"`. */
export async function dbExists(): Promise<boolean> {
  return (await indexedDB.databases()).some((d) => d.name === DB_NAME);
}

/**
 * The stored event log, read straight from IndexedDB rather than through the widget. Checks existence
 * first: opening a database that does not exist would create an empty one under the widget's name.
 */
export async function storedEvents(): Promise<ShopEvent[]> {
  if (!(await dbExists())) return [];
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  try {
    if (!db.objectStoreNames.contains('events')) return [];
    return await new Promise<ShopEvent[]>((resolve, reject) => {
      const req = db.transaction('events').objectStore('events').index('ts').getAll();
      req.onsuccess = () => resolve((req.result as Array<ShopEvent & { id?: number }>).map(({ id: _id, ...e }) => e));
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

/** Deletes the widget's database; open connections (in frames) step aside through their `versionchange` handler. */
export async function deleteDb(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = indexedDB.deleteDatabase(DB_NAME);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
  });
}

/** Item ids of the cards an `<edge-recs>` element shows, in order. */
export function cardIds(el: Element): string[] {
  return Array.from(el.shadowRoot?.querySelectorAll('li[part="card"]') ?? []).map((li) => li.getAttribute('data-item-id') ?? '');
}

/** Resolves with the next `edge-recs:render` of `el` (its card ids). */
export function nextRender(el: Element, timeoutMs = 15_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new AssertionError(`no edge-recs:render from <edge-recs placement="${el.getAttribute('placement')}"> in ${timeoutMs} ms`)), timeoutMs);
    el.addEventListener(
      'edge-recs:render',
      (e) => {
        clearTimeout(timer);
        resolve((e as CustomEvent<{ cards: string[] }>).detail.cards);
      },
      { once: true },
    );
  });
}

/** Items of stored events as `name:item_id` strings, compact for assertions. */
export const brief = (events: readonly ShopEvent[]): string[] => events.map((e) => `${e.name}:${e.items.map((i) => i.item_id).join('+')}`);

/**
 * Markup for `before`: a Content-Security-Policy that allows no worker, so the widget's heavy work
 * (catalog, model, inference) runs on the page, where a `before` script that wraps `fetch` sees its
 * requests (from its worker they would not pass through the page's `fetch`).
 */
export const NO_WORKERS = `<meta http-equiv="Content-Security-Policy" content="worker-src 'none'">`;

/**
 * Markup for `before` that records the bodies the page POSTs to `/v1/metrics` (they still reach the
 * server) in `window.__metrics`; `recordedMetrics` reads them.
 */
export const RECORD_METRICS = `<script>
  window.__metrics = [];
  const f = window.fetch;
  window.fetch = function (input, init) {
    const p = f.apply(this, arguments);
    if (String(input).includes('/v1/metrics')) p.then((r) => window.__metrics.push({ status: r.status, body: init.body }));
    return p;
  };
</script>`;

/** The metrics requests a page opened with `RECORD_METRICS` has sent so far (a live array): the server's status and the body. */
export const recordedMetrics = (s: ShopFrame): Array<{ status: number; body: string }> => (s.win as unknown as { __metrics: Array<{ status: number; body: string }> }).__metrics;

/** Appends `html` (one element, e.g. `<edge-recs placement="for-you">`) to the frame's body and resolves with it once it has rendered. */
export async function addRow(s: ShopFrame, html: string): Promise<HTMLElement> {
  const holder = s.doc.createElement('div');
  holder.innerHTML = html;
  const el = holder.firstElementChild as HTMLElement;
  const rendered = nextRender(el);
  s.doc.body.append(el);
  await rendered;
  await (el as unknown as { updateComplete?: Promise<unknown> }).updateComplete;
  return el;
}

/**
 * A real mouse click (CDP input, the browser's trusted event, not `el.click()`) in the middle of `el`,
 * which sits in `s`'s frame; `el` is scrolled into view first, as a shopper would.
 */
export async function realClick(s: ShopFrame, el: Element): Promise<void> {
  el.scrollIntoView({ block: 'nearest' });
  const frame = s.frame.getBoundingClientRect();
  const box = el.getBoundingClientRect();
  await sendMouse({ type: 'click', position: [Math.round(frame.left + box.left + box.width / 2), Math.round(frame.top + box.top + box.height / 2)] });
}
