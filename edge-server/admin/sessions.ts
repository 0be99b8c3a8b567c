/**
 * Where the server keeps admin sign-in state: the dashboard sessions that are live (so a logout ends one
 * for good, on every process and isolate that serves the deployment) and how many wrong admin tokens
 * each network source has sent lately (so nobody can guess tokens at the server's speed). Web-standard
 * code only; each adapter brings a durable `AdminSessions` (a file on Node, a Durable Object on Workers)
 * and this module gives the in-memory one and the rules all of them share.
 */
import { hasMethods, optionError } from '../../core/options.ts';
import { rateLimiter, type RateLimit } from '../middleware/rate-limit.ts';

export interface AdminSessions {
  /** Records session `id` as live until `expires` (Unix seconds), ending the oldest ones past `SESSION_LIMITS.sessions`. */
  add(id: string, expires: number): Promise<void>;
  /** Whether session `id` is live (recorded, not ended, not expired). */
  has(id: string): Promise<boolean>;
  /** Ends session `id` (logout); nothing happens for an unknown one. */
  delete(id: string): Promise<void>;
  /** Seconds before `source` may present an admin token again; 0 when it may now. */
  attemptWait(source: string): Promise<number>;
  /** Counts a wrong admin token from `source` against its limit. */
  attemptFailed(source: string): Promise<void>;
}

export const SESSION_LIMITS = {
  /**
   * Most live sessions kept; a login past it ends the sessions closest to expiry. 1,000: far more than a
   * shop has admins, and a login needs a valid token, so only an admin can fill it.
   */
  sessions: 1000,
  /**
   * Wrong admin tokens (login form or bearer) per source: 10 at once, then one a minute, for 10,000
   * sources at most (the least recently seen forgotten first). An admin who mistypes gets 10 tries; a
   * guesser gets 1,440 a day per address, against tokens of at least 96 random bits.
   */
  attempts: { perSecond: 1 / 60, burst: 10, sources: 10_000 } satisfies RateLimit,
} as const;

/** The live sessions in a map, for the in-memory store and the adapters' stores built on it. */
export class SessionTable {
  readonly #max: number;
  readonly #now: () => number;
  /** id → expiry (Unix seconds). */
  readonly entries = new Map<string, number>();

  constructor(entries: Iterable<[string, number]> = [], max: number = SESSION_LIMITS.sessions, now: () => number = () => Math.floor(Date.now() / 1000)) {
    this.#max = max;
    this.#now = now;
    for (const [id, expires] of entries) this.entries.set(id, expires);
    this.sweep();
  }

  /** Drops expired sessions, then the soonest to expire while more than `max - room` remain. */
  sweep(room = 0): void {
    const now = this.#now();
    for (const [id, expires] of this.entries) if (expires <= now) this.entries.delete(id);
    if (this.entries.size + room <= this.#max) return;
    const byExpiry = [...this.entries].sort((a, b) => a[1] - b[1]);
    for (const [id] of byExpiry.slice(0, this.entries.size + room - this.#max)) this.entries.delete(id);
  }

  add(id: string, expires: number): void {
    this.sweep(1);
    this.entries.set(id, expires);
  }

  has(id: string): boolean {
    const expires = this.entries.get(id);
    return expires !== undefined && expires > this.#now();
  }
}

/** Wrong-token counting per source (`SESSION_LIMITS.attempts`), in memory. */
export function attemptLimiter(now: () => number = Date.now): Pick<AdminSessions, 'attemptWait' | 'attemptFailed'> {
  const limiter = rateLimiter(SESSION_LIMITS.attempts, now);
  return {
    async attemptWait(source) {
      const admission = limiter.peek(source);
      return admission.ok ? 0 : admission.retryAfter;
    },
    async attemptFailed(source) {
      limiter.take(source);
    },
  };
}

/**
 * Admin sign-in state in this process's memory: the default, right for one process whose restart may
 * end every session (tests, a single short-lived server). Node's `main.ts` keeps sessions on disk.
 */
export function memoryAdminSessions(): AdminSessions {
  const table = new SessionTable();
  return {
    async add(id, expires) {
      table.add(id, expires);
    },
    async has(id) {
      return table.has(id);
    },
    async delete(id) {
      table.entries.delete(id);
    },
    ...attemptLimiter(),
  };
}

const METHODS = ['add', 'has', 'delete', 'attemptWait', 'attemptFailed'] as const;

/** Checks the `adminSessions` option. @throws TypeError naming the methods it needs. */
export function checkAdminSessions(value: unknown): AdminSessions {
  if (value === undefined) return memoryAdminSessions();
  if (!hasMethods(value, METHODS)) optionError('createApp')(`adminSessions must be an AdminSessions (${METHODS.join(', ')})`);
  return value as AdminSessions;
}
