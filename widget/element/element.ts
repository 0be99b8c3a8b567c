import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { live } from 'lit/directives/live.js';
import { PLACEMENTS, type Placement } from '../../core/analytics.ts';
import { ui } from '../copy/copy.ts';
import { money } from '../copy/money.ts';
import { elementStyles } from './element-styles.ts';
import type { Card, Engine } from '../engine/engine.ts';
import { HoldController } from './hold-controller.ts';
import { ImpressionController } from './impression-controller.ts';
import { RecsController } from './recs-controller.ts';

/**
 * `url` where the browser would load it over http(s) from this page, else undefined: what a card may put
 * in `href` or `src`. The catalog's URLs are checked when the catalog is read (`core/catalog.ts`
 * `catalogUrl`); this is the widget's own check at the point of use, by the browser's URL parser against
 * the page's base URL, so no path to a card (a catalog from an older server, a future code path) can
 * give it a `javascript:` link or a `data:` image.
 */
function webUrl(url: string): string | undefined {
  try {
    const { protocol } = new URL(url, document.baseURI);
    return protocol === 'http:' || protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

const MAX_CARDS = 24;
const LAYOUTS = ['grid', 'carousel'] as const;
type Layout = (typeof LAYOUTS)[number];

/**
 * Images of a row in view when its cards arrive load at once, the first few of them before anything else
 * the page has not asked for yet (they are likely the page's Largest Contentful Paint); a row below the
 * fold loads its images as the shopper scrolls to it.
 */
const HIGH_PRIORITY_IMAGES = 4;
/** The images' `width` and `height` attributes (CSS sizes them: the card's width, `--edge-recs-image-ratio`). */
const IMAGE_SIZE = 160;

/** Fields a merchant's `<template>` may mark with `data-field` (see `fillTemplate`). */
const FIELDS = ['link', 'image', 'title', 'brand', 'price', 'was', 'reason', 'why'] as const;

/** Id of the row's keyboard hint (in the shadow root), the first card link's `aria-describedby`. */
const KEYS_HINT = 'keys';

/** Text for screen readers only (the `.vh` class: off screen, still read), e.g. the "was" before an old price. */
function hiddenText(doc: Document, text: string): HTMLElement {
  const span = doc.createElement('span');
  span.className = 'vh';
  span.textContent = text;
  return span;
}


/**
 * `<edge-recs placement="for-you|similar|cart|recently-viewed|trending" count="8" item-id="..." layout="grid|carousel">`:
 * a row of recommended products, ranked on this device. Defined by the lazily loaded engine chunk, so
 * elements that are in the page before it loads (or added any time later, as single-page apps do) upgrade
 * and render when it arrives.
 *
 * Theming: CSS custom properties (`--edge-recs-gap`, `--edge-recs-card-width`, `--edge-recs-radius`,
 * `--edge-recs-card-bg`, `--edge-recs-shadow`, `--edge-recs-focus`, `--edge-recs-muted`; and, read by the space
 * the loader reserves as well as the cards, `--edge-recs-image-ratio` and `--edge-recs-card-text-height`,
 * see `loader/reserve.ts`) and `::part()`
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
  /** The row was in view when its cards arrived: its images load eagerly (see `HIGH_PRIORITY_IMAGES`). */
  private eager = false;

  private readonly hold = new HoldController(this, () => this.recs.released());
  private readonly recs = new RecsController(this, () => EdgeRecsElement.engine, this.hold);
  private readonly impressions = new ImpressionController(this, () => EdgeRecsElement.engine);
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

  measureFirstLayout(): number | undefined {
    // Where the row is now is where its first cards appear: its space was reserved before they came.
    // Only the first cards' images can be the page's largest paint; later ones load as images do.
    const box = this.getBoundingClientRect();
    this.eager = box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth;
    if (this.hasAttribute('state')) return undefined;
    const placeholder = getComputedStyle(this, '::after');
    // A placeholder not drawn (a recently-viewed row's) reserves nothing, whatever height it computes to.
    if (placeholder.display === 'none') return undefined;
    const height = parseFloat(placeholder.height);
    return Number.isFinite(height) && height > 0 ? height : undefined;
  }

  /** How card `index`'s image loads: `loading` and `fetchpriority`. */
  private imageLoading(index: number): { loading: 'eager' | 'lazy'; priority: 'high' | 'auto' } {
    return { loading: this.eager ? 'eager' : 'lazy', priority: this.eager && index < HIGH_PRIORITY_IMAGES ? 'high' : 'auto' };
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
  private fillTemplate(slot: HTMLElement, card: Card, template: HTMLTemplateElement, index: number): void {
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
            // The merchant's own choice stands.
            const { loading, priority } = this.imageLoading(index);
            if (!el.hasAttribute('loading')) el.setAttribute('loading', loading);
            if (!el.hasAttribute('fetchpriority')) el.setAttribute('fetchpriority', priority);
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
          case 'price': {
            const price = money(this.locale, p.currency, onSale ? p.sale_price! : p.price);
            if (onSale) el.replaceChildren(hiddenText(el.ownerDocument, `${ui(this.locale, 'now')} `), price);
            else el.textContent = price;
            break;
          }
          case 'was':
            if (onSale) el.replaceChildren(hiddenText(el.ownerDocument, ` ${ui(this.locale, 'was')} `), money(this.locale, p.currency, p.price));
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
    // Through the CSSOM, which a Content-Security-Policy without 'unsafe-inline' styles allows.
    const row = this.renderRoot.querySelector<HTMLElement>('.row');
    if (row) row.style.minHeight = this.recs.fill === undefined ? '' : `${this.recs.fill}px`;
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
        this.fillTemplate(custom, card, template, i);
        this.filled.set(custom, shows);
        this.filledFrom.set(custom, template);
      }
      for (const el of Array.from(li.querySelectorAll<HTMLElement>('a[href], button'))) el.tabIndex = i === this.active ? 0 : -1;
      // The hint describes the first card only: a card that moved away from the front loses it.
      const link = custom.querySelector('[data-focus]');
      if (i === 0) link?.setAttribute('aria-describedby', KEYS_HINT);
      else if (link?.getAttribute('aria-describedby') === KEYS_HINT) link.removeAttribute('aria-describedby');
    });
    this.impressions.observe(watched);
  }

  static override styles = elementStyles;

  private image(src: string, index: number): unknown {
    const { loading, priority } = this.imageLoading(index);
    return html`<img part="image" src=${src} alt="" width=${IMAGE_SIZE} height=${IMAGE_SIZE} loading=${loading} fetchpriority=${priority} decoding="async" />`;
  }

  protected override render(): unknown {
    // While the row loads its heading shows above the reserved space; a row that shows nothing hides it.
    if (this.recs.cards.length === 0) return html`<slot name="heading" ?hidden=${this.hasAttribute('state')}></slot>`;
    const cards = this.recs.cards.slice(0, this.recs.shown);
    const locale = this.locale;
    const template = this.cardTemplate();
    const carousel = this.layoutName === 'carousel';
    const label = this.getAttribute('aria-label') ?? ui(locale, 'label');
    // The row's controls are in the tab order (previous, the active card, next); the list's key hint is
    // the first card's description, heard when the row is entered.
    // Cards by place, not keyed by product: a re-rank fills each place's elements with its new card (Lit
    // updates the changed text and attributes) instead of removing and building the cards that moved,
    // which cost the page's thread ~2 ms per event (half the render) in `bench/widget`. A row never
    // re-ranks under the shopper's pointer or focus (`HoldController`), and the row's own state (the
    // active card, the open "why") is by place too.
    return html`<slot name="heading"></slot>
      <div class="row">
      ${carousel ? html`<button part="prev" class="nav prev" type="button" aria-label=${ui(locale, 'previous')} @click=${() => this.scrollRow(-1)}>‹</button>` : nothing}
      <ul part="list" role="list" aria-label=${label} aria-roledescription=${carousel ? 'carousel' : nothing}
        @keydown=${(e: KeyboardEvent) => this.onKeydown(e)}>
        ${cards.map((card, i) => {
          const p = card.product;
          const onSale = p.sale_price !== undefined && p.sale_price < p.price;
          const whyId = `why-${i}`;
          // `live`: `focusCard` moves the tab stop in the DOM before the next render.
          const tab = String(i === this.active ? 0 : -1);
          return html`<li part="card" role="listitem" data-item-id=${p.id} data-source=${card.source} data-tier=${card.tier} data-variant=${card.variant}
            @focusin=${() => (this.active = i)}>
            ${template
              ? html`<div class="custom"></div>`
              : html`<a part="link" href=${ifDefined(webUrl(p.link))} tabindex=${live(tab)} aria-describedby=${i === 0 ? KEYS_HINT : nothing} @click=${() => this.select(card)} @auxclick=${(e: MouseEvent) => e.button === 1 && this.select(card)}>
                  ${webUrl(p.image_link) ? this.image(p.image_link, i) : nothing}
                  <span part="title" class="title" dir="auto">${p.title}</span>
                  <span part="price" class="price"
                    >${onSale ? html`<span class="vh">${ui(locale, 'now')} </span>` : nothing}${money(locale, p.currency, onSale ? p.sale_price! : p.price)}${onSale
                      ? html`<span part="was" class="was"><span class="vh"> ${ui(locale, 'was')} </span>${money(locale, p.currency, p.price)}</span>`
                      : nothing}</span
                  >
                  <span part="reason" class="reason">${card.reason}</span>
                </a>`}
            <button part="why-button" class="why" type="button" tabindex=${live(tab)} aria-expanded=${this.open === i ? 'true' : 'false'} aria-controls=${whyId}
              aria-label=${ui(locale, 'whyFor', { title: p.title })} @click=${() => this.toggleWhy(i)}>${ui(locale, 'why')}</button>
            <p part="why" class="explain" id=${whyId} role="note" ?hidden=${this.open !== i}>${card.why}</p>
          </li>`;
        })}
      </ul>
      ${carousel ? html`<button part="next" class="nav next" type="button" aria-label=${ui(locale, 'next')} @click=${() => this.scrollRow(1)}>›</button>` : nothing}
      </div>
      <span id=${KEYS_HINT} hidden>${ui(locale, 'keys')}</span>`;
  }
}
