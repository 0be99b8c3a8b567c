/**
 * Counts the "chosen next" table (`core/artifact/next-steps.ts`) from the training data: what shoppers
 * really did, the evidence card copy about other shoppers needs. The model's ranking is not evidence of it.
 */
import type { NextSteps } from '../../core/artifact/next-steps.ts';
import type { Dataset } from '../data/dataset.ts';

/** How the table is counted: `train --next-min-users`, and the fixed reach and cap. */
export interface NextStepsOptions {
  /**
   * k: distinct shoppers who must have chosen Y next after X for the pair to be listed. Default 5: a
   * claim about "shoppers" rests on several, and the shipped table reveals no individual's history.
   * @example { minUsers: 10 }
   */
  minUsers: number;
  /**
   * How far "next" reaches: 1 = only the next other product a shopper interacted with after X (a
   * repeat of X itself is skipped, not counted as a step). Default 1: the copy says "chose this next",
   * which a merchant checks against the step that really came next in their own export.
   */
  window: number;
  /** Most Ys kept per X, those of the most shoppers. Default 20: a row shows a few cards; this bounds the file. */
  perItem: number;
}

export const NEXT_STEPS_DEFAULTS: NextStepsOptions = { minUsers: 5, window: 1, perItem: 20 };

/**
 * The table of `data` (each user's interest events in time order): for each X, the Ys at least `minUsers`
 * distinct users chose within the next `window` other items after X, most users first (ties: model item
 * order), at most `perItem`. A user who did X -> Y several times counts once.
 */
export function countNextSteps(data: Pick<Dataset, 'itemIds' | 'sequences'>, options: Partial<NextStepsOptions> = {}): NextSteps {
  const { minUsers, window, perItem } = { ...NEXT_STEPS_DEFAULTS, ...options };
  const n = data.itemIds.length + 1;
  // Pair (x, y) as one number x·n + y: under 2^53 for any catalog a browser can rank.
  const users = new Map<number, number>();
  const mine = new Set<number>();
  for (const seq of data.sequences) {
    mine.clear();
    for (let i = 0; i < seq.length; i++) {
      const x = seq[i]!;
      for (let j = i + 1, steps = 0; j < seq.length && steps < window; j++) {
        const y = seq[j]!;
        if (y === x) continue;
        steps++;
        mine.add(x * n + y);
      }
    }
    for (const pair of mine) users.set(pair, (users.get(pair) ?? 0) + 1);
  }
  const byX = new Map<number, Array<[number, number]>>();
  for (const [pair, count] of users) {
    if (count < minUsers) continue;
    const x = Math.floor(pair / n);
    const list = byX.get(x);
    if (list) list.push([pair % n, count]);
    else byX.set(x, [[pair % n, count]]);
  }
  const id = (i: number): string => data.itemIds[i - 1]!;
  const next = new Map<string, string[]>();
  for (const x of [...byX.keys()].sort((a, b) => a - b)) {
    const ys = byX.get(x)!.sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, perItem);
    next.set(id(x), ys.map(([y]) => id(y)));
  }
  return { window, minUsers, perItem, next };
}
