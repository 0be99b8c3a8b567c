/**
 * The demo shop passes axe-core (the rules Lighthouse's accessibility score is made of) on every page, with
 * its recommendation rows rendered (grid and carousel, inside their open shadow roots, which axe reads) and
 * with the profile dialog open. `npm start`'s server in a child process, driven in Debian Chromium.
 *
 * axe runs its default rule set: every rule that is not experimental, i.e. WCAG 2.0/2.1/2.2 A and AA plus
 * axe's best practices. A violation fails with its rule, impact and the elements at fault.
 */
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { startDemoServer, type DemoServer } from '../support/e2e/demo-server.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

/** axe-core's violations on the page as it is now, one line per rule and element. */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  });
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(n.target)}: ${n.failureSummary ?? ''}`));
}

/** Waits until every `<edge-recs>` on the page shows its cards. */
async function rowsReady(page: Page): Promise<void> {
  await page.locator('edge-recs li[part="card"]').first().waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => [...document.querySelectorAll('edge-recs')].every((el) => el.shadowRoot?.querySelector('li[part="card"]')), undefined, { timeout: 60_000 });
}

describe('demo shop accessibility (axe-core in Chromium)', () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startDemoServer();
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('has no axe violations on the home page (grid row), with its row rendered', async () => {
    await page.goto(server.url);
    await rowsReady(page);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('has no axe violations on a category page', async () => {
    await page.locator('nav.cats a').first().click();
    await page.locator('[data-testid="product-tile"]').first().waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });

  it('has no axe violations on a product page (carousel row), on a phone-sized screen too', async () => {
    await page.locator('[data-testid="product-tile"]').first().click();
    await page.locator('[data-testid="product-title"]').waitFor();
    await rowsReady(page);
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 320, height: 640 });
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  it('has no axe violations on the cart page with a product in the cart, nor with the profile dialog open', async () => {
    await page.locator('[data-testid="add-to-cart"]').click();
    // The cart link is named by what it shows, the count with its noun in the right form.
    await page.getByRole('link', { name: 'Cart 1 item', exact: true }).waitFor();
    await page.locator('a.cart-link').click();
    await page.locator('[data-testid="cart-total"]').waitFor();
    await rowsReady(page);
    // A "why this" explanation open, as a shopper would read it.
    await page.locator('edge-recs [part="why-button"]').first().click();
    expect(await axeViolations(page)).toEqual([]);
    await page.locator('[data-testid="open-profile"]').click();
    await page.locator('dialog[data-edge-recs-profile] [data-testid="profile-events"]').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.locator('dialog[data-edge-recs-profile]').waitFor({ state: 'detached' });
  });

  it('has no axe violations on the order confirmation', async () => {
    await page.locator('[data-testid="checkout"]').click();
    await page.getByRole('heading', { name: 'Thank you for your order' }).waitFor();
    await rowsReady(page);
    expect(await axeViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
