/**
 * The cold-start split of `--cold-items F`: a seeded fraction of the items is held out of training
 * entirely, so that evaluation can measure how well the model ranks items it never saw an interaction
 * with, from their content features alone, as it must for a product added to the catalog after training.
 * `train` and `eval` (and the attribute-similarity baseline) draw the same items from the same data and
 * seed through `pickColdItems`.
 */
import { rng, shuffle } from '../../core/random.ts';
import type { Dataset } from './dataset.ts';

/**
 * Mixed into `--seed` so the items drawn do not follow the same stream as the weights' initialisation and
 * the batches' order (which also start from `--seed`).
 */
const COLD_SALT = 0xc01d17e5;

/**
 * The item ids held out by `--cold-items fraction` (0 < fraction < 1): `round(fraction * items)` of them
 * (at least 1, at most all but 1), drawn uniformly by a seeded shuffle of `itemIds` (mulberry32 through
 * `core/random.ts`, so the same data and seed give the same items on every machine), returned in
 * `itemIds` order. Uniform over items, not interactions: most items held out are long-tail ones, as most
 * new products are.
 * @example pickColdItems(data.itemIds, 0.1, 42) // 10% of the items
 */
export function pickColdItems(itemIds: readonly string[], fraction: number, seed: number): string[] {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`cold-item fraction must be between 0 and 1, exclusive (got ${fraction})`);
  if (itemIds.length < 2) return [];
  const count = Math.min(itemIds.length - 1, Math.max(1, Math.round(fraction * itemIds.length)));
  const order = shuffle(
    Array.from(itemIds, (_, i) => i),
    rng((seed ^ COLD_SALT) >>> 0),
  );
  return order
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((i) => itemIds[i]!);
}


/**
 * `data` with every occurrence of the items in `held` (model indices) taken out of the histories; the
 * users stay (with what is left), and so do the item ids: the held-out items keep their index, only
 * nothing is known of who chose them. What the chosen-next table and the popularity baseline count from
 * under `--cold-items`.
 */
export function withoutItems(data: Dataset, held: ReadonlySet<number>): Dataset {
  if (held.size === 0) return data;
  const out: Dataset = { ...data, sequences: data.sequences.map((s) => s.filter((i) => !held.has(i))) };
  if (data.variants) out.variants = data.variants.map((names, u) => names.filter((_, j) => !held.has(data.sequences[u]![j]!)));
  return out;
}
