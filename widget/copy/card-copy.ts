/**
 * The copy on the cards: each ranked row becomes a card whose line the on-device bandit picked among
 * the true ones (`copy/`), kept for the page view so copy does not change under the shopper's eyes.
 */
import { Bandit, type BanditState } from './bandit.ts';
import { candidateLines, why, type CopyContext, type Line } from './copy.ts';
import type { Ranked, Tier } from '../ranking/ranking.ts';
import type { Product } from '../../core/catalog.ts';

export interface Card {
  product: Product;
  /** The card's copy line, built only from catalog and profile facts (see `copy/copy.ts`). */
  reason: string;
  /** Copy variant id (`viewed.1`) for analytics. */
  variant: string;
  /** Bandit key of the line. */
  lineKey: string;
  /** The "why this" explanation. */
  why: string;
  /** Which step of the fallback chain produced the card. */
  tier: Tier;
  /** `model`: ranked on this device; `history`: from the shopper's own history; `fallback`: aggregates or catalog order. */
  source: 'model' | 'history' | 'fallback';
  /** Version of the model that ranked the row, or `fallback`. */
  modelVersion: string;
}

export class CardCopy {
  private bandit: Bandit;
  /** The line each card shows, by placement and product, for the page view. */
  private readonly lines = new Map<string, Line>();

  constructor(private readonly random: () => number) {
    this.bandit = new Bandit({}, random);
  }

  /** The bandit's counts kept from earlier pages. */
  restore(state: BanditState | undefined): void {
    this.bandit = new Bandit(state ?? {}, this.random);
  }

  snapshot(): BanditState {
    return this.bandit.snapshot();
  }

  /** A card's line was seen (`impression`) or clicked: what the bandit learns from. */
  shown(lineKey: string): void {
    this.bandit.shown(lineKey);
  }

  clicked(lineKey: string): void {
    this.bandit.clicked(lineKey);
  }

  /** The merchant's copy changed: every card picks its line again. */
  renew(): void {
    this.lines.clear();
  }

  /** Forgets what the bandit learnt and the lines shown. */
  clear(): void {
    this.bandit.clear();
    this.lines.clear();
  }

  /** The cards of `rows`; `modelVersion` names what ranked the model's rows. */
  cards(rows: readonly Ranked[], ctx: CopyContext, modelVersion: string): Card[] {
    return rows.map((r) => {
      const line = this.line(r, ctx);
      const fromModel = r.tier === 'personal' || r.tier === 'similar';
      return {
        product: r.product,
        reason: line.text,
        variant: line.variant,
        lineKey: line.key,
        why: why(r, ctx),
        tier: r.tier,
        source: fromModel ? 'model' : r.tier === 'history' ? 'history' : 'fallback',
        modelVersion: fromModel ? modelVersion : 'fallback',
      };
    });
  }

  /** The line a card shows: the one chosen earlier on this page while it is still true, else a new bandit choice. */
  private line(r: Ranked, ctx: CopyContext): Line {
    const candidates = candidateLines(r, ctx);
    const id = `${ctx.placement}|${r.product.id}`;
    const kept = this.lines.get(id);
    if (kept && candidates.some((c) => c.key === kept.key && c.text === kept.text)) return kept;
    const key = this.bandit.choose(candidates.map((c) => c.key));
    const chosen = candidates.find((c) => c.key === key)!;
    this.lines.set(id, chosen);
    return chosen;
  }
}
