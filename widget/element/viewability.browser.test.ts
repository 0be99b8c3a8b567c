/**
 * `ViewableImpressions` in real Chromium (its IntersectionObserver, its clock): a card element that starts
 * showing another card (the same product from another model version, as when the model's row takes the
 * fallback row's place) starts a clock of its own, and the card it showed before counts nothing; a click
 * (`settle`) counts a card at once, and never twice. The whole journey, with scrolling and a hidden tab, is
 * in `test/integration/impressions.chromium.test.ts`.
 *
 * No duration is asserted: where something must NOT have been counted, the test first waits for a card
 * whose clock started later to be counted.
 */
import { deepEqual } from '../../test/support/browser/assert.ts';
import { afterEach, describe, it } from '../../test/support/browser/mocha.ts';
import { until } from '../../test/support/browser/shop-frame.ts';
import { ViewableImpressions } from './viewability.ts';

interface Item {
  key: string;
}

describe('viewable impressions: card identity', () => {
  const made: Element[] = [];
  const box = (): HTMLElement => {
    const el = document.createElement('div');
    el.style.cssText = 'width: 100px; height: 100px; background: #ddd';
    document.body.prepend(el);
    made.push(el);
    return el;
  };
  /** Resolves once an observer of the test's own, made after the tracker's, saw `el` half in view. */
  const inView = (el: Element): Promise<void> =>
    new Promise((resolve) => {
      const observer = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting && e.intersectionRatio >= 0.5)) {
          observer.disconnect();
          resolve();
        }
      }, { threshold: 0.5 });
      observer.observe(el);
    });

  afterEach(() => {
    for (const el of made.splice(0)) el.remove();
  });

  it('a card whose model version changes in place counts only as the card it became, once', async () => {
    const counted: string[] = [];
    const tracker = new ViewableImpressions<Item>((i) => i.key, (i) => counted.push(i.key));
    tracker.connect();
    const slot = box();
    const other = box();
    tracker.observe([
      [slot, { key: 'sku-1|category.0|fallback' }],
      [other, { key: 'sku-2|category.0|v1' }],
    ]);
    await inView(slot);
    // A tenth of a second later (a timer, so before the first card's second ends, whatever the load), the
    // same product and line come from the model: another card, whose second starts then.
    await new Promise((resolve) => setTimeout(resolve, 100));
    tracker.observe([
      [slot, { key: 'sku-1|category.0|v1' }],
      [other, { key: 'sku-2|category.0|v1' }],
    ]);
    await until(() => counted.length >= 2, 'both cards shown now counted');
    deepEqual(counted, ['sku-2|category.0|v1', 'sku-1|category.0|v1'], 'counted, in the order their seconds ended');
    // Clicked after it counted: nothing more. Re-rendered as the same card: nothing more.
    tracker.settle({ key: 'sku-1|category.0|v1' });
    tracker.observe([[slot, { key: 'sku-1|category.0|v1' }]]);
    deepEqual(counted.length, 2, 'counted once each');
    tracker.disconnect();
  });

  it('a card clicked before its second counts at the click, and its clock then counts nothing more', async () => {
    const counted: string[] = [];
    const tracker = new ViewableImpressions<Item>((i) => i.key, (i) => counted.push(i.key));
    tracker.connect();
    const clicked = box();
    tracker.observe([[clicked, { key: 'sku-3|viewed.1|v1' }]]);
    await inView(clicked);
    tracker.settle({ key: 'sku-3|viewed.1|v1' });
    deepEqual(counted, ['sku-3|viewed.1|v1'], 'counted at the click');
    // A card whose clock starts after the clicked one's: once it counts, the clicked one's second is over too.
    const later = box();
    tracker.observe([
      [clicked, { key: 'sku-3|viewed.1|v1' }],
      [later, { key: 'sku-4|viewed.1|v1' }],
    ]);
    await until(() => counted.length >= 2, 'the later card counted');
    deepEqual(counted, ['sku-3|viewed.1|v1', 'sku-4|viewed.1|v1'], 'the clicked card counted once');
    tracker.disconnect();
  });
});
