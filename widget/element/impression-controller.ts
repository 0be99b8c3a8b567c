import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Placement } from '../../core/analytics.ts';
import type { Card, Engine } from '../engine/engine.ts';
import { ViewableImpressions } from './viewability.ts';

/**
 * Counts a card's impression when it is viewable (`viewability.ts`: at least half of it in view for one
 * continuous second in a visible tab), once per card (product, copy line, model version) for the
 * element's lifetime, so re-renders and scrolling back do not count again, and a row replaced before
 * the shopper could see it counts nothing. A clicked card that was not counted yet is counted at the
 * click, under the same key as the click, so a key never has more clicks than impressions.
 */
export class ImpressionController implements ReactiveController {
  private readonly viewable = new ViewableImpressions<Card>(
    (card) => `${this.host.placementName}|${card.product.id}|${card.lineKey}|${card.variant}|${card.modelVersion}`,
    (card) => this.engine()?.impression(card, this.host.placementName),
  );

  constructor(
    private readonly host: ReactiveControllerHost & { readonly placementName: Placement },
    private readonly engine: () => Engine | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.viewable.connect();
  }

  hostDisconnected(): void {
    this.viewable.disconnect();
  }

  /** The rendered cards, each with its element (a place's `<li>`, which a re-rank may fill with another card). */
  observe(items: ReadonlyArray<readonly [Element, Card]>): void {
    this.viewable.observe(items);
  }

  /** `card` is being clicked: its impression counts now if its second in view has not passed yet. */
  clicked(card: Card): void {
    this.viewable.settle(card);
  }
}
