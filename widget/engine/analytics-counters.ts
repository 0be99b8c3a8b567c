/**
 * Aggregate analytics: counters of impressions, clicks, add-to-carts and purchases per placement, model
 * version and copy variant, and the revenue of attributed purchases per those and currency, sent in
 * batches to `POST /v1/metrics` (contract: `core/analytics.ts`); and, on a device in a holdout experiment, its sessions' counts and revenue
 * summed per experiment arm (`experiment-outcomes.ts`). A batch holds nothing else: no user or
 * device identifier, no item or order ids, no timestamps. Sums stay in memory and go out when the page
 * is hidden or left (`fetch` with `keepalive`, else `sendBeacon`; text/plain, so no CORS preflight), when
 * a batch is full, and every `FLUSH_MS` while the page is open. While the page is hidden or being left
 * (`setLeaving`), what is counted goes out at once (in one batch per task), as no later flush may come.
 */
import { METRICS_FLUSH_MS, METRICS_LIMITS, NO_VARIANT, TOKEN, isCopyVariant, parseMetricsBatch, type MetricCounter, type MetricEvent, type MetricsBatch, type Placement, type RevenueSum } from '../../core/analytics.ts';
import { isCurrency } from '../../core/currency.ts';
import { EXPERIMENT_LIMITS, type Arm, type ExperimentCounter, type ExperimentRevenue, type SessionDelta } from '../../core/experiment.ts';

/** A running page flushes at most this often, so a long visit still reports without a request per event. */
export const FLUSH_MS = METRICS_FLUSH_MS;

export interface MetricKey {
  placement: Placement;
  /** `manifest.version`, or `fallback` when no model ranked the card. */
  modelVersion: string;
  /** Copy variant id (`viewed.1`), or `none`. */
  variant: string;
}

/** One card key's share of one attributed order (`attribution.ts` `credit`), as `AnalyticsCounters.revenue` adds it. */
export interface RevenueShare {
  /** ISO 4217 code (`EUR`). */
  currency: string;
  /** The key's lines' share of the order, in minor units of `currency`. */
  amount: number;
  /** 1 where the order is credited to this key, 0 where the key only gets its lines' share of another key's order. */
  orders: 0 | 1;
  /** The key's attributed products whose lines carry some of `amount` (at least 1 where it is above 0). */
  purchases: number;
}

/** Sends one body; resolves true when it was handed to the browser. Replaceable in tests. */
export type Send = (url: string, body: string) => boolean;

/**
 * Sends a batch as a CORS-safelisted request: a string body (sent as `text/plain;charset=UTF-8`, which
 * `POST /v1/metrics` accepts) and no header of our own, so an edge server on another origin than the shop
 * gets it without a preflight. A preflighted `keepalive` request is not reliably sent while the page
 * unloads (a merchant's Chromium sent none of its `application/json` batches at `pagehide`), and a card
 * click always unloads the page. `fetch(keepalive)` survives the page going away and keeps the page's
 * URL out of the request (`no-referrer`); `sendBeacon` (a string: also text/plain) only where `fetch`
 * throws.
 */
export const send: Send = (url, body) => {
  try {
    void fetch(url, { method: 'POST', body, keepalive: true, credentials: 'omit', referrerPolicy: 'no-referrer' }).catch(() => undefined);
    return true;
  } catch {
    try {
      return navigator.sendBeacon(url, body);
    } catch {
      return false;
    }
  }
};

const safe = (token: string, fallback: string): string => (TOKEN.test(token) ? token : fallback);
/** A variant the server takes (e.g. one read back from a click stored by an older widget), else `none`. */
const variantOf = (variant: string): string => (isCopyVariant(variant) ? variant : NO_VARIANT);

export class AnalyticsCounters {
  private counts = new Map<string, MetricCounter>();
  private sums = new Map<string, RevenueSum>();
  /** Session counts and revenue per experiment arm (`addExperiment`). */
  private arms = new Map<string, ExperimentCounter>();
  private armRevenue = new Map<string, ExperimentRevenue>();
  private enabled = true;
  private leaving = false;
  private flushQueued = false;

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
      variant: variantOf(key.variant),
      event,
      count: 0,
    };
    const id = `${counter.placement}|${counter.modelVersion}|${counter.variant}|${event}`;
    const existing = this.counts.get(id) ?? (this.counts.set(id, counter), counter);
    existing.count++;
    if (existing.count >= METRICS_LIMITS.count || this.counts.size >= METRICS_LIMITS.counters) this.flush();
    else this.flushIfLeaving();
  }

  /**
   * Adds `key`'s share of one attributed order (`RevenueShare`). Returns false, counting nothing, for a
   * share the contract cannot carry (an amount not an integer, negative or over `METRICS_LIMITS.amount`;
   * an unknown currency; purchases not an integer 0-`METRICS_LIMITS.count`, or 0 with an amount); true
   * otherwise (also while disabled).
   */
  revenue(key: MetricKey, share: RevenueShare): boolean {
    const { currency, amount, orders, purchases } = share;
    if (!isCurrency(currency) || !Number.isSafeInteger(amount) || amount < 0 || amount > METRICS_LIMITS.amount) return false;
    if (!Number.isInteger(purchases) || purchases < 0 || purchases > METRICS_LIMITS.count || (amount > 0 && purchases === 0)) return false;
    if (!this.enabled) return true;
    const sum: RevenueSum = { placement: key.placement, modelVersion: safe(key.modelVersion, 'fallback'), variant: variantOf(key.variant), currency, orders: 0, purchases: 0, amount: 0 };
    const id = `${sum.placement}|${sum.modelVersion}|${sum.variant}|${currency}`;
    const kept = this.sums.get(id);
    // A sum that would pass a limit goes out first; this order starts the next one.
    if (kept && (kept.amount + amount > METRICS_LIMITS.amount || kept.orders + orders > METRICS_LIMITS.count || kept.purchases + purchases > METRICS_LIMITS.count)) this.flush();
    const existing = this.sums.get(id) ?? (this.sums.set(id, sum), sum);
    existing.orders += orders;
    existing.purchases += purchases;
    existing.amount += amount;
    if (this.sums.size >= METRICS_LIMITS.revenue) this.flush();
    else this.flushIfLeaving();
    return true;
  }

  /** Whether counting is on (analytics consent): experiment sessions are only tracked while it is. */
  get counting(): boolean {
    return this.enabled;
  }

  /**
   * Adds what one session input added to `experiment`'s `arm` (`core/experiment.ts` `advanceSession`):
   * summed with the device's other sessions since the last batch, so no session is told apart. A no-op
   * while disabled, and for a delta that adds nothing.
   */
  addExperiment(experiment: string, arm: Arm, delta: SessionDelta): void {
    if (!this.enabled) return;
    const counts = delta.sessions + delta.cartSessions + delta.purchaseSessions + delta.orders;
    if (counts > 0) {
      const id = `${experiment}|${arm}`;
      const kept = this.arms.get(id);
      if (kept && Math.max(kept.sessions + delta.sessions, kept.cartSessions + delta.cartSessions, kept.purchaseSessions + delta.purchaseSessions, kept.orders + delta.orders) > EXPERIMENT_LIMITS.count) this.flush();
      if (!this.arms.has(id) && this.arms.size >= EXPERIMENT_LIMITS.entries) this.flush();
      const counter = this.arms.get(id) ?? this.arms.set(id, { experiment, arm, sessions: 0, cartSessions: 0, purchaseSessions: 0, orders: 0 }).get(id)!;
      counter.sessions += delta.sessions;
      counter.cartSessions += delta.cartSessions;
      counter.purchaseSessions += delta.purchaseSessions;
      counter.orders += delta.orders;
    }
    for (const { currency, amount, squares } of delta.revenue) {
      if (!isCurrency(currency) || !Number.isSafeInteger(amount) || amount <= 0 || amount > EXPERIMENT_LIMITS.amount) continue;
      const id = `${experiment}|${arm}|${currency}`;
      const kept = this.armRevenue.get(id);
      if (kept && kept.amount + amount > EXPERIMENT_LIMITS.amount) this.flush();
      if (!this.armRevenue.has(id) && this.armRevenue.size >= EXPERIMENT_LIMITS.entries) this.flush();
      const sum = this.armRevenue.get(id) ?? this.armRevenue.set(id, { experiment, arm, currency, amount: 0, squares: 0 }).get(id)!;
      sum.amount += amount;
      sum.squares += squares;
    }
    this.flushIfLeaving();
  }

  /**
   * The page was hidden or is being left (`true`: `pagehide`, `visibilitychange` to hidden), or is shown
   * again (`false`). Leaving sends what is counted; until shown again, later counts are sent right after
   * the task that made them (a purchase reported as the shopper leaves the thank-you page), not kept
   * for a flush that an unloaded page never makes.
   */
  setLeaving(on: boolean): void {
    this.leaving = on;
    if (on) this.flush();
  }

  private flushIfLeaving(): void {
    if (!this.leaving || this.flushQueued) return;
    this.flushQueued = true;
    // A microtask: the counters and revenue of one event go out together, before the page can unload.
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** What would be sent now (for tests and the profile panel). */
  pending(): MetricsBatch | undefined {
    if (this.counts.size === 0 && this.sums.size === 0 && this.arms.size === 0 && this.armRevenue.size === 0) return undefined;
    const batch: MetricsBatch = { model: this.model, counters: [...this.counts.values()].map((c) => ({ ...c })) };
    if (this.sums.size > 0) batch.revenue = [...this.sums.values()].map((r) => ({ ...r }));
    if (this.arms.size > 0) batch.experiments = [...this.arms.values()].map((c) => ({ ...c }));
    if (this.armRevenue.size > 0) batch.experimentRevenue = [...this.armRevenue.values()].map((r) => ({ ...r }));
    return batch;
  }

  /** Sends what is counted, if anything. The batch is validated with the server's own parser first. */
  flush(): void {
    const batch = this.pending();
    this.clear();
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
    if (!on) this.clear();
  }

  /** Drops everything counted and not yet sent (`forget()`). */
  clear(): void {
    this.counts.clear();
    this.sums.clear();
    this.arms.clear();
    this.armRevenue.clear();
  }
}
