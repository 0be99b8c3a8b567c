import { css, unsafeCSS } from 'lit';

// The same values as `loader/reserve.ts`, which sizes the space reserved for the row: written again here,
// as a lazy chunk may not import the loader (test/node/bundle-size.test.ts), and held equal by
// test/integration/layout-shift.chromium.test.ts, where the row and its reserved space must match.
const CARD_WIDTH = 'var(--edge-recs-card-width, 160px)';
const PHONE_CARD_WIDTH = `min(${CARD_WIDTH}, 42vw)`;
const GAP = 'var(--edge-recs-gap, 16px)';
const IMAGE_RATIO = 'var(--edge-recs-image-ratio, 1)';
const TEXT_HEIGHT = `var(--edge-recs-card-text-height, calc(44px - 16px / ${IMAGE_RATIO} + 6.835em))`;
const CAROUSEL_BAR = '16px';
const CAROUSEL_PADDING = '4px';

/**
 * Every card is exactly `width / --edge-recs-image-ratio + --edge-recs-card-text-height` tall: its content
 * box keeps the image's ratio and its bottom padding is the text's height, whatever the title's length, a
 * missing image or a merchant's `<template>` holds. So the row is as tall as the space the loader
 * reserved for it (`loader/reserve.ts`). An open "why this" (the shopper's own click) lets it grow.
 */
const ratio = unsafeCSS(IMAGE_RATIO);
const textHeight = unsafeCSS(TEXT_HEIGHT);
const cardWidth = unsafeCSS(CARD_WIDTH);
const phoneCardWidth = unsafeCSS(PHONE_CARD_WIDTH);
const gap = unsafeCSS(GAP);
const carouselHeight = (width: ReturnType<typeof unsafeCSS>): ReturnType<typeof unsafeCSS> =>
  unsafeCSS(`calc(${String(width)} / ${IMAGE_RATIO} + ${TEXT_HEIGHT} + 2 * ${CAROUSEL_PADDING} + ${CAROUSEL_BAR})`);

/** `<edge-recs>`'s shadow styles: the grid and carousel layouts, the cards, and the theming custom properties (see `element.ts`). */
export const elementStyles = css`
    :host { display: block; font: inherit; color: inherit; position: relative; container-type: inline-size; }
    :host([hidden]) { display: none; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: ${gap};
      grid-template-columns: repeat(auto-fill, minmax(${cardWidth}, 1fr)); }
    :host([layout="carousel"]) ul { display: flex; overflow-x: auto; overflow-y: hidden; scroll-snap-type: x mandatory; scroll-padding: 0 4px;
      padding: 4px; scrollbar-width: thin; align-items: flex-start; box-sizing: border-box; height: ${carouselHeight(cardWidth)}; }
    :host([layout="carousel"]) li { flex: 0 0 ${cardWidth}; scroll-snap-align: start; }
    li { position: relative; display: flex; flex-direction: column; border-radius: var(--edge-recs-radius, 12px);
      background: var(--edge-recs-card-bg, #fff); box-shadow: var(--edge-recs-shadow, 0 1px 3px rgb(0 0 0 / 0.12));
      box-sizing: content-box; aspect-ratio: ${ratio}; padding-bottom: ${textHeight}; min-height: 0; }
    li:has(> .explain:not([hidden])) { aspect-ratio: auto; padding-bottom: 0; }
    /* A card out of view (a carousel's next ones, a grid's below the fold) skips its layout and paint until
       it nears the viewport: its box is the same either way (its ratio and padding, not its content), so
       nothing moves. Not while focus is inside it: its focus ring reaches past the card. */
    li:not(:focus-within) { content-visibility: auto; }
    a { display: flex; flex-direction: column; gap: 6px; color: inherit; text-decoration: none; flex: 1; padding: 8px 8px 0;
      border-radius: var(--edge-recs-radius, 12px); }
    a:focus-visible, button:focus-visible, .custom [data-focus]:focus-visible { outline: 3px solid var(--edge-recs-focus, #2563eb); outline-offset: 2px; }
    a > * { flex-shrink: 0; }
    img { width: 100%; height: auto; aspect-ratio: ${ratio}; object-fit: cover; border-radius: calc(var(--edge-recs-radius, 12px) - 4px); }
    .title { font-weight: 600; font-size: 0.95em; line-height: 1.25; height: 2.5em; display: -webkit-box; -webkit-box-orient: vertical;
      -webkit-line-clamp: 2; overflow: hidden; }
    .price { font-variant-numeric: tabular-nums; line-height: 1.25; height: 1.25em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .was { text-decoration: line-through; margin-left: 6px; font-size: 0.9em;
      color: var(--edge-recs-muted, color-mix(in srgb, currentColor 75%, transparent)); }
    .vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
    .reason { font-size: 0.8em; line-height: 1.35; height: 2.7em; display: -webkit-box; -webkit-box-orient: vertical;
      -webkit-line-clamp: 2; overflow: hidden; color: var(--edge-recs-muted, color-mix(in srgb, currentColor 75%, transparent)); }
    .why { align-self: flex-start; margin: 4px 8px 8px; padding: 2px 6px; font: inherit; font-size: 0.75em; line-height: 1.4; color: inherit; cursor: pointer;
      background: none; border: 1px solid color-mix(in srgb, currentColor 30%, transparent); border-radius: 999px; }
    .explain { margin: 0 8px 8px; font-size: 0.8em; line-height: 1.35; }
    /* The carousel's previous/next sit beside the list, never over a card, at any width. */
    :host([layout="carousel"]) .row { display: grid; grid-template-columns: auto minmax(0, 1fr) auto; align-items: center; gap: 4px; }
    .nav { width: 36px; height: 36px; padding: 0; border-radius: 50%; border: 0; cursor: pointer;
      background: var(--edge-recs-card-bg, #fff); color: inherit; box-shadow: var(--edge-recs-shadow, 0 1px 3px rgb(0 0 0 / 0.3)); font: inherit; }
    @media (prefers-reduced-motion: no-preference) {
      :host([layout="carousel"]) ul { scroll-behavior: smooth; }
      li { transition: transform 120ms ease-out; }
      li:hover { transform: translateY(-2px); }
    }
    @media (max-width: 480px) {
      ul { grid-template-columns: repeat(auto-fill, minmax(${phoneCardWidth}, 1fr)); }
      :host([layout="carousel"]) ul { height: ${carouselHeight(phoneCardWidth)}; }
      :host([layout="carousel"]) li { flex-basis: ${phoneCardWidth}; }
      .nav { width: 32px; height: 32px; }
    }
  `;
