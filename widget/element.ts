import { LitElement, css, html, nothing, type PropertyValues, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { Card, Engine, Placement } from './engine.ts';
import { PLACEMENTS } from './engine.ts';

/**
 * Keeps one element's cards in step with the engine: re-ranks on every engine change and on attribute
 * changes, and drops stale answers when a newer request overtook them.
 */
class RecsController implements ReactiveController {
  cards: Card[] = [];
  private seq = 0;
  private readonly onChange = (): void => void this.refresh();

  constructor(
    private readonly host: ReactiveControllerHost & EdgeRecsElement,
    private readonly engine: () => Engine | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.engine()?.addEventListener('change', this.onChange);
    void this.refresh();
  }

  hostDisconnected(): void {
    this.engine()?.removeEventListener('change', this.onChange);
  }

  async refresh(): Promise<void> {
    const engine = this.engine();
    if (!engine) return;
    const seq = ++this.seq;
    try {
      const cards = await engine.recommend({ placement: this.host.placementName, count: this.host.cardCount, itemId: this.host.itemId || undefined });
      if (seq !== this.seq) return;
      this.cards = cards;
      this.host.setAttribute('state', engine.state.status === 'ready' && cards.some((c) => c.source === 'model') ? 'ready' : 'fallback');
      this.host.requestUpdate();
      this.host.dispatchEvent(new CustomEvent('edge-recs:render', { detail: { cards: cards.map((c) => c.product.id) }, bubbles: true, composed: true }));
    } catch (e) {
      this.host.setAttribute('state', 'error');
      this.host.dispatchEvent(new CustomEvent('edge-recs:error', { detail: { message: String(e) }, bubbles: true, composed: true }));
    }
  }
}

/**
 * `<edge-recs placement="for-you|similar|cart" count="8" item-id="...">`: a row of recommended products,
 * ranked on this device.
 */
export class EdgeRecsElement extends LitElement {
  static override properties = {
    placement: { type: String },
    count: { type: Number },
    itemId: { type: String, attribute: 'item-id' },
  };

  /** Set by the loader before the element is defined. */
  static engine: Engine | undefined;

  /** Which recommendations to show. Default `for-you`. */
  placement = 'for-you';
  /** Number of cards, 1-24. Default 8. */
  count = 8;
  /** Product on screen, for `similar`. */
  itemId = '';

  private readonly recs = new RecsController(this, () => EdgeRecsElement.engine);

  get placementName(): Placement {
    return PLACEMENTS.includes(this.placement as Placement) ? (this.placement as Placement) : 'for-you';
  }

  get cardCount(): number {
    return Number.isInteger(this.count) ? Math.min(24, Math.max(1, this.count)) : 8;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('placement') || changed.has('count') || changed.has('itemId')) {
      if (changed.get('placement') !== undefined || changed.get('count') !== undefined || changed.get('itemId') !== undefined) {
        void this.recs.refresh();
      }
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
