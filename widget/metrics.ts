/**
 * Aggregate analytics: counters of impressions, clicks, add-to-carts and purchases per placement, model
 * version and copy variant, sent in batches to `POST /v1/metrics` (contract: `core/analytics.ts`). A batch
 * holds nothing else: no user or device identifier, no item ids, no timestamps. Counts stay in memory and
 * go out when the page is hidden or left (`fetch` with `keepalive`, else `sendBeacon`), when a batch is
 * full, and every `FLUSH_MS` while the page is open.
 */
import { METRICS_LIMITS, TOKEN, parseMetricsBatch, type MetricCounter, type MetricEvent, type MetricsBatch, type Placement } from '../core/analytics.ts';

/** A running page flushes at most this often, so a long visit still reports without a request per event. */
export const FLUSH_MS = 60_000;

export interface MetricKey {
  placement: Placement;
  /** `manifest.version`, or `fallback` when no model ranked the card. */
  modelVersion: string;
  /** Copy variant id (`viewed.1`), or `none`. */
  variant: string;
}

/** Sends one body; resolves true when it was handed to the browser. Replaceable in tests. */
export type Send = (url: string, body: string) => boolean;

/** `fetch(keepalive)` survives the page going away; `sendBeacon` where keepalive is refused (over its 64 KB quota). */
export const send: Send = (url, body) => {
  try {
    void fetch(url, { method: 'POST', body, keepalive: true, credentials: 'omit', referrerPolicy: 'no-referrer', headers: { 'content-type': 'application/json' } }).catch(() => undefined);
    return true;
  } catch {
    try {
      return navigator.sendBeacon(url, new Blob([body], { type: 'application/json' }));
    } catch {
      return false;
    }
  }
};

const safe = (token: string, fallback: string): string => (TOKEN.test(token) ? token : fallback);

export class Metrics {
  private counts = new Map<string, MetricCounter>();
  private enabled = true;

  constructor(
    private readonly url: string,
    private readonly model: string,
    private readonly sender: Send = send,
  ) {}

  /** Counts one event. A no-op while disabled (Consent Mode `analytics_storage` denied). */
  count(key: MetricKey, event: MetricEvent): void {
    if (!this.enabled) return;
    const counter: MetricCounter = {
      placement: key.placement,
      modelVersion: safe(key.modelVersion, 'fallback'),
      variant: safe(key.variant, 'none'),
      event,
      count: 0,
    };
    const id = `${counter.placement}|${counter.modelVersion}|${counter.variant}|${event}`;
    const existing = this.counts.get(id) ?? (this.counts.set(id, counter), counter);
    existing.count++;
    if (existing.count >= METRICS_LIMITS.count || this.counts.size >= METRICS_LIMITS.counters) this.flush();
  }

  /** What would be sent now (for tests and the profile panel). */
  pending(): MetricsBatch | undefined {
    if (this.counts.size === 0) return undefined;
    return { model: this.model, counters: [...this.counts.values()].map((c) => ({ ...c })) };
  }

  /** Sends what is counted, if anything. The batch is validated with the server's own parser first. */
  flush(): void {
    const batch = this.pending();
    this.counts.clear();
    if (!batch) return;
    try {
      this.sender(this.url, JSON.stringify(parseMetricsBatch(batch)));
    } catch {
      // A batch our own validator refuses is a bug, never the page's problem: drop it.
    }
  }

  /** Turns counting on or off; turning it off drops what was counted. */
  setEnabled(on: boolean): void {
    this.enabled = on;
    if (!on) this.counts.clear();
  }

  /** Drops everything counted and not yet sent (`forget()`). */
  clear(): void {
    this.counts.clear();
  }
}
