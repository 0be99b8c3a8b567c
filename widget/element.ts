import { LitElement, css, html, nothing, type PropertyValues, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';
import { PLACEMENTS, type Placement } from '../core/analytics.ts';
import { money, ui } from './copy/copy.ts';
import type { Card, Engine } from './engine.ts';
import { ViewableImpressions } from './viewability.ts';

/**
 * Whether the shopper is on a row: the pointer over it, focus in it, or a card being activated (the click
 * in dispatch, at whose end the browser's default action or a shop's router reads the link's `href`).
 * While a row is held, re-ranks caused by events wait (`RecsController`), so a row never changes under
 * the shopper's pointer or focus; `onRelease` runs once the shopper has left it.
 */
class HoldController implements ReactiveController {
  private pointer = false;
  private focus = false;
  private activating = 0;
  private readonly onPointerEnter = (): void => void (this.pointer = true);
  private readonly onPointerLeave = (): void => {
    this.pointer = false;
    this.check();
  };
  private readonly onFocusIn = (): void => void (this.focus = true);
  private readonly onFocusOut = (e: FocusEvent): void => {
    // Focus moving to another card of this row is retargeted to the host itself.
    const to = e.relatedTarget;
    this.focus = to instanceof Node && (to === this.host || this.host.contains(to));
    this.check();
  };

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly onRelease: () => void,
  ) {
    host.addController(this);
  }

  get held(): boolean {
    return this.pointer || this.focus || this.activating > 0;
  }

  hostConnected(): void {
    this.host.addEventListener('pointerenter', this.onPointerEnter);
    this.host.addEventListener('pointerleave', this.onPointerLeave);
    this.host.addEventListener('focusin', this.onFocusIn);
    this.host.addEventListener('focusout', this.onFocusOut);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('pointerenter', this.onPointerEnter);
    this.host.removeEventListener('pointerleave', this.onPointerLeave);
    this.host.removeEventListener('focusin', this.onFocusIn);
    this.host.removeEventListener('focusout', this.onFocusOut);
    this.pointer = this.focus = false;
  }

  /**
   * A card is being activated: held until the click's dispatch is over (a task later), whatever the
   * pointer and focus do. A touch tap's `pointerleave` comes before its `click`, and a screen reader may
   * activate a link without moving focus.
   */
  activate(): void {
    this.activating++;
    setTimeout(() => {
      this.activating--;
      this.check();
    }, 0);
  }

  private check(): void {
    if (!this.held) this.onRelease();
  }
}

/**
 * `url` where the browser would load it over http(s) from this page, else undefined: what a card may put
 * in `href` or `src`. The catalog's URLs are checked when the catalog is read (`core/catalog.ts`
 * `catalogUrl`); this is the widget's own check at the point of use, by the browser's URL parser against
 * the page's base URL, so no path to a card (a catalog from an older server, a future code path) can
 * give it a `javascript:` link or a `data:` image.
 */
export function webUrl(url: string): string | undefined {
  try {
    const { protocol } = new URL(url, document.baseURI);
    return protocol === 'http:' || protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps one element's cards in step with the page: re-ranks when the engine changes (an event, the model
 * became ready, `window.edgeRecs.refresh()`), when `placement`, `count` or `item-id` change, and on route
 * changes. Route changes are observed without patching `history`: `popstate` (back/forward) and, where the
 * browser has the Navigation API, `currententrychange`, which also fires for `history.pushState`. Every
 * listener added on connect is removed on disconnect, and answers that arrive after a newer request (or
 * after removal) are dropped.
 *
 * A re-rank caused by the engine waits while the shopper is on the row (`HoldController`) and runs when
 * they leave it: a click's own `select_item` would otherwise re-rank the row while the click is still
 * being dispatched, and the browser (or a shop's router) would follow the link that took the clicked
 * card's place. A new page view (route change, new attributes) re-ranks at once.
 */
class RecsController implements ReactiveController {
  cards: Card[] = [];
  private seq = 0;
  private scheduled = false;
  /** The scheduled refresh is for a new page view (or a new element): it does not wait for the shopper. */
  private forced = false;
  /** A re-rank waits for the shopper to leave the row. */
  private deferred = false;
  /** `placement|count|item-id` of the last refresh: an update that leaves it unchanged needs no re-rank. */
  private requested: string | undefined;
  private readonly onChange = (): void => this.request(false);
  private readonly onRoute = (): void => this.request(true);
  private readonly onError = (e: Event): void => {
    this.host.dispatchEvent(new CustomEvent('edge-recs:error', { detail: { message: String((e as CustomEvent).detail) }, bubbles: true, composed: true }));
  };

  constructor(
    private readonly host: ReactiveControllerHost & EdgeRecsElement,
    private readonly engine: () => Engine | undefined,
    private readonly hold: HoldController,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    const engine = this.engine();
    engine?.addEventListener('change', this.onChange);
    engine?.addEventListener('error', this.onError);
    window.addEventListener('popstate', this.onRoute);
    navigationApi()?.addEventListener('currententrychange', this.onRoute);
    this.requested = undefined;
    this.schedule(true);
  }

  hostDisconnected(): void {
    const engine = this.engine();
    engine?.removeEventListener('change', this.onChange);
    engine?.removeEventListener('error', this.onError);
    window.removeEventListener('popstate', this.onRoute);
    navigationApi()?.removeEventListener('currententrychange', this.onRoute);
    this.seq++;
  }

  hostUpdated(): void {
    if (this.host.isConnected && this.key() !== this.requested) this.schedule(true);
  }

  /** The shopper left the row: the re-rank that waited runs now. */
  released(): void {
    if (!this.deferred || !this.host.isConnected) return;
    this.deferred = false;
    this.schedule(false);
  }

  /** Whether new cards must wait: the shopper is on a row that shows cards. */
  private waits(): boolean {
    return this.cards.length > 0 && this.hold.held;
  }

  private request(newPage: boolean): void {
    if (!newPage && this.waits()) this.deferred = true;
    else this.schedule(newPage);
  }

  /** Coalesces the triggers of one turn (a route change fires both `popstate` and `currententrychange`). */
  private schedule(force: boolean): void {
    this.forced ||= force;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      const forced = this.forced;
      this.scheduled = this.forced = false;
      void this.refresh(forced);
    });
  }

  private key(): string {
    return `${this.host.placementName}|${this.host.cardCount}|${this.host.itemId}`;
  }

  private async refresh(forced: boolean): Promise<void> {
    const engine = this.engine();
    if (!engine || !this.host.isConnected) return;
    const seq = ++this.seq;
    this.requested = this.key();
    const placement = this.host.placementName;
    try {
      const cards = await engine.recommend({ placement, count: this.host.cardCount, itemId: this.host.itemId || undefined });
      if (seq !== this.seq) return;
      // The shopper came onto the row while it was ranked: these cards wait until they leave it.
      if (!forced && this.waits()) {
        this.deferred = true;
        return;
      }
      this.deferred = false;
      this.cards = cards;
      this.host.setAttribute('state', cardsState(cards, placement));
      this.host.cardsChanged();
      this.host.requestUpdate();
      // `edge-recs:render` means the cards are in the DOM.
      await this.host.updateComplete;
      if (seq !== this.seq) return;
      this.host.dispatchEvent(new CustomEvent('edge-recs:render', { detail: { cards: cards.map((c) => c.product.id) }, bubbles: true, composed: true }));
    } catch (e) {
      if (seq !== this.seq) return;
      this.host.setAttribute('state', 'error');
      this.host.dispatchEvent(new CustomEvent('edge-recs:error', { detail: { message: String(e) }, bubbles: true, composed: true }));
    }
  }
}

/** `window.navigation` (Chromium 102+), typed loosely: TypeScript's DOM library does not declare it yet. */
function navigationApi(): EventTarget | undefined {
  const nav = (globalThis as { navigation?: unknown }).navigation;
  return nav instanceof EventTarget ? nav : undefined;
}

/**
 * Counts a card's impression when it is viewable (`viewability.ts`: at least half of it in view for one
 * continuous second in a visible tab), once per card (product, copy line, model version) for the
 * element's lifetime, so re-renders and scrolling back do not count again, and a row replaced before
 * the shopper could see it counts nothing. A clicked card that was not counted yet is counted at the
 * click, under the same key as the click, so a key never has more clicks than impressions.
 */
class ImpressionController implements ReactiveController {
  private readonly viewable = new ViewableImpressions<Card>(
    (card) => `${this.host.placementName}|${card.product.id}|${card.lineKey}|${card.variant}|${card.modelVersion}`,
    (card) => EdgeRecsElement.engine?.impression(card, this.host.placementName),
  );

  constructor(private readonly host: ReactiveControllerHost & EdgeRecsElement) {
    host.addController(this);
  }

  hostConnected(): void {
    this.viewable.connect();
  }

  hostDisconnected(): void {
    this.viewable.disconnect();
  }

  /** The rendered cards, each with its element (Lit keeps a card's `<li>` across re-renders). */
  observe(items: ReadonlyArray<readonly [Element, Card]>): void {
    this.viewable.observe(items);
  }

  /** `card` is being clicked: its impression counts now if its second in view has not passed yet. */
  clicked(card: Card): void {
    this.viewable.settle(card);
  }
}

/**
 * The element's `state` attribute, for merchants' CSS (`edge-recs[state="empty"] { display: none }`):
 * `ready` when the row shows what it promises (ranked by the model, the shopper's own history, or for
 * `trending` the server's aggregates), `fallback` when it shows bestsellers or the catalog's order instead,
 * `empty` when there is nothing to show.
 */
function cardsState(cards: readonly Card[], placement: Placement): string {
  if (cards.length === 0) return 'empty';
  if (placement === 'recently-viewed' || cards.some((c) => c.source === 'model')) return 'ready';
  if (placement === 'trending' && cards.some((c) => c.tier === 'trending')) return 'ready';
  return 'fallback';
}

const MAX_CARDS = 24;
const LAYOUTS = ['grid', 'carousel'] as const;
type Layout = (typeof LAYOUTS)[number];

/** Fields a merchant's `<template>` may mark with `data-field` (see `fillTemplate`). */
const FIELDS = ['link', 'image', 'title', 'brand', 'price', 'was', 'reason', 'why'] as const;


/**
 * `<edge-recs placement="for-you|similar|cart|recently-viewed|trending" count="8" item-id="..." layout="grid|carousel">`:
 * a row of recommended products, ranked on this device. Defined by the lazily loaded engine chunk, so
 * elements that are in the page before it loads (or added any time later, as single-page apps do) upgrade
 * and render when it arrives.
 *
 * Theming: CSS custom properties (`--edge-recs-gap`, `--edge-recs-card-width`, `--edge-recs-radius`,
 * `--edge-recs-card-bg`, `--edge-recs-shadow`, `--edge-recs-focus`, `--edge-recs-muted`) and `::part()`
 * (`list`, `card`, `link`, `image`, `title`, `price`, `was`, `reason`, `why-button`, `why`, `prev`, `next`).
 * Custom card markup: a `<template>` child whose elements carry `data-field="link|image|title|brand|price|was|reason|why"`.
 * Headings: `<h2 slot="heading">`.
 */
export class EdgeRecsElement extends LitElement {
  static override properties = {
    placement: { type: String },
    count: { type: Number },
    itemId: { type: String, attribute: 'item-id' },
    layout: { type: String, reflect: true },
    open: { state: true },
    active: { state: true },
  };

  /** Set by the engine chunk before the element is defined. */
  static engine: Engine | undefined;

  /**
   * What to show: `for-you`, `similar`, `cart`, `recently-viewed` or `trending` (see `PLACEMENTS`). Default
   * `for-you`, which suits any page.
   * @example <edge-recs placement="similar" item-id="sku-0042">
   */
  placement = 'for-you';
  /**
   * Number of cards, 1-24. Default 8, two rows of a typical four-column grid.
   * @example <edge-recs count="4">
   */
  count = 8;
  /**
   * The product on screen: the seed of `similar`, and never shown back by any placement. Default none.
   * @example <edge-recs placement="similar" item-id="sku-0042">
   */
  itemId = '';
  /**
   * `grid` (default: wraps into rows that fill the width, cards at least `--edge-recs-card-width` wide) or
   * `carousel` (one scrolling row with previous/next buttons and snap points: for narrow slots and phones).
   * @example <edge-recs layout="carousel">
   */
  layout = 'grid';
  /** Index of the card whose "why this" is open, or -1. */
  private open = -1;
  /** Index of the card in the tab order (roving tabindex). */
  private active = 0;

  private readonly hold = new HoldController(this, () => this.recs.released());
  private readonly recs = new RecsController(this, () => EdgeRecsElement.engine, this.hold);
  private readonly impressions = new ImpressionController(this);
  /** What each custom card slot was last filled with (see `updated`), and from which template. */
  private readonly filled = new WeakMap<Element, string>();
  private readonly filledFrom = new WeakMap<Element, HTMLTemplateElement>();
  /**
   * The card each custom slot shows now. A slot is refilled only when what it shows changed, so its
   * link's listener reads the card from here: the same product and line may now come from another model
   * version (the fallback row, then the model's), and the click goes to the card as rendered.
   */
  private readonly slotCard = new WeakMap<Element, Card>();

  get placementName(): Placement {
    return PLACEMENTS.includes(this.placement as Placement) ? (this.placement as Placement) : 'for-you';
  }

  get cardCount(): number {
    return Number.isInteger(this.count) && this.count >= 1 ? Math.min(MAX_CARDS, this.count) : 8;
  }

  get layoutName(): Layout {
    return LAYOUTS.includes(this.layout as Layout) ? (this.layout as Layout) : 'grid';
  }

  /** New cards arrived: keep the roving tab stop and open explanation within range. */
  cardsChanged(): void {
    if (this.active >= this.recs.cards.length) this.active = 0;
    this.open = -1;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!__EDGE_RECS_DEV__) return;
    const warn = EdgeRecsElement.engine?.warn;
    if (changed.has('placement') && this.placementName !== this.placement) {
      warn?.(`<edge-recs placement> must be one of ${PLACEMENTS.join(', ')} (got "${this.placement}"); using "for-you"`);
    }
    if (changed.has('count') && this.cardCount !== this.count) {
      warn?.(`<edge-recs count> must be a whole number from 1 to ${MAX_CARDS} (got "${this.getAttribute('count')}"); using ${this.cardCount}`);
    }
    if (changed.has('layout') && this.layoutName !== this.layout) {
      warn?.(`<edge-recs layout> must be one of ${LAYOUTS.join(', ')} (got "${this.layout}"); using "grid"`);
    }
  }

  private get locale(): string {
    return EdgeRecsElement.engine?.config.locale ?? 'en';
  }

  /**
   * A card was clicked (primary button, a modifier click into a new tab, keyboard Enter) or middle-clicked.
   * The row is held first, so the re-rank this click causes cannot change the link being followed. `card`
   * is the card as rendered: its impression (if not counted yet) and the click go to its key.
   */
  private select(card: Card): void {
    this.hold.activate();
    try {
      this.impressions.clicked(card);
      EdgeRecsElement.engine?.click(card, this.placementName);
    } catch {
      // Never let a tracking failure stop the shopper's navigation.
    }
  }

  private items(): HTMLElement[] {
    return Array.from(this.renderRoot.querySelectorAll<HTMLElement>('li[part="card"]'));
  }

  /** Arrow keys, Home and End move between cards; Tab leaves the row after the active card (roving tabindex). */
  private onKeydown(event: KeyboardEvent): void {
    const n = this.recs.cards.length;
    if (n === 0) return;
    const moves: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -n, End: n };
    const step = moves[event.key];
    if (step === undefined) return;
    event.preventDefault();
    this.focusCard(Math.max(0, Math.min(n - 1, this.active + step)));
  }

  private focusCard(index: number): void {
    this.active = index;
    const li = this.items()[index];
    const target = li?.querySelector<HTMLElement>('[data-focus], a[href], button');
    if (!target) return;
    target.tabIndex = 0;
    target.focus();
    const reduce = matchMedia('(prefers-reduced-motion: reduce)').matches;
    li!.scrollIntoView({ block: 'nearest', inline: 'nearest', behavior: reduce ? 'auto' : 'smooth' });
  }

  private scrollRow(direction: number): void {
    const list = this.renderRoot.querySelector<HTMLElement>('ul');
    if (!list) return;
    const reduce = matchMedia('(prefers-reduced-motion: reduce)').matches;
    list.scrollBy({ left: direction * list.clientWidth * 0.9, behavior: reduce ? 'auto' : 'smooth' });
  }

  private toggleWhy(index: number): void {
    this.open = this.open === index ? -1 : index;
  }

  /** The merchant's `<template>` for cards, if any. */
  private cardTemplate(): HTMLTemplateElement | null {
    return this.querySelector(':scope > template');
  }

  /** Fills a clone of the merchant's template with one card's fields. */
  private fillTemplate(slot: HTMLElement, card: Card, template: HTMLTemplateElement): void {
    const p = card.product;
    const fragment = template.content.cloneNode(true) as DocumentFragment;
    const onSale = p.sale_price !== undefined && p.sale_price < p.price;
    for (const field of FIELDS) {
      for (const el of Array.from(fragment.querySelectorAll<HTMLElement>(`[data-field="${field}"]`))) {
        switch (field) {
          case 'link': {
            // Not linked at all rather than linked somewhere that is not a web page.
            const href = webUrl(p.link);
            if (href) el.setAttribute('href', href);
            else el.removeAttribute('href');
            el.setAttribute('data-focus', '');
            el.addEventListener('click', () => this.select(this.slotCard.get(slot) ?? card));
            el.addEventListener('auxclick', (e) => (e as MouseEvent).button === 1 && this.select(this.slotCard.get(slot) ?? card));
            break;
          }
          case 'image': {
            const src = webUrl(p.image_link);
            if (!src) {
              el.remove();
              break;
            }
            el.setAttribute('src', src);
            if (!el.hasAttribute('alt')) el.setAttribute('alt', '');
            break;
          }
          case 'title':
            el.textContent = p.title;
            // Isolated, so a right-to-left title cannot reorder the text around it (UAX #9).
            if (!el.hasAttribute('dir')) el.setAttribute('dir', 'auto');
            break;
          case 'brand':
            if (p.brand) el.textContent = p.brand;
            else el.remove();
            break;
          case 'price':
            el.textContent = money(this.locale, p.currency, onSale ? p.sale_price! : p.price);
            break;
          case 'was':
            if (onSale) el.textContent = money(this.locale, p.currency, p.price);
            else el.remove();
            break;
          case 'reason':
            el.textContent = card.reason;
            break;
          case 'why':
            el.textContent = card.why;
        }
      }
    }
    slot.replaceChildren(fragment);
  }

  protected override updated(): void {
    const items = this.items();
    const template = this.cardTemplate();
    const cards = this.recs.cards;
    const watched: Array<[Element, Card]> = [];
    items.forEach((li, i) => {
      const card = cards[i];
      if (!card) return;
      watched.push([li, card]);
      // Built-in cards bind their tabindex in `render`; a merchant's markup is filled here.
      const custom = template ? li.querySelector<HTMLElement>('.custom') : null;
      if (!template || !custom) return;
      this.slotCard.set(custom, card);
      // Refilled only when what it shows changed: a refill replaces the link, which may be the one being
      // activated right now (keyboard focus, a click in dispatch).
      const p = card.product;
      const shows = JSON.stringify([p, card.reason, card.why, this.locale]);
      if (this.filled.get(custom) !== shows || this.filledFrom.get(custom) !== template) {
        this.fillTemplate(custom, card, template);
        this.filled.set(custom, shows);
        this.filledFrom.set(custom, template);
      }
      for (const el of Array.from(li.querySelectorAll<HTMLElement>('a[href], button'))) el.tabIndex = i === this.active ? 0 : -1;
    });
    this.impressions.observe(watched);
  }

  static override styles = css`
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
    .was { text-decoration: line-through; opacity: 0.6; margin-left: 6px; font-size: 0.9em; }
    .reason { font-size: 0.8em; color: var(--edge-recs-muted, color-mix(in srgb, currentColor 75%, transparent)); }
    .why { align-self: flex-start; margin: 4px 8px 8px; padding: 2px 6px; font: inherit; font-size: 0.75em; color: inherit; cursor: pointer;
      background: none; border: 1px solid color-mix(in srgb, currentColor 30%, transparent); border-radius: 999px; }
    .explain { margin: 0 8px 8px; font-size: 0.8em; line-height: 1.35; }
    .nav { position: absolute; top: 35%; z-index: 1; width: 36px; height: 36px; border-radius: 50%; border: 0; cursor: pointer;
      background: var(--edge-recs-card-bg, #fff); color: inherit; box-shadow: var(--edge-recs-shadow, 0 1px 3px rgb(0 0 0 / 0.3)); font: inherit; }
    .prev { left: -6px; }
    .next { right: -6px; }
    @media (prefers-reduced-motion: no-preference) {
      :host([layout="carousel"]) ul { scroll-behavior: smooth; }
      li { transition: transform 120ms ease-out; }
      li:hover { transform: translateY(-2px); }
    }
    @media (max-width: 480px) {
      ul { grid-template-columns: repeat(auto-fill, minmax(min(var(--edge-recs-card-width, 160px), 42vw), 1fr)); }
      :host([layout="carousel"]) li { flex-basis: min(var(--edge-recs-card-width, 160px), 42vw); }
    }
  `;

  protected override render(): unknown {
    const cards = this.recs.cards;
    if (cards.length === 0) return html`<slot name="heading" hidden></slot>`;
    const locale = this.locale;
    const template = this.cardTemplate();
    const carousel = this.layoutName === 'carousel';
    const label = this.getAttribute('aria-label') ?? ui(locale, 'label');
    return html`<slot name="heading"></slot>
      ${carousel ? html`<button part="prev" class="nav prev" aria-label=${ui(locale, 'previous')} tabindex="-1" @click=${() => this.scrollRow(-1)}>‹</button>` : nothing}
      <ul part="list" role="list" aria-label=${label} aria-roledescription=${carousel ? 'carousel' : nothing}
        @keydown=${(e: KeyboardEvent) => this.onKeydown(e)}>
        ${repeat(cards, (card) => card.product.id, (card, i) => {
          const p = card.product;
          const onSale = p.sale_price !== undefined && p.sale_price < p.price;
          const whyId = `why-${i}`;
          // `live`: `focusCard` moves the tab stop in the DOM before the next render.
          const tab = String(i === this.active ? 0 : -1);
          return html`<li part="card" role="listitem" data-item-id=${p.id} data-source=${card.source} data-tier=${card.tier} data-variant=${card.variant}
            @focusin=${() => (this.active = i)}>
            ${template
              ? html`<div class="custom"></div>`
              : html`<a part="link" href=${ifDefined(webUrl(p.link))} tabindex=${live(tab)} @click=${() => this.select(card)} @auxclick=${(e: MouseEvent) => e.button === 1 && this.select(card)}>
                  ${webUrl(p.image_link) ? html`<img part="image" src=${p.image_link} alt="" loading="lazy" />` : nothing}
                  <span part="title" class="title" dir="auto">${p.title}</span>
                  <span part="price" class="price"
                    >${money(locale, p.currency, onSale ? p.sale_price! : p.price)}${onSale
                      ? html`<span part="was" class="was">${money(locale, p.currency, p.price)}</span>`
                      : nothing}</span
                  >
                  <span part="reason" class="reason">${card.reason}</span>
                </a>`}
            <button part="why-button" class="why" type="button" tabindex=${live(tab)} aria-expanded=${this.open === i ? 'true' : 'false'} aria-controls=${whyId}
              @click=${() => this.toggleWhy(i)}>${ui(locale, 'why')}</button>
            <p part="why" class="explain" id=${whyId} role="note" ?hidden=${this.open !== i}>${card.why}</p>
          </li>`;
        })}
      </ul>
      ${carousel ? html`<button part="next" class="nav next" aria-label=${ui(locale, 'next')} tabindex="-1" @click=${() => this.scrollRow(1)}>›</button>` : nothing}`;
  }
}
