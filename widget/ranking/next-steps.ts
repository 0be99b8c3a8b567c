/**
 * The model's chosen-next table (`core/artifact/next-steps.ts`, verified with the model's signature) as
 * copy reads it: by variant group. The table names the model's items, which may be variants ("jacket M")
 * where the profile and the cards name groups ("jacket"); a pair of variants is read as a pair of their
 * groups. That keeps it true: the shoppers who chose size L after the mug are among those who chose the
 * jacket after it. A pair within one group (a shopper switching sizes) is no step to another product.
 */
import type { NextSteps } from '../../core/artifact/next-steps.ts';

/** Whether at least k shoppers of the model's training data chose `to` next after `from` (group keys). */
export type ChoseNext = (from: string, to: string) => boolean;

/** No table (an older artifact, no model yet): no such evidence, so no card claims it. */
export const NO_NEXT_STEPS: ChoseNext = () => false;

/** @param keyOf the group key of an id (`widget/ranking/catalog.ts` `CardCatalog.key`); the id itself where the catalog lacks it. */
export function choseNext(table: NextSteps | undefined, keyOf: (id: string) => string): ChoseNext {
  if (!table) return NO_NEXT_STEPS;
  const next = new Map<string, Set<string>>();
  for (const [x, ys] of table.next) {
    const from = keyOf(x);
    let set = next.get(from);
    for (const y of ys) {
      const to = keyOf(y);
      if (to === from) continue;
      if (!set) next.set(from, (set = new Set()));
      set.add(to);
    }
  }
  return (from, to) => next.get(from)?.has(to) ?? false;
}
