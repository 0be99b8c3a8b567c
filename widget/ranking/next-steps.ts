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

/**
 * @param keyOf the group key of an id (`widget/ranking/catalog.ts` `CardCatalog.key`); the id itself where the catalog lacks it.
 *
 * Read lazily: building the whole table by group up front (every pair through `keyOf`) was a few
 * milliseconds in the task that writes a row's first copy, a long task at 4x CPU slowdown; a row asks
 * about a handful of `from` items. Up front, only which of the table's items are in each group.
 */
export function choseNext(table: NextSteps | undefined, keyOf: (id: string) => string): ChoseNext {
  if (!table) return NO_NEXT_STEPS;
  let members: Map<string, string[]> | undefined;
  const next = new Map<string, ReadonlySet<string>>();
  const chosenAfter = (from: string): ReadonlySet<string> => {
    if (!members) {
      members = new Map();
      for (const x of table.next.keys()) {
        const group = keyOf(x);
        const list = members.get(group);
        if (list) list.push(x);
        else members.set(group, [x]);
      }
    }
    const set = new Set<string>();
    for (const x of members.get(from) ?? []) {
      for (const y of table.next.get(x)!) {
        const to = keyOf(y);
        if (to !== from) set.add(to);
      }
    }
    next.set(from, set);
    return set;
  };
  return (from, to) => (next.get(from) ?? chosenAfter(from)).has(to);
}
