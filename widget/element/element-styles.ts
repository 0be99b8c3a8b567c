import { css } from 'lit';

/** `<edge-recs>`'s shadow styles: the grid and carousel layouts, the cards, and the theming custom properties (see `element.ts`). */
export const elementStyles = css`
    :host { display: block; font: inherit; color: inherit; position: relative; }
    :host([hidden]) { display: none; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--edge-recs-gap, 16px);
      grid-template-columns: repeat(auto-fill, minmax(var(--edge-recs-card-width, 160px), 1fr)); }
    :host([layout="carousel"]) ul { display: flex; overflow-x: auto; scroll-snap-type: x mandatory; scroll-padding: 0 4px;
      padding: 4px; scrollbar-width: thin; }
    :host([layout="carousel"]) li { flex: 0 0 var(--edge-recs-card-width, 160px); scroll-snap-align: start; }
    li { position: relative; display: flex; flex-direction: column; border-radius: var(--edge-recs-radius, 12px);
      background: var(--edge-recs-card-bg, #fff); box-shadow: var(--edge-recs-shadow, 0 1px 3px rgb(0 0 0 / 0.12)); }
    a { display: flex; flex-direction: column; gap: 6px; color: inherit; text-decoration: none; flex: 1; padding: 8px 8px 0;
      border-radius: var(--edge-recs-radius, 12px); }
    a:focus-visible, button:focus-visible, .custom [data-focus]:focus-visible { outline: 3px solid var(--edge-recs-focus, #2563eb); outline-offset: 2px; }
    img { width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: calc(var(--edge-recs-radius, 12px) - 4px); }
    .title { font-weight: 600; font-size: 0.95em; line-height: 1.25; }
    .price { font-variant-numeric: tabular-nums; }
    .was { text-decoration: line-through; margin-left: 6px; font-size: 0.9em;
      color: var(--edge-recs-muted, color-mix(in srgb, currentColor 75%, transparent)); }
    .vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
    .reason { font-size: 0.8em; color: var(--edge-recs-muted, color-mix(in srgb, currentColor 75%, transparent)); }
    .why { align-self: flex-start; margin: 4px 8px 8px; padding: 2px 6px; font: inherit; font-size: 0.75em; color: inherit; cursor: pointer;
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
      ul { grid-template-columns: repeat(auto-fill, minmax(min(var(--edge-recs-card-width, 160px), 42vw), 1fr)); }
      :host([layout="carousel"]) li { flex-basis: min(var(--edge-recs-card-width, 160px), 42vw); }
      .nav { width: 32px; height: 32px; }
    }
  `;
