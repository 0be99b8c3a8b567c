/**
 * Motion and layout of `<edge-recs>` in real Chromium (production build, real edge server): under
 * `prefers-reduced-motion: reduce` (Playwright's media emulation, through `emulateMedia`) the carousel
 * scrolls without animation and cards neither transition nor lift; the grid's column count follows the
 * width and the carousel narrows its cards on phones (`setViewport`; the shop frame fills the viewport).
 */
import { emulateMedia, setViewport } from '@web/test-runner-commands';
import { equal, ok } from '../../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { deleteDb, nextRender, openShop, until, type ShopFrame } from '../../test/support/browser/shop-frame.ts';

/** wtr's own viewport, restored after each test. */
const DEFAULT_VIEWPORT = { width: 800, height: 600 };
const nextFrame = (win: Window): Promise<void> => new Promise((resolve) => win.requestAnimationFrame(() => resolve()));

describe('reduced motion and responsive layout, production build', () => {
  let shop: ShopFrame | undefined;

  /** A shop whose frame fills the viewport, with one row, rendered. */
  const open = async (attrs: string): Promise<{ s: ShopFrame; el: HTMLElement; list: HTMLElement }> => {
    const s = (shop = await openShop({ build: 'prod' }));
    s.frame.style.cssText = 'position: fixed; inset: 0; width: 100vw; height: 100vh; border: 0';
    await s.api.ready();
    await until(() => s.api.state.status !== 'loading', 'the model never finished loading');
    const holder = s.doc.createElement('div');
    holder.innerHTML = `<edge-recs ${attrs}></edge-recs>`;
    const el = holder.firstElementChild as HTMLElement;
    const rendered = nextRender(el);
    s.doc.body.append(el);
    await rendered;
    return { s, el, list: el.shadowRoot!.querySelector('ul')! };
  };
  const columns = (list: HTMLElement): number => getComputedStyle(list).gridTemplateColumns.split(' ').filter(Boolean).length;

  beforeEach(async () => {
    await deleteDb();
  });

  afterEach(async () => {
    shop?.close();
    shop = undefined;
    await emulateMedia({ reducedMotion: 'no-preference' });
    await setViewport(DEFAULT_VIEWPORT);
    await deleteDb();
  });

  it('scrolls the carousel at once, with no transitions or hover lift, under prefers-reduced-motion: reduce', async () => {
    await emulateMedia({ reducedMotion: 'reduce' });
    const { s, el, list } = await open('placement="trending" count="8" layout="carousel"');
    ok(s.win.matchMedia('(prefers-reduced-motion: reduce)').matches, 'the shop page sees reduced motion');
    ok(list.scrollWidth > list.clientWidth, `the row overflows (${list.scrollWidth} > ${list.clientWidth})`);
    equal(getComputedStyle(list).scrollBehavior, 'auto', 'carousel scroll-behavior');
    const card = el.shadowRoot!.querySelector<HTMLElement>('li[part="card"]')!;
    equal(getComputedStyle(card).transitionDuration, '0s', 'card transition');

    el.shadowRoot!.querySelector<HTMLButtonElement>('button[part="next"]')!.click();
    ok(list.scrollLeft > 0, `"next" moved the row at once (scrollLeft ${list.scrollLeft})`);
    // Keyboard navigation scrolls the focused card into view the same way.
    list.scrollLeft = 0;
    const links = Array.from(el.shadowRoot!.querySelectorAll<HTMLAnchorElement>('a[part="link"]'));
    links[0]!.focus();
    el.shadowRoot!.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true, composed: true }));
    ok(list.scrollLeft > 0, `End brought the last card into view at once (scrollLeft ${list.scrollLeft})`);
    noPageErrors(s);
  });

  it('animates carousel scrolling and card hover when motion is not reduced', async () => {
    await emulateMedia({ reducedMotion: 'no-preference' });
    const { s, el, list } = await open('placement="trending" count="8" layout="carousel"');
    ok(!s.win.matchMedia('(prefers-reduced-motion: reduce)').matches, 'the shop page sees no preference');
    equal(getComputedStyle(list).scrollBehavior, 'smooth', 'carousel scroll-behavior');
    const card = el.shadowRoot!.querySelector<HTMLElement>('li[part="card"]')!;
    equal(getComputedStyle(card).transitionDuration, '0.12s', 'card transition');

    el.shadowRoot!.querySelector<HTMLButtonElement>('button[part="next"]')!.click();
    equal(list.scrollLeft, 0, 'a smooth scroll has not moved the row within the click');
    await until(() => list.scrollLeft > 0, 'the smooth scroll moves the row over the next frames');
    noPageErrors(s);
  });

  it('fits more grid columns as the viewport widens, and at least two on a phone', async () => {
    await setViewport({ width: 1280, height: 800 });
    const { s, list } = await open('placement="trending" count="8"');
    await nextFrame(s.win);
    const wide = columns(list);
    await setViewport({ width: 800, height: 600 });
    await nextFrame(s.win);
    const medium = columns(list);
    await setViewport({ width: 360, height: 740 });
    await nextFrame(s.win);
    const phone = columns(list);
    ok(wide > medium && medium > phone, `columns at 1280 / 800 / 360 px: ${wide} / ${medium} / ${phone}`);
    equal(phone, 2, 'two columns on a 360 px phone (cards narrow to 42vw rather than one per row)');
    noPageErrors(s);
  });

  it('narrows carousel cards on a phone', async () => {
    await setViewport({ width: 800, height: 600 });
    const { s, el } = await open('placement="trending" count="8" layout="carousel"');
    const cardWidth = (): number => el.shadowRoot!.querySelector('li[part="card"]')!.getBoundingClientRect().width;
    await nextFrame(s.win);
    const desktop = cardWidth();
    await setViewport({ width: 360, height: 740 });
    await nextFrame(s.win);
    const phone = cardWidth();
    ok(phone < desktop, `card width ${desktop} px on 800 px, ${phone} px on a 360 px phone`);
    ok(Math.abs(phone - 0.42 * 360) < 2, `a phone card is 42vw (${phone} px)`);
    noPageErrors(s);
  });
});

function noPageErrors(s: ShopFrame): void {
  equal(s.errors.length, 0, `page errors: ${JSON.stringify(s.errors)}`);
}
