import { ContractError } from '../../core/errors.ts';

/** Interaction sequences with items mapped to model indices 1..itemIds.length. */
export interface Dataset {
  /** Catalog id of model item i+1. */
  itemIds: string[];
  users: string[];
  /** Per user, item indices in time order. */
  sequences: number[][];
  /**
   * Per user, for each item of `sequences`, the id the data named it by where that differs from the
   * model's item: the size (`rain jacket L`) of a variant group learned as one item (`--catalog`), the
   * newest of a run of the group. Only for data read with a catalog; for the report's sample histories.
   */
  variants?: string[][];
}

/** Leave-one-out split of the published protocol: last item tests, second-to-last validates. */
export interface Split {
  train: number[];
  valid: number;
  test: number;
}

/** Users need three interactions for one training item plus a validation and a test target. */
export const MIN_SEQUENCE = 3;

export function split(seq: readonly number[]): Split | null {
  if (seq.length < MIN_SEQUENCE) return null;
  return { train: seq.slice(0, -2), valid: seq[seq.length - 2]!, test: seq[seq.length - 1]! };
}

/**
 * Builds a dataset from id sequences. Items are numbered by natural sort order of their ids, over
 * `itemIds` when given (a catalog: items nobody interacted with yet still get a row) or else the ids seen.
 */
export function fromSequences(users: readonly string[], sequences: readonly (readonly string[])[], itemIds?: readonly string[]): Dataset {
  const ids = [...new Set([...(itemIds ?? []), ...sequences.flat()])].sort(new Intl.Collator('en', { numeric: true }).compare);
  const index = new Map(ids.map((id, i) => [id, i + 1]));
  return { itemIds: ids, users: [...users], sequences: sequences.map((s) => s.map((id) => index.get(id)!)) };
}

/**
 * Parses the S3-Rec format of ../shared/datasets: one line per user, `user_id item_id item_id ...` in
 * time order. Errors name the file and line.
 */
export function parseS3Rec(text: string, file: string): Dataset {
  const users: string[] = [];
  const sequences: string[][] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '') return;
    const [user, ...items] = trimmed.split(/\s+/);
    const where = `${file}:${i + 1}`;
    if (items.length === 0) throw new ContractError('bad_data', `${where}: user "${user}" has no items`);
    for (const token of [user!, ...items]) {
      if (!/^[\w.:-]{1,128}$/u.test(token)) throw new ContractError('bad_data', `${where}: invalid id "${token.slice(0, 40)}"`);
    }
    if (seen.has(user!)) throw new ContractError('bad_data', `${where}: user "${user}" appears twice`);
    seen.add(user!);
    users.push(user!);
    sequences.push(items);
  });
  if (users.length === 0) throw new ContractError('bad_data', `${file}: no users`);
  return fromSequences(users, sequences);
}
