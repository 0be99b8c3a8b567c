import { LitElement, css, html, nothing, type PropertyValues, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { Card, Engine, Placement } from './engine.ts';
import { PLACEMENTS } from './engine.ts';

/**
 * Keeps one element's cards in step with the page: re-ranks when the engine changes (an event, the model
 * became ready, `window.edgeRecs.refresh()`), when `placement`, `count` or `item-id` change, and on route
 * changes. Route changes are observed without patching `history`: `popstate` (back/forward) and, where the
 * browser has the Navigation API, `currententrychange`, which also fires for `history.pushState`. Every
 * listener added on connect is removed on disconnect, and answers that arrive after a newer request (or
 * after removal) are dropped.
 */
class RecsController implements ReactiveController {
  cards: Card[] = [];
  private seq = 0;
  private scheduled = false;
  /** `placement|count|item-id` of the last refresh: an update that leaves it unchanged needs no re-rank. */
  private requested: string | undefined;
  private readonly onChange = (): void => this.schedule();
  private readonly onError = (e: Event): void => {
    this.host.dispatchEvent(new CustomEvent('edge-recs:error', { detail: { message: String((e as CustomEvent).detail) }, bubbles: true, composed: true }));
  };

  constructor(
    private readonly host: ReactiveControllerHost & EdgeRecsElement,
    private readonly engine: () => Engine | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    const engine = this.engine();
    engine?.addEventListener('change', this.onChange);
    engine?.addEventListener('error', this.onError);
    window.addEventListener('popstate', this.onChange);
    navigationApi()?.addEventListener('currententrychange', this.onChange);
    this.requested = undefined;
    this.schedule();
  }

  hostDisconnected(): void {
    const engine = this.engine();
    engine?.removeEventListener('change', this.onChange);
    engine?.removeEventListener('error', this.onError);
    window.removeEventListener('popstate', this.onChange);
    navigationApi()?.removeEventListener('currententrychange', this.onChange);
    this.seq++;
  }

  hostUpdated(): void {
    if (this.host.isConnected && this.key() !== this.requested) this.schedule();
  }

  /** Coalesces the triggers of one turn (a route change fires both `popstate` and `currententrychange`). */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      void this.refresh();
    });
  }

  private key(): string {
    return `${this.host.placementName}|${this.host.cardCount}|${this.host.itemId}`;
  }

  private async refresh(): Promise<void> {
    const engine = this.engine();
    if (!engine || !this.host.isConnected) return;
    const seq = ++this.seq;
    this.requested = this.key();
    const placement = this.host.placementName;
    try {
      const cards = await engine.recommend({ placement, count: this.host.cardCount, itemId: this.host.itemId || undefined });
      if (seq !== this.seq) return;
      this.cards = cards;
      this.host.setAttribute('state', cardsState(cards, placement));
      this.host.requestUpdate();
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
 * The element's `state` attribute, for merchants' CSS (`edge-recs[state="empty"] { display: none }`):
 * `ready` when the row shows what it promises (ranked by the model, or the shopper's own history),
 * `fallback` when it shows the catalog's order instead, `empty` when there is nothing to show.
 */
function cardsState(cards: readonly Card[], placement: Placement): string {
  if (cards.length === 0) return 'empty';
  if (placement === 'recently-viewed' || cards.some((c) => c.source === 'model')) return 'ready';
  return 'fallback';
}

const MAX_CARDS = 24;

/**
 * `<edge-recs placement="for-you|similar|cart|recently-viewed|trending" count="8" item-id="...">`: a row of
 * recommended products, ranked on this device. Defined by the lazily loaded engine chunk, so elements that
 * are in the page before it loads (or added any time later, as single-page apps do) upgrade and render
 * when it arrives.
 */
export class EdgeRecsElement extends LitElement {
  static override properties = {
    placement: { type: String },
    count: { type: Number },
    itemId: { type: String, attribute: 'item-id' },
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

  private readonly recs = new RecsController(this, () => EdgeRecsElement.engine);

  get placementName(): Placement {
    return PLACEMENTS.includes(this.placement as Placement) ? (this.placement as Placement) : 'for-you';
  }

  get cardCount(): number {
    return Number.isInteger(this.count) && this.count >= 1 ? Math.min(MAX_CARDS, this.count) : 8;
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
  }

  private select(card: Card): void {
    void EdgeRecsElement.engine?.track('select_item', {
      items: [{ item_id: card.product.id, item_category: card.product.product_type, price: card.product.sale_price ?? card.product.price }],
      placement: this.placementName,
    });
  }

  static override styles = css`
    :host { display: block; font: inherit; color: inherit; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--edge-recs-gap, 16px);
      grid-template-columns: repeat(auto-fill, minmax(var(--edge-recs-card-width, 160px), 1fr)); }
    a { display: flex; flex-direction: column; gap: 6px; color: inherit; text-decoration: none; height: 100%;
      border-radius: var(--edge-recs-radius, 12px); padding: 8px; background: var(--edge-recs-card-bg, #fff);
      box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); }
    a:focus-visible { outline: 3px solid var(--edge-recs-focus, #2563eb); outline-offset: 2px; }
    img { width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: calc(var(--edge-recs-radius, 12px) - 4px); }
    .title { font-weight: 600; font-size: 0.95em; line-height: 1.25; }
    .price { font-variant-numeric: tabular-nums; }
    .was { text-decoration: line-through; opacity: 0.6; margin-left: 6px; font-size: 0.9em; }
    .reason { font-size: 0.8em; opacity: 0.75; }
  `;

  protected override render(): unknown {
    const cards = this.recs.cards;
    if (cards.length === 0) return nothing;
    const money = (p: Card['product'], v: number) => new Intl.NumberFormat(undefined, { style: 'currency', currency: p.currency }).format(v);
    return html`<ul role="list" aria-label="Recommended products">
      ${cards.map(
        (card) => html`<li part="card" data-item-id=${card.product.id} data-source=${card.source}>
          <a href=${card.product.link} @click=${() => this.select(card)}>
            <img part="image" src=${card.product.image_link} alt="" loading="lazy" />
            <span part="title" class="title">${card.product.title}</span>
            <span part="price" class="price"
              >${money(card.product, card.product.sale_price ?? card.product.price)}${card.product.sale_price !== undefined
                ? html`<span class="was">${money(card.product, card.product.price)}</span>`
                : nothing}</span
            >
            <span part="reason" class="reason">${card.reason}</span>
          </a>
        </li>`,
      )}
    </ul>`;
  }
}
