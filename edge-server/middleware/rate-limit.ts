/**
 * A per-source rate limit: one token bucket per source key (`sourceKey` in `peer.ts`), kept in a map of
 * bounded size. Each request takes a token; a bucket refills at `perSecond` up to `burst`. Web-standard
 * code only, in process memory: on Node one limit for the server, on Workers one per isolate.
 *
 * The map holds at most `sources` buckets. When a new source comes and it is full, the least recently
 * seen source is forgotten; a forgotten source comes back with a full bucket, which it would mostly have
 * anyway (a source unseen for `burst / perSecond` seconds is full again). So memory stays bounded however
 * many addresses send, and many addresses get many buckets, as they would with any per-source limit.
 */
import type { Fail } from '../../core/options.ts';

export interface RateLimit {
  /** Tokens a bucket refills per second. */
  perSecond: number;
  /** Most tokens a bucket holds: the requests a quiet source may send at once. */
  burst: number;
  /** Most sources remembered at once (the least recently seen is forgotten first). */
  sources: number;
}

/** What `take` answers: allowed, or refused with the whole seconds to wait for the next token (`Retry-After`). */
export type Admission = { ok: true } | { ok: false; retryAfter: number };

export interface RateLimiter {
  /** Takes one token from `source`'s bucket. */
  take(source: string): Admission;
  /** Whether `source`'s bucket holds a token now, without taking it (e.g. to refuse before doing the work a failure would be counted for). */
  peek(source: string): Admission;
  /** Sources remembered now (at most `sources`). */
  readonly size: number;
}

/**
 * A limiter for `limit`, reading time from `now` (ms; `Date.now` by default, a test clock in tests).
 * @example const limiter = rateLimiter({ perSecond: 2, burst: 60, sources: 10_000 }); limiter.take('203.0.113.7')
 */
export function rateLimiter(limit: RateLimit, now: () => number = Date.now): RateLimiter {
  // A Map iterates in insertion order; a source is re-inserted on each request, so the first key is the least recently seen.
  const buckets = new Map<string, { tokens: number; at: number }>();
  const tokensOf = (bucket: { tokens: number; at: number }, t: number): number => Math.min(limit.burst, bucket.tokens + (Math.max(0, t - bucket.at) / 1000) * limit.perSecond);
  const refused = (tokens: number): Admission => ({ ok: false, retryAfter: Math.max(1, Math.ceil((1 - tokens) / limit.perSecond)) });
  return {
    peek(source) {
      const bucket = buckets.get(source);
      const tokens = bucket ? tokensOf(bucket, now()) : limit.burst;
      return tokens < 1 ? refused(tokens) : { ok: true };
    },
    take(source) {
      const t = now();
      const bucket = buckets.get(source);
      let tokens = limit.burst;
      if (bucket) {
        tokens = tokensOf(bucket, t);
        buckets.delete(source);
      } else if (buckets.size >= limit.sources) {
        buckets.delete(buckets.keys().next().value!);
      }
      if (tokens < 1) {
        buckets.set(source, { tokens, at: t });
        return refused(tokens);
      }
      buckets.set(source, { tokens: tokens - 1, at: t });
      return { ok: true };
    },
    get size() {
      return buckets.size;
    },
  };
}

/**
 * Checks a `RateLimit` option (`name` is how messages call it) and fills in `defaults`; `fail` throws the
 * factory's option error (`optionError`).
 * @throws TypeError naming the field and the valid range.
 */
export function checkRateLimit(value: unknown, name: string, defaults: RateLimit, fail: Fail): RateLimit {
  if (value === undefined) return defaults;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${name} must be { perSecond?, burst?, sources? }`);
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).find((k) => !['perSecond', 'burst', 'sources'].includes(k));
  if (unknown !== undefined) fail(`${name}.${unknown} is not an option; choose from perSecond, burst, sources`);
  const positive = (key: keyof RateLimit, integer: boolean): number => {
    const v = raw[key] ?? defaults[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      fail(`${name}.${key} must be a positive ${integer ? 'integer' : 'number'} (got ${JSON.stringify(v)})`);
    }
    return v;
  };
  return { perSecond: positive('perSecond', false), burst: positive('burst', true), sources: positive('sources', true) };
}
