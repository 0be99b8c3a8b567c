/**
 * The evidence `GET /v1/popular` gives copy ("Trending", "One of our bestsellers"), indexed once per
 * load rather than searched per card. Lists name catalog ids, often a variant (the merchant's list names
 * sizes, a model trained without `--catalog` counts sizes), while a card stands for its variant group:
 * both sides are read as the group's key, so a list naming size L gives the jacket's card its evidence.
 */
import { parsePopular, type Popular } from '../../core/analytics.ts';
import { withTimeout } from '../runtime/deadline.ts';

/** Aggregates are a fallback: a slow answer must not hold the first cards back for long. */
const POPULAR_TIMEOUT_MS = 3_000;

/**
 * `GET /v1/popular`: trending and bestsellers from the server's aggregates. Rejects when missing or
 * invalid, after `POPULAR_TIMEOUT_MS`, or when `signal` aborts.
 */
export async function fetchPopular(server: string, model: string, signal: AbortSignal): Promise<Popular> {
  const timed = withTimeout(signal, POPULAR_TIMEOUT_MS);
  try {
    // `no-store`: the HTTP cache would revalidate with whatever ETag or date the server gave (a possible per-shopper id).
    const res = await fetch(`${server}/v1/popular?model=${encodeURIComponent(model)}`, { credentials: 'omit', cache: 'no-store', signal: timed.signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return parsePopular(await res.json());
  } finally {
    timed.done();
  }
}

export interface PopularEvidence {
  /** The item's trending score, read as its group (the group's best-placed variant in the list), if listed. */
  trendingScore(id: string): number | undefined;
  /** Whether the item's group is on the merchant's bestseller list. */
  bestseller(id: string): boolean;
}

/** @param keyOf the group key of an id (`widget/ranking/catalog.ts` `CardCatalog.key`); the id itself where the catalog lacks it. */
export function popularEvidence(popular: Popular, keyOf: (id: string) => string): PopularEvidence {
  const trending = new Map<string, number>();
  // The first entry of a group stands for it, as in ranking (`rank`): lists come best first.
  for (const { id, score } of popular.trending) {
    const key = keyOf(id);
    if (!trending.has(key)) trending.set(key, score);
  }
  const bestsellers = new Set(popular.bestsellers.map((b) => keyOf(b.id)));
  return {
    trendingScore: (id) => trending.get(keyOf(id)),
    bestseller: (id) => bestsellers.has(keyOf(id)),
  };
}
