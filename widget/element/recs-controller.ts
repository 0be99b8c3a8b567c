import { afterNextFrame, yieldToPage } from '../runtime/yield.ts';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Placement } from '../../core/analytics.ts';
import type { Card, ChangeReason, Engine } from '../engine/engine.ts';
import type { HoldController } from './hold-controller.ts';

/** What `RecsController` reads from and tells its element (`EdgeRecsElement`). */
interface RecsHost extends ReactiveControllerHost, HTMLElement {
  readonly placementName: Placement;
  readonly cardCount: number;
  readonly itemId: string;
  /** New cards arrived (before the update that renders them). */
  cardsChanged(): void;
  /**
   * Before a row's first cards: reads where the row is (whether they load their images eagerly) and
   * returns the height the loader reserved for it (`loader/reserve.ts`), in px, while it is reserved; else undefined.
   */
  measureFirstLayout(): number | undefined;
}

/**
 * Cards a row's first render puts in the DOM per frame (`RecsController.shown`), after the row itself
 * (no cards yet) and then one card: the first of each also carries lit-html's first preparation of its
 * templates, and the first card's layout the first use of its fonts.
 */
const FIRST_RENDER_BATCH = 2;

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
 *
 * A row that shows cards is not re-ranked because the model became ready (or moved to another backend):
 * the shopper may be reading it, and the model's ranking would replace every card. It shows the model's
 * ranking from the shopper's next action (any event re-ranks) or page view on. The first cards wait a
 * bounded time for a cached model instead (`Engine`'s `CACHED_MODEL_WAIT_MS`).
 */
export class RecsController implements ReactiveController {
  cards: Card[] = [];
  /**
   * How many of `cards` are rendered. A row's first cards go into its reserved space a few per frame
   * (their first render and layout would otherwise be one long task of the page's); later rankings, and a
   * row with no reserved space, are rendered at once.
   */
  shown = 0;
  /** While the first cards render in batches: the reserved height, which the row keeps until the last batch (no layout shift). */
  fill: number | undefined;
  private seq = 0;
  private scheduled = false;
  /** The scheduled refresh is for a new page view (or a new element): it does not wait for the shopper. */
  private forced = false;
  /** A re-rank waits for the shopper to leave the row. */
  private deferred = false;
  /** `placement|count|item-id` of the last refresh: an update that leaves it unchanged needs no re-rank. */
  private requested: string | undefined;
  private readonly onChange = (e: Event): void => {
    if ((e as CustomEvent<ChangeReason>).detail === 'model' && this.cards.length > 0) return;
    this.request(false);
  };
  private readonly onRoute = (): void => this.request(true);
  private readonly onError = (e: Event): void => {
    this.host.dispatchEvent(new CustomEvent('edge-recs:error', { detail: { message: String((e as CustomEvent).detail) }, bubbles: true, composed: true }));
  };

  constructor(
    private readonly host: RecsHost,
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
      // Rendering the row (and the style and layout it causes) in a task of its own.
      await yieldToPage();
      if (seq !== this.seq) return;
      // The shopper came onto the row while it was ranked: these cards wait until they leave it.
      if (!forced && this.waits()) {
        this.deferred = true;
        return;
      }
      this.deferred = false;
      // A row's first cards go only into space reserved for them, which the row keeps until the last
      // batch: a row with none (a recently-viewed row, a browser without constructable stylesheets) grows
      // once, not once per batch. A hidden tab draws no frames: its row is rendered at once too. Reading
      // the row's place and reserved height makes the browser bring the page's style and layout up to
      // date, so it is a task of its own, before the first card's.
      let reserved: number | undefined;
      if (this.cards.length === 0) {
        reserved = this.host.measureFirstLayout();
        if (document.visibilityState === 'hidden') reserved = undefined;
        await yieldToPage();
        if (seq !== this.seq) return;
      }
      this.cards = cards;
      this.shown = reserved === undefined ? cards.length : 0;
      this.fill = this.shown < cards.length ? reserved : undefined;
      this.host.setAttribute('state', cardsState(cards, placement));
      // Held out of an experiment with nothing to show: the row takes no space (`loader/reserve.ts`).
      this.host.toggleAttribute('holdout', cards.length === 0 && engine.collapsed);
      this.host.cardsChanged();
      this.host.requestUpdate();
      await this.host.updateComplete;
      while (this.shown < cards.length) {
        await afterNextFrame();
        if (seq !== this.seq) return;
        this.shown = this.shown === 0 ? 1 : Math.min(cards.length, this.shown + FIRST_RENDER_BATCH);
        if (this.shown === cards.length) this.fill = undefined;
        this.host.requestUpdate();
        await this.host.updateComplete;
      }
      // `edge-recs:render` means the cards are in the DOM.
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
