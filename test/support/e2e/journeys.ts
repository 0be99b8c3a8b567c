/**
 * What a shopper does with `<edge-recs>` rows, with real input (Playwright's mouse and keyboard, which
 * Chromium receives as trusted events), for the journey tests on the demo and the fixture shop.
 */
import type { Browser, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { MetricEvent } from '../../../core/analytics.ts';
import type { MetricsReadout } from '../../../edge-server/analytics/readout.ts';
import { recordRenders, waitForRenderWithModel } from './copy-claims.ts';

export type ClickHow = 'mouse' | 'keyboard' | 'ctrl' | 'middle';

export interface CardClick {
  how: ClickHow;
  placement: string;
  /** The card under the pointer (or focused) when it was activated. */
  clicked: { id: string; path: string; title: string };
  /** Where the shopper ended up: the page that shows the product (a new tab for ctrl/middle-click). */
  landed: { page: Page; path: string; title: string; id: string | null };
  /** `data-source` of the row's cards when the card was picked. */
  sources: string[];
}

const row = (placement: string): string => `edge-recs[placement="${placement}"]`;

/**
 * Waits until the engine has a model (`window.edgeRecs.state.status === 'ready'`) and the row shows
 * cards the model ranked (`data-source="model"`), and returns their count.
 */
export async function waitForModelRow(page: Page, placement: string, timeout = 60_000): Promise<number> {
  await page.waitForFunction(() => (window as unknown as { edgeRecs?: { state?: { status?: string } } }).edgeRecs?.state?.status === 'ready', undefined, { timeout });
  // A row already showing the fallback keeps it when the model becomes ready (no swap of seen cards) until
  // the next action or page view: the page says it has a new view.
  await page.evaluate(() => (window as unknown as { edgeRecs: { refresh(): void } }).edgeRecs.refresh());
  const cards = page.locator(`${row(placement)}[state="ready"] li[part="card"][data-source="model"]`);
  await cards.first().waitFor({ timeout });
  return cards.count();
}

/** `data-item-id` of each card a row shows, and where each came from. */
export async function rowCards(page: Page, placement: string): Promise<Array<{ id: string; source: string; reason: string; why: string }>> {
  return page.locator(`${row(placement)} li[part="card"]`).evaluateAll((els) =>
    els.map((el) => ({
      id: el.getAttribute('data-item-id') ?? '',
      source: el.getAttribute('data-source') ?? '',
      reason: el.querySelector('[part="reason"]')?.textContent?.trim() ?? '',
      why: el.querySelector('[part="why"]')?.textContent?.trim() ?? '',
    })),
  );
}

interface Picked {
  id: string;
  href: string;
  title: string;
}

/** The card under the point (x, y), looking through open shadow roots as the browser's hit test does. */
function cardAt(page: Page, x: number, y: number): Promise<Picked | null> {
  return page.evaluate(
    ([px, py]) => {
      let el: Element | null = document.elementFromPoint(px!, py!);
      while (el?.shadowRoot) {
        const inner = el.shadowRoot.elementFromPoint(px!, py!);
        if (!inner || inner === el) break;
        el = inner;
      }
      const li = el?.closest('li[part="card"]');
      const a = el?.closest('a[href]') as HTMLAnchorElement | null;
      if (!li || !a) return null;
      return { id: li.getAttribute('data-item-id') ?? '', href: a.href, title: li.querySelector('[part="title"]')?.textContent?.trim() ?? '' };
    },
    [x, y],
  );
}

/** The card whose link has keyboard focus, through open shadow roots. */
function focusedCard(page: Page): Promise<(Picked & { placement: string | null }) | null> {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    const li = el?.closest('li[part="card"]');
    if (!li || !(el instanceof HTMLAnchorElement)) return null;
    const host = (li.getRootNode() as ShadowRoot).host;
    return { id: li.getAttribute('data-item-id') ?? '', href: el.href, title: li.querySelector('[part="title"]')?.textContent?.trim() ?? '', placement: host?.getAttribute('placement') ?? null };
  });
}

/** The product a page shows: its path, its heading and, where the shop marks it, its id. */
async function shownProduct(page: Page): Promise<CardClick['landed']> {
  const heading = page.locator('[data-testid="product-title"]');
  await heading.waitFor({ timeout: 30_000 });
  return {
    page,
    path: decodeURIComponent(new URL(page.url()).pathname),
    title: ((await heading.textContent()) ?? '').trim(),
    id: await heading.getAttribute('data-product-id'),
  };
}

/**
 * Activates card `index` of a model-ranked row the way `how` says and follows the shopper to the product
 * page: `mouse` (pointer moved onto the card, then pressed and released), `keyboard` (Tab until focus is
 * in the row, arrow keys to the card, Enter), `ctrl` (Ctrl+click, a new tab) or `middle` (middle button,
 * a new tab). What is recorded as clicked is the card under the pointer or focus at that moment.
 */
export async function clickCard(page: Page, placement: string, index: number, how: ClickHow): Promise<CardClick> {
  await waitForModelRow(page, placement);
  const sources = (await rowCards(page, placement)).map((c) => c.source);
  const before = page.url();
  let picked: Picked | null;
  if (how === 'keyboard') {
    // Start above the row (the page's heading) and Tab into it, as a keyboard user does.
    await page.locator('h1').first().focus();
    let focused = await focusedCard(page);
    for (let i = 0; i < 60 && focused?.placement !== placement; i++) {
      await page.keyboard.press('Tab');
      focused = await focusedCard(page);
    }
    if (focused?.placement !== placement) throw new Error(`Tab never reached the ${placement} row`);
    for (let i = 0; i < index; i++) await page.keyboard.press('ArrowRight');
    picked = await focusedCard(page);
  } else {
    const link = page.locator(`${row(placement)} li[part="card"]`).nth(index).locator('a[href]').first();
    await link.scrollIntoViewIfNeeded();
    const box = await link.boundingBox();
    if (!box) throw new Error(`card ${index} of ${placement} has no box`);
    const [x, y] = [box.x + box.width / 2, box.y + Math.min(box.height / 2, 60)];
    await page.mouse.move(x, y, { steps: 4 });
    picked = await cardAt(page, x, y);
  }
  if (!picked) throw new Error(`no card of ${placement} under the pointer or focus (${how}, index ${index})`);
  const clicked = { id: picked.id, path: decodeURIComponent(new URL(picked.href).pathname), title: picked.title };

  if (how === 'ctrl' || how === 'middle') {
    const opened = page.context().waitForEvent('page', { timeout: 30_000 });
    if (how === 'ctrl') {
      await page.keyboard.down('Control');
      await page.mouse.down();
      await page.mouse.up();
      await page.keyboard.up('Control');
    } else {
      await page.mouse.down({ button: 'middle' });
      await page.mouse.up({ button: 'middle' });
    }
    const tab = await opened;
    await tab.waitForLoadState('domcontentloaded');
    return { how, placement, clicked, landed: await shownProduct(tab), sources };
  }
  const navigated = page.waitForURL((url) => url.href !== before, { timeout: 30_000, waitUntil: 'commit' });
  if (how === 'keyboard') await page.keyboard.press('Enter');
  else {
    await page.mouse.down();
    await page.mouse.up();
  }
  await navigated;
  return { how, placement, clicked, landed: await shownProduct(page), sources };
}

/** Whether a click landed on the product it pointed at (URL path and the product's heading). */
export function landedRight(c: CardClick): boolean {
  return c.landed.path === c.clicked.path && c.landed.title === c.clicked.title && (c.landed.id === null || c.landed.id === c.clicked.id);
}

export const describeClick = (c: CardClick): string =>
  `${c.how} on ${c.placement} card ${c.clicked.id} (${c.clicked.path}, "${c.clicked.title}") landed on ${c.landed.path} ("${c.landed.title}")`;

/**
 * Everything a page says in the console, throws, or fails to load, while it is watched. Requests the
 * test's own navigation or `close()` aborts are not the page's failures: call `stop()` before leaving.
 */
function watchPage(page: Page): { messages: string[]; stop(): void } {
  const messages: string[] = [];
  let on = true;
  const push = (m: string): void => void (on && messages.push(m));
  page.on('console', (m) => push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (!on) return;
    const at = messages.push(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`) - 1;
    // A response whose body the page never reads is reported (and shown in DevTools) as canceled: name it.
    void r.response().then((res) => res && (messages[at] += ` after its HTTP ${res.status()} response arrived`));
  });
  page.on('response', (r) => {
    if (r.status() >= 400) push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return { messages, stop: () => void (on = false) };
}

/**
 * What a page says while a new shopper views `views` in turn (`[path, placement]`: the page's path under
 * `baseUrl`, and the row to wait for until the model has ranked it, or null), each page until the network
 * is idle: console messages, uncaught errors, failed requests and HTTP errors, prefixed by the path.
 */
export async function pageViewMessages(browser: Browser, baseUrl: string, views: ReadonlyArray<readonly [string, string | null]>): Promise<string[]> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await recordRenders(page);
    const heard: string[] = [];
    for (const [path, placement] of views) {
      const watch = watchPage(page);
      await page.goto(`${baseUrl}${path}`);
      if (placement) await waitForRenderWithModel(page, placement);
      await page.waitForLoadState('networkidle');
      watch.stop();
      heard.push(...watch.messages.map((m) => `${path}: ${m}`));
    }
    return heard;
  } finally {
    await context.close();
  }
}

export type { MetricsReadout };

export async function adminMetrics(edgeUrl: string, token: string, model: string): Promise<MetricsReadout> {
  const res = await fetch(`${edgeUrl.replace(/\/$/, '')}/v1/admin/metrics?model=${encodeURIComponent(model)}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /v1/admin/metrics answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as MetricsReadout;
}

/** A placement's counter in the read-out (`null` while below k). */
export function counter(readout: MetricsReadout, placement: string, event: MetricEvent): number | null {
  return readout.byPlacement.find((p) => p.placement === placement)?.[event] ?? null;
}

/**
 * A placement's revenue in the read-out (`revenue: { EUR: { orders, amount: "123.40", ... } }`), in
 * major units of `currency`; 0 where there is none or it is hidden below k.
 */
export function revenue(readout: MetricsReadout, placement: string, currency = 'EUR'): number {
  return Number(readout.byPlacement.find((p) => p.placement === placement)?.revenue[currency]?.amount ?? 0);
}

export interface ClickJourney {
  clicks: CardClick[];
  /** Clicks or steps that could not be completed, with the first line of the error. */
  problems: string[];
  /** Products added to the cart on the pages the clicks landed on. */
  added: number;
}

/**
 * The shopper clicks a card of `placement` on `page` once per entry of `plan` (cards 1-3 in turn), and on
 * each product page reached adds the product to the cart with `addToCart` (resolving false where the page
 * offers no button). New tabs are closed after the add, as a shopper closes them. A step that fails is
 * recorded in `problems` and the journey goes on.
 */
export async function clickAndAdd(page: Page, placement: string, plan: readonly ClickHow[], addToCart: (page: Page) => Promise<boolean>): Promise<ClickJourney> {
  const journey: ClickJourney = { clicks: [], problems: [], added: 0 };
  for (const [i, how] of plan.entries()) {
    try {
      const started = performance.now();
      const click = await clickCard(page, placement, i % 3, how);
      journey.clicks.push(click);
      const landed = performance.now();
      if (await addToCart(click.landed.page)) journey.added++;
      if (click.landed.page !== page) await click.landed.page.close();
      if (process.env.DEBUG_JOURNEY) console.log(`${how}: clicked and landed in ${Math.round(landed - started)} ms, added in ${Math.round(performance.now() - landed)} ms`);
    } catch (e) {
      journey.problems.push(`click ${i + 1} (${how}): ${firstLine(e)}`);
    }
  }
  return journey;
}

export const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/**
 * Reads the admin metrics until `done` holds or `ms` pass (counters arrive by keepalive fetch or beacon,
 * after the page that counted them is gone), and returns the last read-out.
 */
export async function pollMetrics(edgeUrl: string, token: string, model: string, done: (r: MetricsReadout) => boolean, ms = 20_000): Promise<MetricsReadout> {
  const deadline = Date.now() + ms;
  for (;;) {
    const readout = await adminMetrics(edgeUrl, token, model);
    if (done(readout) || Date.now() > deadline) return readout;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Reads the admin metrics until `placement` shows the add-to-carts, purchases and revenue of a 12-click journey (at most 20 s). */
export function pollJourneyFunnel(edgeUrl: string, token: string, model: string, placement: string): Promise<MetricsReadout> {
  return pollMetrics(edgeUrl, token, model, (r) => {
    const f = funnel(r, placement);
    return f.add_to_cart >= 10 && f.purchase >= 10 && f.revenue > 0;
  });
}

/** A placement's click, add-to-cart and purchase counters and revenue (0 where the read-out hides one below k). */
export function funnel(readout: MetricsReadout | undefined, placement: string, currency = 'EUR'): { click: number; add_to_cart: number; purchase: number; revenue: number } {
  if (!readout) return { click: 0, add_to_cart: 0, purchase: 0, revenue: 0 };
  return {
    click: counter(readout, placement, 'click') ?? 0,
    add_to_cart: counter(readout, placement, 'add_to_cart') ?? 0,
    purchase: counter(readout, placement, 'purchase') ?? 0,
    revenue: revenue(readout, placement, currency),
  };
}

/** What a shop's 12-click journey left: the clicks, the order's total as the shop charged it, the read-out after it. */
export interface JourneyOutcome {
  journey: ClickJourney;
  orderTotal: number;
  readout: MetricsReadout | undefined;
}

/**
 * The tests of a shop's 12-click journey on `placement` (the same on every shop): it ran, every click
 * landed on the clicked product, the read-out counts every click, add-to-cart and purchase for the row,
 * and the order's revenue goes to the row to the cent. `outcome` is read when the tests run (after the
 * describe block's `beforeAll` made the journey).
 */
export function journeyTests(outcome: () => JourneyOutcome, placement = 'similar'): void {
  it('the journey ran: 12 clicks on model-ranked rows, each product added, one order placed', () => {
    const { journey, orderTotal } = outcome();
    expect(journey.problems).toEqual([]);
    expect(journey.clicks).toHaveLength(12);
    for (const c of journey.clicks) expect(c.sources, describeClick(c)).toContain('model');
    expect(journey.added).toBe(12);
    expect(orderTotal).toBeGreaterThan(0);
  });

  it('12 of 12 card clicks land on the clicked product (mouse, keyboard Enter, Ctrl-click and middle-click into a new tab)', () => {
    const { journey } = outcome();
    expect(journey.clicks.filter((c) => !landedRight(c)).map(describeClick)).toEqual([]);
    expect(journey.clicks.filter(landedRight)).toHaveLength(12);
  });

  it('every click, add-to-cart and purchase after a click is counted for the row (admin read-out, k = 1)', () => {
    const { journey, readout } = outcome();
    const clicked = journey.clicks.map((c) => c.clicked.id).join(' ');
    expect(funnel(readout, placement), `clicked ${clicked}; read-out ${JSON.stringify(readout?.byPlacement)}`).toMatchObject({ click: 12, add_to_cart: 12, purchase: 12 });
  });

  it('the revenue of the order goes to the row whose cards were clicked, to the cent', () => {
    const { orderTotal, readout } = outcome();
    expect(funnel(readout, placement).revenue, JSON.stringify(readout?.byPlacement)).toBe(orderTotal);
  });
}
