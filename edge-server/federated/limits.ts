/**
 * Per-source and per-token limits on intake: the keyed hash of a network source that a round counts its
 * share by (`maxSourceShare`), and the updates one client token may send per rolling day
 * (`maxUpdatesPerDay`).
 */
import { sourceHasher } from '../middleware/peer.ts';
import { DAY_MS } from './budget.ts';
import type { ModelState } from './state.ts';
import type { RoundStore } from './store.ts';

/** Source hashes cached per round before the cache is emptied (a cache, not a limit). */
const SOURCE_HASH_CACHE = 4096;
/** Client tokens remembered for the daily limit before stale ones are swept. */
const RECENT_SWEEP_SIZE = 100_000;

/** The keyed hash the open round stores for a network source (HMAC-SHA-256 with the round's key, 32 hex digits). */
export async function hashSource(store: RoundStore, st: ModelState, model: string, round: number, source: string): Promise<string> {
  if (st.sourceKey?.round !== round) {
    const hex = await store.roundKey(model, round);
    const raw = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    st.sourceKey = { round, hash: await sourceHasher(raw), cache: new Map() };
  }
  const { hash: hashOf, cache } = st.sourceKey;
  let hash = cache.get(source);
  if (hash === undefined) {
    hash = await hashOf(source);
    if (cache.size >= SOURCE_HASH_CACHE) cache.clear();
    cache.set(source, hash);
  }
  return hash;
}

/**
 * Updates accepted per client token in the last day, across models. Counted in memory (it restarts with
 * the process); the one-per-round rule is durable.
 */
export class TokenDayLimit {
  readonly #recent = new Map<string, number[]>(); // tokenHash → accept times in the last day
  #sweepAbove = RECENT_SWEEP_SIZE;

  constructor(readonly maxPerDay: number) {}

  /** Whether `hash` has had its `maxPerDay` updates in the day before `at`. */
  limited(hash: string, at: number): boolean {
    const recent = this.#recent;
    if (recent.size > this.#sweepAbove) {
      // Tokens rotate daily: sweep the ones not seen for a day, so the map stays bounded. The next sweep
      // waits until the map has doubled, so a day with more than 100k live tokens does not sweep the
      // whole map on every upload (amortized O(1) per upload).
      for (const [h, times] of recent) if (times.at(-1)! <= at - DAY_MS) recent.delete(h);
      this.#sweepAbove = Math.max(RECENT_SWEEP_SIZE, 2 * recent.size);
    }
    const times = (recent.get(hash) ?? []).filter((t) => t > at - DAY_MS);
    if (times.length === 0) recent.delete(hash);
    else recent.set(hash, times);
    return times.length >= this.maxPerDay;
  }

  /** Counts an update of `hash` accepted at `at`. */
  record(hash: string, at: number): void {
    const times = this.#recent.get(hash) ?? [];
    times.push(at);
    this.#recent.set(hash, times);
  }
}
