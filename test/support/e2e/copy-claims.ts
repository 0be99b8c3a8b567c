/**
 * Card copy that states something about shoppers' behaviour, for the "no claim without evidence" journeys.
 * English built-in templates and "why this" texts (`widget/copy/templates.ts`); the journeys run the
 * widget in `en`.
 */
import type { Browser, Page } from 'playwright-core';

/** Lines that say shoppers did something after viewing `title` (the `similar` kind and its "why"). */
export function claimsAbout(title: string): RegExp[] {
  const t = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [
    new RegExp(`Shoppers who (viewed|looked at) ${t}`),
    new RegExp(`(Often )?picked after ${t}`, 'i'),
    new RegExp(`(viewed|visit to) ${t}`),
  ];
}

/** Lines that say a product is trending or popular (need the server's trending list behind them). */
const TRENDING = [/Trending/i, /Popular with shoppers/i];
/** Lines that call a product a bestseller (need the merchant's bestseller list or counts behind them). */
const BESTSELLER = [/bestseller/i];

export interface CardLine {
  placement: string;
  id: string;
  tier: string;
  reason: string;
  why: string;
}

/** Every card's line and "why this" text on the page, in every row. */
export function cardLines(page: Page): Promise<CardLine[]> {
  return page.locator('edge-recs li[part="card"]').evaluateAll((els) =>
    els.map((el) => ({
      placement: ((el.getRootNode() as ShadowRoot).host as Element | undefined)?.getAttribute('placement') ?? '',
      id: el.getAttribute('data-item-id') ?? '',
      tier: el.getAttribute('data-tier') ?? '',
      reason: el.querySelector('[part="reason"]')?.textContent?.trim() ?? '',
      why: el.querySelector('[part="why"]')?.textContent?.trim() ?? '',
    })),
  );
}

/** The lines among `lines` that match any of `patterns`, for a readable failure. */
export function matching(lines: readonly CardLine[], patterns: readonly RegExp[]): string[] {
  return lines.flatMap((l) => [l.reason, l.why].filter((text) => patterns.some((p) => p.test(text))).map((text) => `${l.placement} ${l.id} (${l.tier}): "${text}"`));
}

/**
 * Records every `edge-recs:render` with the engine's status at that moment (an init script, so no render
 * is missed), for `waitForRenderWithModel`.
 */
export async function recordRenders(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __renders: Array<{ placement: string | null; status: string | undefined }>; edgeRecs?: { state?: { status?: string } } };
    w.__renders = [];
    document.addEventListener('edge-recs:render', (e) => w.__renders.push({ placement: (e.target as Element).getAttribute('placement'), status: w.edgeRecs?.state?.status }), true);
  });
}

/**
 * Waits for a render of `placement` made once the model had loaded (needs `recordRenders` before the page
 * loaded). A row already showing its fallback keeps it when the model becomes ready (no swap of cards the
 * shopper has seen) until a new view, so where none came, this asks for one (`edgeRecs.refresh()`), as the
 * shopper's next action would.
 */
export async function waitForRenderWithModel(page: Page, placement: string, timeout = 60_000): Promise<void> {
  type Recorded = { __renders?: Array<{ placement: string | null; status: string | undefined }>; edgeRecs?: { state: { status: string }; refresh(): Promise<void> } };
  await page.waitForFunction(() => (window as unknown as Recorded).edgeRecs?.state.status === 'ready', undefined, { timeout });
  const modelRender = (p: string): boolean => (window as unknown as Recorded).__renders?.some((r) => r.placement === p && r.status === 'ready') ?? false;
  if (!(await page.evaluate(modelRender, placement))) await page.evaluate(() => (window as unknown as Recorded).edgeRecs!.refresh());
  await page.waitForFunction(modelRender, placement, { timeout });
}

/** The page's own text (outside the rows) that says shoppers chose what is shown after this product. */
const PAGE_CLAIMS = [/shoppers who (viewed|looked at) this/i, /chosen next by shoppers/i];

/** Light-DOM text of the page's `<main>` (or body) that matches `patterns`. */
async function pageClaims(page: Page, patterns: readonly RegExp[]): Promise<string[]> {
  const text = await page.evaluate(() => (document.querySelector('main') ?? document.body).innerText);
  return text.split('\n').map((l) => l.trim()).filter((l) => patterns.some((p) => p.test(l))).map((l) => `page text: "${l}"`);
}

export interface UnseenProductVisit {
  /** The shop's pages (`${shopUrl}${path}`) and the edge server that serves `model` to them. */
  shopUrl: string;
  edgeUrl: string;
  model: string;
  /** The product the model never saw: its page is `/p/${id}` and its heading `title`. */
  unseen: { id: string; title: string };
  /** Paths of products the model knows, browsed between the two visits of the unseen product's page. */
  browsed: readonly string[];
  /**
   * The model has content features, so it reads the unseen product from them (issue 18): a line about the
   * shopper's own view of it ("Because you viewed X") is then true, and only claims about other shoppers
   * and the shop's lists are wrong.
   */
  readFromFeatures?: boolean;
}

/**
 * Every behavioural claim a shopper reads on the page of a product the model never saw, once as a new
 * shopper and once after browsing `browsed`: lines about that product (`claimsAbout`), the page's own
 * claims (`PAGE_CLAIMS`), and trending or bestseller lines where the server has no such list. Empty is
 * right; each entry names the line.
 */
export async function claimsOnUnseenProduct(browser: Browser, visit: UnseenProductVisit): Promise<string[]> {
  const popular = (await (await fetch(`${visit.edgeUrl}/v1/popular?model=${encodeURIComponent(visit.model)}`)).json()) as { trending: unknown[]; bestsellers: unknown[] };
  const unseenPath = `/p/${visit.unseen.id}`;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await recordRenders(page);
    const claims: string[] = [];
    for (const path of [unseenPath, ...visit.browsed, unseenPath]) {
      await page.goto(`${visit.shopUrl}${path}`);
      if (path !== unseenPath) continue;
      await page.locator('[data-testid="product-title"]', { hasText: visit.unseen.title }).waitFor();
      await waitForRenderWithModel(page, 'similar');
      const lines = await cardLines(page);
      if (lines.length === 0) throw new Error(`no card on ${path}`);
      // `claimsAbout`: other shoppers' two claims first, then the shopper's own view.
      const about = claimsAbout(visit.unseen.title).slice(0, visit.readFromFeatures ? 2 : 3);
      claims.push(...matching(lines, about), ...(await pageClaims(page, PAGE_CLAIMS)));
      if (popular.trending.length === 0) claims.push(...matching(lines, TRENDING));
      if (popular.bestsellers.length === 0) claims.push(...matching(lines, BESTSELLER));
    }
    return claims;
  } finally {
    await context.close();
  }
}
