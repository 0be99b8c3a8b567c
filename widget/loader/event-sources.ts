import type { ShopEvent } from '../../core/events.ts';

/**
 * Where an event came from. A shop may report the same action through more than one of them (a
 * `data-edge-recs-event` button that also fires a GA4 `dataLayer` push), which is what `Deduper` is for.
 * - `api`: `window.edgeRecs.track(name, params)`
 * - `attribute`: a click on an element with `data-edge-recs-event`
 * - `datalayer`: a GA4 e-commerce push to `window.dataLayer`
 * - `widget`: a click on one of the widget's own cards
 */
export type EventOrigin = 'api' | 'attribute' | 'datalayer' | 'widget';

/** An event as captured, before validation: what the loader queues until the engine has loaded. */
export interface RawEvent {
  name: unknown;
  params: unknown;
  source: EventOrigin;
  /** Capture time (ms since the epoch): becomes the event's `ts` unless `params.ts` gives one. */
  at: number;
  /**
   * The loader already credited this add-to-cart or purchase to the clicked cards (`attribution.ts`
   * `credit`), as the page was hidden or left before the engine loaded: the engine stores it like any
   * event but does not credit it again.
   */
  attributed?: true;
}

/** How far apart two reports of one action from two sources may be. Wide enough for a tag manager's async push, short enough that a shopper's deliberate repeat is new. */
export const DEDUPE_WINDOW_MS = 1000;

/** Label of a source in dev-mode warnings, so a merchant knows which integration sent a bad event. */
export function describeSource(source: EventOrigin, name: unknown): string {
  const n = typeof name === 'string' ? name : String(name);
  switch (source) {
    case 'api':
      return `edgeRecs.track("${n}")`;
    case 'attribute':
      return `data-edge-recs-event="${n}"`;
    case 'datalayer':
      return `dataLayer event "${n}"`;
    case 'widget':
      return `card event "${n}"`;
  }
}

interface Seen {
  key: string;
  source: EventOrigin;
  ts: number;
  /** Sources whose duplicate this event has already absorbed. */
  absorbed: EventOrigin[];
}

/**
 * Drops the second report of one shopper action. The rule:
 *
 * Two events are reports of the same action when they have the same name and the same set of item ids,
 * come from different sources (`EventOrigin`) and are at most `DEDUPE_WINDOW_MS` apart. The first one is
 * kept (with its own quantity and price); each kept event absorbs at most one report from each other
 * source. Reports from the same source are never merged: two clicks on "Add to cart" are two adds, and a
 * button with `data-edge-recs-event` that the shopper clicks twice, while the shop also pushes to the
 * `dataLayer` twice, stores exactly two events.
 *
 * Quantities and prices are not part of the key because sources describe one action differently (a
 * button knows no quantity, the shop's push does); merchants who report through two paths should give the
 * first one (usually the click) the same fields, or better, report each action through one path.
 */
export class Deduper {
  private seen: Seen[] = [];
  private latest = 0;

  constructor(private readonly windowMs = DEDUPE_WINDOW_MS) {}

  /** True when `event` is new and must be stored; false when it repeats one already stored. */
  accept(event: ShopEvent, source: EventOrigin): boolean {
    const key = `${event.name}|${event.items
      .map((i) => i.item_id)
      .sort()
      .join('\u0000')}`;
    // Events can arrive out of time order (queued before the engine loaded, or with their own `ts`), so
    // forget relative to the newest time seen, not to this event's.
    this.latest = Math.max(this.latest, event.ts);
    this.seen = this.seen.filter((s) => s.ts >= this.latest - this.windowMs);
    const twin = this.seen.find(
      (s) => s.key === key && s.source !== source && !s.absorbed.includes(source) && Math.abs(s.ts - event.ts) <= this.windowMs,
    );
    if (twin) {
      twin.absorbed.push(source);
      return false;
    }
    this.seen.push({ key, source, ts: event.ts, absorbed: [] });
    return true;
  }

  /** Forgets everything seen (after `forget()`). */
  clear(): void {
    this.seen = [];
    this.latest = 0;
  }
}
