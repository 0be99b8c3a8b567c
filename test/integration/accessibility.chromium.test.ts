/**
 * `<edge-recs>` and the profile dialog are accessible as a merchant ships them: the production widget
 * (`dist/`) from the real edge server (`test/support/widget-shop.ts`, a catalog with products on sale) in
 * Debian Chromium, driven with Playwright's real keyboard.
 *
 * - axe-core (the rules of Lighthouse's accessibility score: WCAG 2 A/AA and axe's best practices, every
 *   rule axe runs by default) finds nothing in a grid, a carousel and a merchant's `<template>` cards,
 *   inside their open shadow roots, in the widget's default theme, the demo's and a dark restyle.
 * - The struck-through old price has at least 4.5:1 contrast in each (from the computed colours).
 * - Each "why this" button has its own accessible name; the carousel's controls are in the tab order, the
 *   arrow keys move between cards, and previous/next cover no card on a 320 px screen.
 * - The profile dialog opens on its heading, keeps Tab inside, closes on Escape and gives focus back;
 *   it says "1 event" and gives the price range in the catalog's currency.
 */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { PRODUCTS, useWidgetShop } from '../support/widget-shop.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Every third product on sale, 20% off: the first card of a catalog-order row shows an old price. */
const ON_SALE = PRODUCTS.map((p, i) => (i % 3 === 0 ? { ...p, sale_price: Math.round(p.price * 80) / 100 } : p));

const rig = useWidgetShop({ products: ON_SALE });

const ROWS = `<main>
<h2 id="grid-title">Grid</h2>
<edge-recs id="grid" placement="for-you" count="8"></edge-recs>
<h2 id="carousel-title" tabindex="-1">Carousel</h2>
<edge-recs id="carousel" placement="for-you" count="8" layout="carousel"></edge-recs>
<h2>Own cards</h2>
<edge-recs id="custom" placement="for-you" count="4"><template>
  <a data-field="link"><img data-field="image" width="60" height="60"><b data-field="title"></b>
  <span data-field="price"></span> <s data-field="was"></s> <small data-field="reason"></small></a>
</template></edge-recs>
<button type="button" id="open-profile" onclick="window.edgeRecs.openProfile()">Your recommendations</button>
</main>`;

/** The themes: the widget's own defaults on a white page, the demo shop's, and a dark one set with the documented properties. */
const THEMES: Record<string, string> = {
  default: '',
  demo: 'body { color: #161a23; background: #f7f7f4; } edge-recs { --edge-recs-card-bg: #fafafa; --edge-recs-focus: #4338ca; }',
  dark: 'body { color: #f3f4f6; background: #111827; } edge-recs { --edge-recs-card-bg: #1f2937; --edge-recs-focus: #93c5fd; }',
};

async function open(theme: string): Promise<Page> {
  rig.shop.page({ rows: ROWS, style: THEMES[theme]! });
  const page = await rig.browser.newPage();
  await page.goto(rig.shop.shopUrl);
  await page.waitForFunction(() => (window as unknown as { edgeRecs?: { state: { status: string } } }).edgeRecs?.state.status === 'ready', undefined, { timeout: 30_000 });
  await page.waitForFunction(() => Array.from(document.querySelectorAll('edge-recs')).every((el) => el.shadowRoot?.querySelector('li[part="card"]')), undefined, { timeout: 30_000 });
  return page;
}

/** axe-core's violations within the rows (the test page's own `<html>` and `<title>` are not the widget's). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    type Result = { violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown; failureSummary: string }> }> };
    const axe = (window as unknown as { axe: { run(context: object, options: object): Promise<Result> } }).axe;
    const { violations } = await axe.run({ include: [['#rows']] }, { resultTypes: ['violations'] });
    return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) at ${JSON.stringify(n.target)}: ${n.failureSummary}`));
  });
}

/**
 * The WCAG 2 contrast ratio of each built-in card's old price against what is behind it: the computed
 * `color` (alpha composited over the nearest opaque background, crossing the shadow boundary) and that background.
 */
function oldPriceContrasts(page: Page, row: string): Promise<number[]> {
  return page.evaluate((id) => {
    type RGBA = [number, number, number, number];
    const parse = (css: string): RGBA => {
      const srgb = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.e-]+))?\)$/.exec(css);
      if (srgb) return [Number(srgb[1]) * 255, Number(srgb[2]) * 255, Number(srgb[3]) * 255, srgb[4] === undefined ? 1 : Number(srgb[4])];
      const rgb = /^rgba?\(([\d.]+),? ([\d.]+),? ([\d.]+)(?:[,/] ?([\d.]+))?\)$/.exec(css);
      if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3]), rgb[4] === undefined ? 1 : Number(rgb[4])];
      throw new Error(`unparsed colour ${css}`);
    };
    const over = (top: RGBA, bottom: RGBA): RGBA => [0, 1, 2].map((i) => top[i]! * top[3] + bottom[i]! * (1 - top[3])).concat(1) as RGBA;
    const background = (el: Element): RGBA => {
      let layer: RGBA = [255, 255, 255, 1];
      const stack: RGBA[] = [];
      for (let n: Element | null = el; n; n = n.parentElement ?? ((n.getRootNode() as ShadowRoot).host ?? null)) {
        const bg = parse(getComputedStyle(n).backgroundColor);
        if (bg[3] > 0) stack.push(bg);
        if (bg[3] === 1) break;
      }
      for (const bg of stack.reverse()) layer = over(bg, layer);
      return layer;
    };
    const luminance = ([r, g, b]: RGBA): number => {
      const lin = (c: number): number => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const root = document.getElementById(id)!.shadowRoot!;
    return Array.from(root.querySelectorAll('[part="was"]')).map((was) => {
      const bg = background(was);
      const fg = over(parse(getComputedStyle(was).color), bg);
      const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a) as [number, number];
      return (hi + 0.05) / (lo + 0.05);
    });
  }, row);
}

/** The focused element, inside shadow roots: `tag[part]` or `tag#id`, and whether it is in the open dialog. */
const focused = (page: Page): Promise<{ what: string; inDialog: boolean }> =>
  page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    if (!el) return { what: 'none', inDialog: false };
    let inDialog = false;
    for (let n: Node | null = el; n; n = n.parentNode ?? (n as ShadowRoot).host ?? null) if (n instanceof HTMLDialogElement) inDialog = true;
    const part = el.getAttribute('part');
    return { what: `${el.localName}${part ? `[${part}]` : el.id ? `#${el.id}` : ''}`, inDialog };
  });

describe('accessibility of the widget in Chromium', () => {
  for (const theme of Object.keys(THEMES)) {
    it(`has no axe violations in any layout, and old prices of at least 4.5:1, in the ${theme} theme`, { timeout: 90_000 }, async () => {
      const page = await open(theme);
      expect(await axeViolations(page)).toEqual([]);
      for (const row of ['grid', 'carousel']) {
        const ratios = await oldPriceContrasts(page, row);
        expect(ratios.length, `old prices in the ${row}`).toBeGreaterThan(0);
        for (const ratio of ratios) expect(ratio, `old price contrast in the ${row}`).toBeGreaterThanOrEqual(4.5);
      }
      // An explanation open, the way a shopper reads it.
      await page.locator('#grid [part="why-button"]').first().click();
      expect(await axeViolations(page)).toEqual([]);
      await page.close();
    });
  }

  it('names each "why this" button after its product, keeps its visible text short, and says "was" before an old price', { timeout: 60_000 }, async () => {
    const page = await open('default');
    const row = page.locator('#grid');
    const titles = await row.locator('[part="title"]').allTextContents();
    expect(titles.length).toBe(8);
    for (const title of titles) await expect.poll(() => row.getByRole('button', { name: `Why this? ${title}`, exact: true }).count()).toBe(1);
    expect(new Set(await row.locator('[part="why-button"]').allTextContents())).toEqual(new Set(['Why this?']));
    // The first card is on sale: its link's accessible name reads the two prices as "now" and "was".
    const link = row.locator('a[part="link"]').first();
    const name = await link.evaluate((a) => a.textContent!.replace(/\s+/g, ' ').trim());
    expect(name).toMatch(/Now €8\.00 was €10\.00/);
    await page.close();
  });

  it('reaches the carousel\'s previous and next with Tab, moves between cards with the arrow keys, and hints at them', { timeout: 60_000 }, async () => {
    const page = await open('default');
    await page.locator('#carousel-title').focus();
    await page.keyboard.press('Tab');
    expect((await focused(page)).what).toBe('button[prev]');
    await page.keyboard.press('Tab');
    expect((await focused(page)).what).toBe('a[link]');
    const hint = await page.locator('#carousel a[part="link"]').first().evaluate((a) => (a.getRootNode() as ShadowRoot).getElementById(a.getAttribute('aria-describedby') ?? '')?.textContent);
    expect(hint).toMatch(/Arrow keys/);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const third = await page.locator('#carousel li[part="card"]').nth(2).getAttribute('data-item-id');
    expect(await page.evaluate(() => document.getElementById('carousel')!.shadowRoot!.activeElement?.closest('li')?.getAttribute('data-item-id'))).toBe(third);
    await page.keyboard.press('Tab');
    expect((await focused(page)).what).toBe('button[why-button]');
    await page.keyboard.press('Tab');
    expect((await focused(page)).what).toBe('button[next]');
    const list = page.locator('#carousel ul');
    const before = await list.evaluate((ul) => ul.scrollLeft);
    await page.keyboard.press('Enter');
    await expect.poll(() => list.evaluate((ul) => ul.scrollLeft)).toBeGreaterThan(before);
    await page.keyboard.press('Shift+Tab');
    expect((await focused(page)).what).toBe('button[why-button]');
    await page.close();
  });

  it('puts the carousel\'s previous and next beside the cards, covering none of them, on a 320 px screen', { timeout: 60_000 }, async () => {
    const page = await open('default');
    await page.setViewportSize({ width: 320, height: 640 });
    await page.addStyleTag({ content: 'edge-recs { width: auto !important; }' });
    const overlaps = await page.evaluate(() => {
      const root = document.getElementById('carousel')!.shadowRoot!;
      const list = root.querySelector('ul')!.getBoundingClientRect();
      const clip = (r: DOMRect): DOMRect => new DOMRect(Math.max(r.left, list.left), r.top, Math.max(0, Math.min(r.right, list.right) - Math.max(r.left, list.left)), r.height);
      const cards = Array.from(root.querySelectorAll('li[part="card"]')).map((li) => clip(li.getBoundingClientRect())).filter((r) => r.width > 0);
      const hit = (a: DOMRect, b: DOMRect): boolean => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      return ['prev', 'next'].flatMap((part) => {
        const button = root.querySelector(`[part="${part}"]`)!.getBoundingClientRect();
        return button.width > 0 ? cards.filter((c) => hit(button, c)).map(() => part) : [`${part} not shown`];
      });
    });
    expect(overlaps).toEqual([]);
    await page.close();
  });

  it('opens the profile dialog on its heading, keeps Tab in it, closes on Escape and returns focus; "1 event", a price range in euros', { timeout: 60_000 }, async () => {
    const page = await open('default');
    await page.evaluate(() => (window as unknown as { edgeRecs: { track(name: string, params: object): void } }).edgeRecs.track('view_item', { items: [{ item_id: 'sku-01' }] }));
    await page.locator('#open-profile').focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog[data-edge-recs-profile]');
    await expect.poll(() => focused(page)).toEqual({ what: 'h2#edge-recs-profile-title', inDialog: true });
    await expect.poll(() => dialog.locator('[data-testid="profile-events"]').textContent()).toMatch(/^1 event \(/);
    await expect.poll(() => dialog.getByText('Usual price range').locator('xpath=following-sibling::dd[1]').textContent()).toBe('€11.00 – €11.00');
    const stops: Array<{ what: string; inDialog: boolean }> = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      stops.push(await focused(page));
    }
    expect(stops.filter((s) => s.what !== 'none' && s.what !== 'body').every((s) => s.inDialog), JSON.stringify(stops)).toBe(true);
    expect(stops.map((s) => s.what)).toEqual(expect.arrayContaining(['button[pause]', 'button[erase]', 'button']));
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await focused(page)).what).toBe('button#open-profile');
    await page.close();
  });
});
