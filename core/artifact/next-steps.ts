/**
 * The "chosen next" table of a model artifact (`next-steps.json`): for an item X, the items that at least
 * `minUsers` distinct shoppers of the training data chose next after X. It is the one evidence behind card
 * copy about other shoppers' behaviour ("Shoppers who viewed X chose this next", "Goes with X in your
 * cart"): a model's ranking is not such evidence. Computed at training time (`model-export/training/next-steps.ts`),
 * shipped in the signed artifact like the item map (the manifest's `nextSteps` names its size and SHA-256),
 * read by the widget. Only pairs of at least `minUsers` (k) shoppers are kept, without their counts, so
 * the table reveals no individual's history.
 *
 * Wire format (compact JSON, items as model indices 1..n of `items.json`, so ids are not repeated):
 * `{"format":"edge-recs-next-steps/1","window":1,"minUsers":5,"perItem":20,"next":[[x,y1,y2,...],...]}`,
 * each row's `y`s most shoppers first, rows in increasing `x`.
 */
import { ContractError, isRecord, show } from '../errors.ts';
import { utf8, type Bytes } from './bytes.ts';

const NEXT_STEPS_FORMAT = 'edge-recs-next-steps/1';
/** File name of the table inside an artifact. */
export const NEXT_STEPS_FILE = 'next-steps.json';
/** Largest `window` a table may be counted with: "chose this next" must stay close to X. */
const MAX_NEXT_WINDOW = 3;
/** Smallest `minUsers` (k): a pair one shopper made would name what that shopper did. */
export const MIN_NEXT_USERS = 2;

/** A table in catalog ids: what shoppers chose next after each item. */
export interface NextSteps {
  /** How far "next" reaches: Y counts when it is among the next `window` other items after X in a history. */
  window: number;
  /** k: distinct shoppers a pair needs to be listed. */
  minUsers: number;
  /** Most items listed per X (those of the most shoppers). */
  perItem: number;
  /** X -> the Ys at least `minUsers` shoppers chose next, most shoppers first. Items with none are absent. */
  next: ReadonlyMap<string, readonly string[]>;
}

/** Bytes of `next-steps.json` for `table`, items written as their index in `itemIds` (1-based). */
export function encodeNextSteps(table: NextSteps, itemIds: readonly string[]): Bytes {
  const index = new Map(itemIds.map((id, i) => [id, i + 1]));
  const at = (id: string): number => {
    const i = index.get(id);
    if (i === undefined) throw new ContractError('bad_artifact', `${NEXT_STEPS_FILE}: item "${id}" is not one of the model's items`);
    return i;
  };
  const rows = [...table.next]
    .filter(([, ys]) => ys.length > 0)
    .map(([x, ys]) => [at(x), ...ys.map(at)])
    .sort((a, b) => a[0]! - b[0]!);
  const { window, minUsers, perItem } = table;
  return utf8.encode(JSON.stringify({ format: NEXT_STEPS_FORMAT, window, minUsers, perItem, next: rows }));
}

/**
 * Reads `next-steps.json` (already checked against the manifest's SHA-256) into catalog ids.
 * @throws ContractError `integrity`, naming the file and the field at fault.
 */
export function parseNextSteps(bytes: Bytes, itemIds: readonly string[], path = NEXT_STEPS_FILE): NextSteps {
  const bad = (message: string): never => {
    throw new ContractError('integrity', `${path}: ${message}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(bytes));
  } catch {
    bad('not valid UTF-8 JSON');
  }
  if (!isRecord(raw)) return bad('expected a JSON object');
  if (raw.format !== NEXT_STEPS_FORMAT) bad(`format must be "${NEXT_STEPS_FORMAT}" (got ${show(raw.format)})`);
  const int = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
  if (!int(raw.window, 1, MAX_NEXT_WINDOW)) bad(`window must be an integer 1-${MAX_NEXT_WINDOW} (got ${show(raw.window)})`);
  if (!int(raw.minUsers, MIN_NEXT_USERS, Number.MAX_SAFE_INTEGER)) bad(`minUsers must be an integer of at least ${MIN_NEXT_USERS} (got ${show(raw.minUsers)})`);
  if (!int(raw.perItem, 1, Number.MAX_SAFE_INTEGER)) bad(`perItem must be a positive integer (got ${show(raw.perItem)})`);
  if (!Array.isArray(raw.next)) return bad('next must be an array');
  const perItem = raw.perItem as number;
  const next = new Map<string, string[]>();
  raw.next.forEach((row: unknown, r) => {
    if (!Array.isArray(row) || row.length < 2 || row.length > perItem + 1 || !row.every((i) => int(i, 1, itemIds.length))) {
      bad(`next[${r}] must be [x, y, ...]: 2 to ${perItem + 1} item indices 1-${itemIds.length}`);
    }
    const indices = row as number[];
    const [x, ...ys] = indices.map((i) => itemIds[i - 1]!);
    if (next.has(x!)) bad(`next[${r}]: item ${indices[0]} is listed twice`);
    if (ys.includes(x!) || new Set(ys).size !== ys.length) bad(`next[${r}]: the items after ${indices[0]} must be distinct and not ${indices[0]} itself`);
    next.set(x!, ys);
  });
  return { window: raw.window as number, minUsers: raw.minUsers as number, perItem, next };
}
