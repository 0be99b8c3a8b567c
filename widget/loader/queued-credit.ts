/**
 * Credit for add-to-carts and purchases the engine never took: events the loader still holds when the
 * page is hidden or left before the engine chunk loaded (a thank-you tab closed at once). The loader
 * imports this as soon as it queues such an event, so it is at hand, synchronously, by `pagehide`. It
 * applies the engine's own rules (`attribution.ts` `credit`) to the clicks kept in `localStorage` and
 * sends the batch with the engine's transport (`analytics-counters.ts`): one implementation, in one chunk that the
 * loader and the engine share (`vite.config.ts`).
 */
import { parseEvent, type ShopEvent } from '../../core/events.ts';
import { Attributions, credit } from '../engine/attribution.ts';
import type { RawEvent } from './event-sources.ts';
import { AnalyticsCounters, type Send } from '../engine/analytics-counters.ts';

/** Credits the queued events it has not credited yet; see `queuedCredit`. */
export type CreditQueued = (queue: readonly RawEvent[], storage: boolean) => void;

/**
 * A crediting function for one page view. Each call credits every queued `add_to_cart` and `purchase`
 * not marked `attributed` (an invalid one is left to the engine, which drops it), marks them, and sends
 * what they counted to `server`'s `POST /v1/metrics` at once. The caller checks analytics consent
 * first. Only with `storage` (consent to keep the clicks in `localStorage`): without it the clicks that
 * could count are this page's, in the memory of an engine that has not loaded, so nothing is credited
 * or marked. `send`: the transport, replaceable in tests (default: `analytics-counters.ts` `send`).
 */
export function queuedCredit(server: string, model: string, send?: Send): CreditQueued {
  const metrics = new AnalyticsCounters(`${server}/v1/metrics`, model, send);
  return (queue, storage) => {
    if (!storage) return;
    const book = new Attributions(true);
    for (const raw of queue) {
      if (raw.attributed || (raw.name !== 'add_to_cart' && raw.name !== 'purchase')) continue;
      let event: ShopEvent;
      try {
        event = parseEvent(raw.name, raw.params, raw.at);
      } catch {
        continue;
      }
      credit(event, book, metrics);
      raw.attributed = true;
    }
    metrics.flush();
  };
}
