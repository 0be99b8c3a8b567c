/**
 * The space `<edge-recs>` rows take before their cards arrive: a stylesheet the loader puts in the page's
 * `<head>` the moment it runs, before the engine chunk is even asked for. Each row that has no `state`
 * yet (`recs-controller.ts` sets it with the first cards, or to `empty` / `error`) shows a placeholder
 * exactly as tall as the row it will become, computed in CSS alone from `count`, `layout` and the same
 * theme variables the cards are laid out with (`element-styles.ts`), at every width: the grid's column
 * count is `auto-fill`'s own rule, `max(1, floor((width + gap) / (card width + gap)))`, with the element's
 * width read as `100cqw` (the host is an inline-size container) and lengths divided as
 * `tan(atan2(a, b))`, which is `a / b` as a number (CSS Values 4 gives no other way to divide lengths in
 * browsers of 2024). A card is `card width / --edge-recs-image-ratio + --edge-recs-card-text-height`
 * tall, and the element's cards are held to exactly that (`element-styles.ts`), so skeleton and row
 * cannot differ. docs/merchant-guide.md ("Reserved space") has the same rule for a shop's own CSS.
 */

/**
 * The theme values both the skeleton and the cards are sized by. `element/element-styles.ts` has the same
 * (the lazy chunk may not import the loader); the layout-shift test fails where they differ.
 */
const CARD_WIDTH = 'var(--edge-recs-card-width, 160px)';
/** The card width on phones (`max-width: 480px`): two cards fit a 360 px screen. */
const PHONE_CARD_WIDTH = `min(${CARD_WIDTH}, 42vw)`;
const GAP = 'var(--edge-recs-gap, 16px)';
const IMAGE_RATIO = 'var(--edge-recs-image-ratio, 1)';
/**
 * A built-in card's height beyond `width / ratio`: its image is inset by 8 px on each side, then the title
 * (2 lines), price (1), copy line (2) and the "why" button, at the line heights `element-styles.ts` sets.
 */
const TEXT_HEIGHT = `var(--edge-recs-card-text-height, calc(44px - 16px / ${IMAGE_RATIO} + 6.835em))`;
/** Room under a carousel's cards for a horizontal scrollbar, whether the platform draws one or not. */
const CAROUSEL_BAR = '16px';
/** The carousel's padding around its cards (room for focus outlines and the hover lift). */
const CAROUSEL_PADDING = '4px';
/** Most cards a row shows (`element.ts`). */
const MAX_CARDS = 24;

/** The reserved height of a row of `--edge-recs-n` cards, valid on the host's `::after` (it reads `100cqw`). */
const GRID_HEIGHT = (width: string): string => {
  const columns = `max(1, round(down, tan(atan2(100cqw + ${GAP}, ${width} + ${GAP})) + 0.0001, 1))`;
  const card = `((100cqw - (var(--_er-cols) - 1) * ${GAP}) / var(--_er-cols) / ${IMAGE_RATIO} + ${TEXT_HEIGHT})`;
  return `--_er-cols:${columns};height:calc(round(up, var(--edge-recs-n) / var(--_er-cols), 1) * (${card} + ${GAP}) - ${GAP})`;
};
const CAROUSEL_HEIGHT = (width: string): string => `height:calc(${width} / ${IMAGE_RATIO} + ${TEXT_HEIGHT} + 2 * ${CAROUSEL_PADDING} + ${CAROUSEL_BAR})`;

/**
 * The stylesheet: `edge-recs` is a block and an inline-size container, and a row with no `state` yet
 * reserves its height. A row held out of a `"control": "none"` experiment (`holdout`, set with its
 * `state`) takes no space at all; with `holdout` (the device's last page found this model's rows held
 * out: `holdout-hint.ts`) no row reserves space before its state is known, so a held-out row never
 * gives back space it took.
 */
function reserveCss(holdout = false): string {
  const counts = Array.from({ length: MAX_CARDS }, (_, i) => `edge-recs[count="${i + 1}"]{--edge-recs-n:${i + 1}}`).join('');
  const pending = 'edge-recs:not([state])::after';
  const carousel = 'edge-recs[layout="carousel"]:not([state])::after';
  // Layered: any unlayered rule of the shop's own for `edge-recs` wins, wherever it is.
  return (
    `@layer edge-recs{` +
    `edge-recs{display:block;container-type:inline-size;--edge-recs-n:8}${counts}` +
    `${pending}{content:"";display:block;border-radius:var(--edge-recs-radius,12px);background:color-mix(in srgb,currentColor 6%,transparent);${GRID_HEIGHT(CARD_WIDTH)}}` +
    `${carousel}{${CAROUSEL_HEIGHT(CARD_WIDTH)}}` +
    `@media (max-width:480px){${pending}{${GRID_HEIGHT(PHONE_CARD_WIDTH)}}${carousel}{${CAROUSEL_HEIGHT(PHONE_CARD_WIDTH)}}}` +
    // Only what this shopper viewed: its size is not known before their history is read.
    `edge-recs[placement="recently-viewed"]:not([state])::after{display:none}}` +
    // The merchant guide's rule gives the space back after a while if no loader ever ran (unreachable,
    // blocked); the loader is running, so the space stays until the row's cards or its end. A holdout
    // device's rows collapse (see `holdout-hint.ts`). Important in a layer: each wins over the shop's
    // unlayered rules (the guide's `display: block`, its placeholder).
    `@layer edge-recs{${pending}{animation:none!important}` +
    `edge-recs[holdout]${holdout ? ',edge-recs:not([state])' : ''}{display:none!important}}`
  );
}

/**
 * Adopts the stylesheet in `doc`: a constructable stylesheet, so a Content-Security-Policy without
 * `style-src 'unsafe-inline'` allows it. Where the browser has no constructable stylesheets, no space is
 * reserved and the page is otherwise unchanged.
 */
export function reserveSpace(doc: Document, holdout = false): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(reserveCss(holdout));
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  } catch {
    // A browser without constructable stylesheets (Safari before 16.4): the rows grow as their cards arrive.
  }
}
