/**
 * Viewable impressions (`widget/element/viewability.ts`, the IAB/MRC standard: at least half of a card in view for
 * one continuous second, in a visible tab), in real Chromium on the production widget (`dist/`) loaded
 * cross-origin from the real edge server (`test/support/widget-shop.ts`): real mouse-wheel scrolling, a
 * real mouse click, and a really hidden tab (another tab brought to the front,
 * `test/support/tabbed-chromium.ts`). Counters are read as the page reports them: the batches the edge
 * server accepted at `POST /v1/metrics`, plus what the page has counted and not sent yet.
 *
 * Nothing waits a set time and no duration is asserted. Where a test shows that something was NOT
 * counted, it first waits for a later card to be counted: that card's second in view started after the
 * other's, so by then the other would have been counted too.
 */
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMetricsBatch, type MetricCounter } from '../../core/analytics.ts';
import { launchTabbedChromium, type TabbedChromium } from '../support/tabbed-chromium.ts';
import { startWidgetShop, type WidgetShop } from '../support/widget-shop.ts';

let shop: WidgetShop;
let tabs: TabbedChromium;
let page: Page;

/** Counters of every batch the edge server accepted (a shop per test: nothing from another test's pages). */
const sent = (): MetricCounter[] => shop.metrics.flatMap((body) => parseMetricsBatch(JSON.parse(body)).counters);

beforeEach(async () => {
  shop = await startWidgetShop();
  tabs = await launchTabbedChromium();
  page = await tabs.context.newPage();
  await page.setViewportSize({ width: 800, height: 900 });
  // The shop's own rows are taken out before the widget starts: each test places its rows itself.
  await page.addInitScript(() => document.addEventListener('DOMContentLoaded', () => document.getElementById('rows')!.replaceChildren()));
  await page.goto(`${shop.shopUrl}/p/sku-05`);
  await page.waitForFunction(() => (window as unknown as { edgeRecs: { state: { status: string } } }).edgeRecs.state.status === 'ready', undefined, { timeout: 30_000 });
}, 60_000);

afterEach(async () => {
  await tabs?.close();
  await shop?.stop();
});

/** What the page counted: sent, and still to send. */
async function counters(): Promise<MetricCounter[]> {
  const pending = await page.evaluate(() => {
    const element = customElements.get('edge-recs') as unknown as { engine?: { metrics: { pending(): { counters: unknown[] } | undefined } } } | undefined;
    return element?.engine?.metrics.pending()?.counters ?? [];
  });
  return [...sent(), ...(pending as MetricCounter[])];
}

const sum = (all: readonly MetricCounter[], where: Partial<MetricCounter>): number =>
  all.filter((c) => Object.entries(where).every(([k, v]) => c[k as keyof MetricCounter] === v)).reduce((n, c) => n + c.count, 0);

const impressions = async (placement: string): Promise<number> => sum(await counters(), { placement: placement as MetricCounter['placement'], event: 'impression' });

/**
 * Adds `<edge-recs>` with these attributes into the slot `#slot` (made at the end of `#rows` if missing)
 * and resolves with its card ids once they show what the model ranked (or, for `trending`, once shown).
 */
async function addRow(slot: string, attrs: Record<string, string>): Promise<string[]> {
  await page.evaluate(
    ({ slot, attrs }) => {
      let holder = document.getElementById(slot);
      if (!holder) {
        holder = document.createElement('div');
        holder.id = slot;
        document.getElementById('rows')!.append(holder);
      }
      const el = document.createElement('edge-recs');
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
      holder.append(el);
    },
    { slot, attrs },
  );
  const id = attrs.id!;
  await page.waitForFunction(
    ({ id, model }) => {
      const cards = Array.from(document.getElementById(id)?.shadowRoot?.querySelectorAll('li[part="card"]') ?? []);
      return cards.length === 4 && (!model || cards.every((li) => li.getAttribute('data-source') === 'model'));
    },
    { id, model: attrs.placement !== 'trending' },
    { timeout: 30_000 },
  );
  return cardIds(id);
}

const cardIds = (id: string): Promise<string[]> =>
  page.evaluate((id) => Array.from(document.getElementById(id)!.shadowRoot!.querySelectorAll('li[part="card"]')).map((li) => li.getAttribute('data-item-id')!), id);

/**
 * Resolves once an IntersectionObserver of the test's own reports every card of row `id` at least half in
 * view (`inView`) or not. Its notifications come in the same rendering step as the widget's, after them
 * (observers are notified in the order they were made), so the widget has seen the same by then.
 */
function viewed(id: string, inView: boolean): Promise<void> {
  return page.evaluate(
    ({ id, inView }) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`#${id} not ${inView ? 'in view' : 'out of view'} in 15 s (top ${document.getElementById(id)!.getBoundingClientRect().top})`)), 15_000);
        const cards = Array.from(document.getElementById(id)!.shadowRoot!.querySelectorAll('li[part="card"]'));
        const state = new Map<Element, boolean>();
        const observer = new IntersectionObserver(
          (entries) => {
            for (const e of entries) state.set(e.target, e.isIntersecting && e.intersectionRatio >= 0.5);
            if (state.size === cards.length && [...state.values()].every((v) => v === inView)) {
              observer.disconnect();
              clearTimeout(timer);
              resolve();
            }
          },
          { threshold: 0.5 },
        );
        for (const li of cards) observer.observe(li);
      }),
    { id, inView },
  );
}

/** Scrolls with the mouse wheel, over the page, by `dy` pixels. */
async function wheel(dy: number): Promise<void> {
  await page.mouse.move(400, 450);
  await page.mouse.wheel(0, dy);
}

/** The row's distance from the top of the viewport. */
const top = (id: string): Promise<number> => page.evaluate((id) => document.getElementById(id)!.getBoundingClientRect().top, id);

const visibility = (): Promise<string> => page.evaluate(() => document.visibilityState);

describe('viewable impressions', () => {
  it('a card at least half in view for a second counts once; scrolled past before that, or back into view later, nothing more', { timeout: 120_000 }, async () => {
    // Slots for three rows: one at the top, two below the fold, with room to scroll either way.
    await page.evaluate(() => {
      document.getElementById('rows')!.innerHTML = `<div id="top"></div><div style="height: 1500px"></div>
        <div id="below"></div><div id="after"></div><div style="height: 1500px"></div>`;
    });
    const ids = await addRow('below', { id: 'similar', placement: 'similar', 'item-id': 'sku-05', count: '4' });
    expect(ids).toHaveLength(4);
    expect(await top('similar')).toBeGreaterThan(900);

    // Scrolled into view and straight out again.
    await wheel((await top('similar')) - 100);
    await viewed('similar', true);
    await wheel(-5000);
    await viewed('similar', false);
    // A row at the top, in view for its second: the passing row's second would have ended before.
    await addRow('top', { id: 'for-you', placement: 'for-you', count: '4' });
    await expect.poll(() => impressions('for-you'), { timeout: 15_000 }).toBe(4);
    expect(await impressions('similar'), 'a row scrolled past within its first second').toBe(0);

    // Scrolled into view and left there: each card counts once, for the model version that ranked it.
    await wheel((await top('similar')) - 100);
    await viewed('similar', true);
    await expect.poll(() => impressions('similar'), { timeout: 15_000 }).toBe(4);
    expect(sum(await counters(), { placement: 'similar', event: 'impression', modelVersion: 'v1' })).toBe(4);

    // Out of view and back: nothing more, also once a row below it has had its second.
    await wheel(-5000);
    await viewed('similar', false);
    await wheel((await top('similar')) - 100);
    await viewed('similar', true);
    await addRow('after', { id: 'trending', placement: 'trending', count: '4' });
    await viewed('trending', true);
    await expect.poll(() => impressions('trending'), { timeout: 15_000 }).toBe(4);
    expect(await impressions('similar'), 'scrolled back into view').toBe(4);

    // What reaches the server: the shopper switches tabs, and the hidden page sends its batch.
    await (await tabs.context.newPage()).bringToFront();
    await expect.poll(() => sum(sent(), { event: 'impression' }), { timeout: 15_000 }).toBe(12);
    expect(sum(sent(), { placement: 'similar', event: 'impression', modelVersion: 'v1' })).toBe(4);
  });

  it('a row replaced half a second after it showed counts nothing for the cards it replaced', { timeout: 120_000 }, async () => {
    // The page swaps the row's product half a second after the row first showed (as the model's row
    // replaces the first-visit fallback row), and records what each render showed.
    await page.evaluate(() => {
      const w = window as unknown as { __renders: string[][] };
      w.__renders = [];
      const el = document.createElement('edge-recs');
      el.id = 'similar';
      el.setAttribute('placement', 'similar');
      el.setAttribute('item-id', 'sku-05');
      el.setAttribute('count', '4');
      el.addEventListener('edge-recs:render', (e) => {
        w.__renders.push((e as CustomEvent<{ cards: string[] }>).detail.cards);
        if (w.__renders.length === 1) setTimeout(() => el.setAttribute('item-id', 'sku-20'), 500);
      });
      document.getElementById('rows')!.append(el);
    });
    const renders = (): Promise<string[][]> => page.evaluate(() => (window as unknown as { __renders: string[][] }).__renders);
    await expect.poll(async () => (await renders()).length, { timeout: 30_000 }).toBe(2);
    const [first, last] = (await renders()) as [string[], string[]];
    const replaced = first.filter((id) => !last.includes(id));
    expect(replaced.length, `the row's cards changed (${first.join(', ')} -> ${last.join(', ')})`).toBeGreaterThan(0);
    expect(await cardIds('similar')).toEqual(last);
    // The cards shown now have their second (a card in both rows kept its clock): they count; the replaced
    // ones, whose second would have ended first, do not.
    await expect.poll(() => impressions('similar'), { timeout: 15_000 }).toBe(last.length);
    await addRow('after', { id: 'trending', placement: 'trending', count: '4' });
    await expect.poll(() => impressions('trending'), { timeout: 15_000 }).toBe(4);
    expect(await impressions('similar')).toBe(last.length);
  });

  it('a card clicked within its first second counts its impression and its click under the same key', { timeout: 120_000 }, async () => {
    await addRow('rows-1', { id: 'similar', placement: 'similar', 'item-id': 'sku-05', count: '4' });
    // Read in one step, so the click comes well within the card's first second in view.
    const card = await page.evaluate(() => {
      const li = document.getElementById('similar')!.shadowRoot!.querySelectorAll('li[part="card"]')[1]!;
      const a = li.querySelector('a[part="link"]') as HTMLAnchorElement;
      const box = a.getBoundingClientRect();
      return { variant: li.getAttribute('data-variant')!, path: new URL(a.href).pathname, x: box.left + box.width / 2, y: box.top + box.height / 2 };
    });
    const variant = card.variant;
    // A real mouse click: the browser follows the link, and the page sends its batch as it goes.
    await Promise.all([page.waitForURL((u) => u.pathname === card.path), page.mouse.click(card.x, card.y)]);
    await expect.poll(() => sum(sent(), { event: 'click' }), { timeout: 15_000 }).toBe(1);
    const clicks = sent().filter((c) => c.event === 'click');
    expect(clicks.map((c) => `${c.placement}|${c.modelVersion}|${c.variant}`)).toEqual([`similar|v1|${variant}`]);
    expect(sum(sent(), { placement: 'similar', modelVersion: 'v1', variant, event: 'impression' }), 'the clicked card\'s impression, under its key').toBeGreaterThanOrEqual(1);
    // No key has more clicks than impressions.
    for (const c of clicks) expect(sum(sent(), { placement: c.placement, modelVersion: c.modelVersion, variant: c.variant, event: 'impression' })).toBeGreaterThanOrEqual(c.count);
  });

  it('a hidden tab does not count: the second starts once the tab is shown again', { timeout: 120_000 }, async () => {
    await addRow('rows-1', { id: 'similar', placement: 'similar', 'item-id': 'sku-05', count: '4' });
    await viewed('similar', true);
    // The shopper switches to another tab right after the row came into view.
    const other = await tabs.context.newPage();
    await other.bringToFront();
    await expect.poll(visibility, { timeout: 15_000 }).toBe('hidden');
    // A timer of the hidden page set to end after the row's second would have: by then it would have counted.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 1_500)));
    expect(await impressions('similar'), 'counted while the tab was hidden').toBe(0);
    // Back on the tab: each card counts once it has had its second in view.
    await page.bringToFront();
    await expect.poll(visibility, { timeout: 15_000 }).toBe('visible');
    await expect.poll(() => impressions('similar'), { timeout: 15_000 }).toBe(4);
  });
});
