/**
 * Trending and bestseller lists from aggregates only. Raw events never reach the server, so there are
 * two sources: the merchant's own ordered bestseller list (from its shop system), and per-item counts
 * that the federated rounds report through `PopularityStore.addItemCounts`: only items that passed the
 * round's evidence test, each with its noisy device count less what cover rows and noise give every item
 * (`core/federated/trending.ts`), so cover padding alone never makes an item trend.
 *
 * Trending is an exponentially decayed sum: a count `c` seen at time `t` weighs `c * 2^-((now - t) / h)`
 * now, for half-life `h`. Kept per item as one (value, time) pair, so a write touches only its items and
 * a read decays each pair to the present.
 */
import { TOKEN, TRENDING_MIN_SCORE, type Popular, type PopularItem } from '../../core/analytics.ts';
import { ContractError, show } from '../../core/errors.ts';
import { ITEM_ID_RULE, normalizeItemId } from '../../core/item-id.ts';
import type { Fail } from '../../core/options.ts';
import type { AnalyticsStore, ItemScore } from './store.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** `score` valued at `at` -> valued at `to` (earlier or later). */
export function decayTo(score: number, at: number, to: number, halfLifeMs: number): number {
  return score * 2 ** (-(to - at) / halfLifeMs);
}

/**
 * Adds `count`, observed at `at`, to a decayed sum. The sum stays valued at the later of the two
 * times, so counts arriving out of order add exactly what they would have in order.
 */
export function decayedAdd(entry: ItemScore | undefined, count: number, at: number, halfLifeMs: number): ItemScore {
  if (!entry) return { score: count, at };
  if (at >= entry.at) return { score: decayTo(entry.score, entry.at, at, halfLifeMs) + count, at };
  return { score: entry.score + decayTo(count, at, entry.at, halfLifeMs), at: entry.at };
}

/**
 * Where the federated aggregation reports per-item counts of a closed round. Item ids are catalog ids;
 * counts are the round's trending evidence: devices beyond cover and noise, noised (fractional; any
 * finite number is taken as given, so other sources of counts may report through the same door).
 * @example await popularity.addItemCounts('default', { 'sku-0042': 31.7, 'sku-0007': 27.1 }, round.closedAt)
 */
export interface PopularityStore {
  /**
   * @param at ISO-8601 time the counts were observed (the round's close).
   * @throws ContractError `bad_counts` for a bad model name, item id, count or time.
   */
  addItemCounts(model: string, counts: Record<string, number>, at: string): Promise<void>;
}

export interface PopularityOptions {
  /**
   * Half-life of trending scores in days. Default 7: a week-old round's count weighs half as much as
   * today's, so trending follows what shoppers want now without flapping day to day.
   * @example 3
   */
  halfLifeDays?: number;
}

export const POPULARITY_DEFAULTS = { halfLifeDays: 7 } as const;

/**
 * An id of a count or a list, by the catalog's rule (`normalizeItemId`), so `" sku 1 "` names the
 * catalog's `"sku 1"` and the widget finds it.
 */
function checkId(id: unknown, where: string, code: string): string {
  const normalized = normalizeItemId(id);
  if (normalized === undefined) throw new ContractError(code, `${where}: item ids must be ${ITEM_ID_RULE} (got ${show(id)})`);
  return normalized;
}

function checkModelName(model: unknown, code: string): string {
  if (typeof model !== 'string' || !TOKEN.test(model)) {
    throw new ContractError(code, `model must be 1-64 letters, digits, ".", "_" or "-" (got ${show(model)})`);
  }
  return model;
}

/** Checks a half-life option (`where`: how messages name it); `fail` throws the factory's option error. */
export function checkHalfLifeDays(days: unknown, where: string, fail: Fail): number {
  if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0) fail(`${where} must be a positive number of days (got ${show(days)})`);
  return days;
}

/**
 * The `PopularityStore` the federated aggregation calls, on top of an `AnalyticsStore`.
 * @throws TypeError when `halfLifeDays` is not a positive number.
 */
export function popularityStore(store: AnalyticsStore, options: PopularityOptions = {}): PopularityStore {
  const halfLifeMs = checkHalfLifeDays(options.halfLifeDays ?? POPULARITY_DEFAULTS.halfLifeDays, 'halfLifeDays', (message) => {
    throw new TypeError(message);
  }) * DAY_MS;
  return {
    async addItemCounts(model, counts, at) {
      checkModelName(model, 'bad_counts');
      const time = typeof at === 'string' ? Date.parse(at) : NaN;
      if (Number.isNaN(time)) throw new ContractError('bad_counts', `at must be an ISO-8601 time (got ${show(at)})`);
      if (typeof counts !== 'object' || counts === null || Array.isArray(counts)) throw new ContractError('bad_counts', `counts must be an object of item id -> number (got ${show(counts)})`);
      const clean: Record<string, number> = {};
      for (const [raw, count] of Object.entries(counts)) {
        const id = checkId(raw, 'counts', 'bad_counts');
        if (typeof count !== 'number' || !Number.isFinite(count)) throw new ContractError('bad_counts', `counts[${show(raw)}] must be a finite number (got ${show(count)})`);
        // Two spellings of one id are one item.
        if (count !== 0) clean[id] = (clean[id] ?? 0) + count;
      }
      if (Object.keys(clean).length > 0) await store.addItemCounts(model, clean, time, halfLifeMs);
    },
  };
}

/** Most bestseller ids a merchant may list: far more than any widget shows, small enough to serve whole. */
const MAX_BESTSELLERS = 1000;

/** Validates a merchant's bestseller list body `{ "ids": [...] }`: ids in order, no repeats. */
export function parseBestsellerIds(raw: unknown): string[] {
  const ids = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { ids?: unknown }).ids : undefined;
  if (!Array.isArray(ids) || ids.length > MAX_BESTSELLERS) {
    throw new ContractError('bad_bestsellers', `expected {"ids": [...]} with at most ${MAX_BESTSELLERS} catalog ids, best first`);
  }
  const seen = new Set<string>();
  return ids.map((id: unknown, i) => {
    const checked = checkId(id, `ids[${i}]`, 'bad_bestsellers');
    if (seen.has(checked)) throw new ContractError('bad_bestsellers', `ids[${i}]: ${show(checked)} is listed twice`);
    seen.add(checked);
    return checked;
  });
}

/**
 * `GET /v1/popular`: the `limit` highest decayed sums valued at `now` that reach `TRENDING_MIN_SCORE`
 * (about ten shoppers beyond cover: what a card may call trending; lower sums are evidence that has
 * decayed away), the merchant's bestsellers scored by rank (`n` for the first of `n`, down to 1), and the
 * model's running experiment (null when none).
 */
export async function computePopular(store: AnalyticsStore, model: string, now: number, halfLifeDays: number, limit: number): Promise<Popular> {
  const halfLifeMs = halfLifeDays * DAY_MS;
  const [scores, list, experiments] = await Promise.all([store.readItemScores(model), store.getBestsellers(model), store.getExperiments(model)]);
  const trending: PopularItem[] = Object.entries(scores)
    .map(([id, s]) => ({ id, score: decayTo(s.score, s.at, now, halfLifeMs) }))
    .filter((item) => item.score >= TRENDING_MIN_SCORE)
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, limit)
    .map((item) => ({ id: item.id, score: Math.round(item.score * 1000) / 1000 }));
  const ids = list?.ids.slice(0, limit) ?? [];
  const bestsellers = ids.map((id, i) => ({ id, score: list!.ids.length - i }));
  // The running experiment rides along: the widget learns it from the answer it fetches anyway.
  return { updatedAt: new Date(now).toISOString(), trending, bestsellers, experiment: experiments.running };
}
