import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { ContractError, isRecord, show } from '../../core/errors.ts';
import { EVENT_NAMES, interestRuns, parseEvent, type EventName, type ShopEvent } from '../../core/events.ts';
import { fromSequences, type Dataset } from './dataset.ts';
import { openText } from './input-files.ts';

/**
 * Training data from event logs, read through the same event schema (`core/events.ts`) the widget's
 * tracker uses. Three shapes, told apart per file (docs/cli.md has examples):
 *
 * - the GA4 BigQuery export as BigQuery writes it (`bq extract --destination_format
 *   NEWLINE_DELIMITED_JSON`, gzipped or not): one event per line with `event_timestamp` (INT64 as a
 *   string, microseconds), `user_pseudo_id` / `user_id`, `event_params[]` and `items[]`;
 * - the flattened CSV of `SELECT ..., item.item_id, item.price ... FROM events_*, UNNEST(items) AS item`:
 *   one item of an event per row (`item.item_id`, `items_item_id` and `item__id` headers are read as
 *   `item_id`, and so on);
 * - EdgeRecs' simple log, CSV or JSON lines: `client_id,timestamp,event_name,item_id[,item_category,price,quantity]`.
 *
 * The user is `user_id` when the row has one, else `user_pseudo_id` (GA4's per-browser id), else
 * `client_id`; anonymous rows of a browser that logged in as exactly one `user_id` join that user. Rows
 * that are not e-commerce interactions (`session_start`, `page_view`, `view_promotion`...), events not
 * counted, items `(not set)`, rows without a user (GA4 consent-mode pings) and malformed rows are
 * skipped and counted by reason; `strict` makes the first malformed row an error instead.
 */
export interface EventsLogOptions {
  /** Event names that count as interactions. Default: view_item, select_item, add_to_cart, purchase. */
  counted: readonly EventName[];
  /** Fail on the first malformed row (naming file and line) instead of skipping it. Default false. */
  strict: boolean;
  /**
   * Maps an event's item id to the model's item (a catalog product's group), or undefined for a product
   * not in the catalog, whose items are then dropped and counted. Default: every id is its own item.
   */
  resolve?: (itemId: string) => string | undefined;
}

/** Why a row was skipped, in the order summaries list them. */
const SKIP_REASONS = ['other_event', 'not_counted', 'no_user', 'no_items', 'item_not_set', 'not_in_catalog', 'malformed'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Malformed-row examples kept for the summary (`file:line: message`). */
const EXAMPLES = 5;

export const SHAPES = {
  'ga4-nested': 'GA4 BigQuery export (nested JSON)',
  'ga4-flat': 'GA4 BigQuery export (flattened CSV)',
  'simple-csv': 'event log (CSV)',
  'simple-json': 'event log (JSON lines)',
} as const;
export type Shape = keyof typeof SHAPES;

/** What reading an event log did: rows read, kept and skipped (per reason), and the data that came out. */
export interface EventsLogSummary {
  files: number;
  /** Shapes seen, one per distinct file shape. */
  shapes: Shape[];
  /** Data rows read (JSON lines / CSV records; a flattened CSV has one row per item of an event). */
  rows: number;
  kept: number;
  /** Rows skipped per reason; only reasons that occurred. */
  skipped: Partial<Record<SkipReason, number>>;
  /** Rows skipped as `other_event` or `not_counted`, per event name, most frequent first. */
  skippedEvents: Record<string, number>;
  /** Item entries dropped from rows that were kept for their other items. */
  itemsDropped: { not_set: number; not_in_catalog: number };
  /** Item ids not in the catalog -> entries left out (of kept and skipped rows), most frequent first (only with `resolve`). */
  notInCatalog: Record<string, number>;
  /** The first malformed rows, `file:line: message`. */
  examples: string[];
  /** Time of the first and last kept event, ISO-8601. */
  from?: string;
  to?: string;
}

interface Row {
  /** `file:line` */
  where: string;
  raw?: Record<string, unknown>;
  error?: string;
}

/** CSV header spellings -> the field they hold (after lower-casing and turning `.`, spaces and `__` into `_`). */
const COLUMN_ALIASES: Record<string, string> = {
  item_item_id: 'item_id',
  items_item_id: 'item_id',
  item_item_category: 'item_category',
  items_item_category: 'item_category',
  item_price: 'price',
  items_price: 'price',
  item_quantity: 'quantity',
  items_quantity: 'quantity',
  event_timestamp_utc: 'event_timestamp',
  clientid: 'client_id',
  name: 'event_name',
  ts: 'timestamp',
};

function columnName(header: string): string {
  const name = header
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return COLUMN_ALIASES[name] ?? name;
}

/** A file's rows, JSON lines or CSV (told apart by the first character), with `file:line` of each. */
async function* rowsOf(file: string, shapes: Set<Shape>): AsyncGenerator<Row> {
  const stream = await openText(file);
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<string>;
  const head: string[] = [];
  let first: string | undefined;
  while (first === undefined) {
    const next = await chunks.next();
    if (next.done) break;
    head.push(next.value);
    first = /[^\s\uFEFF]/.exec(next.value)?.[0];
  }
  if (first === undefined) return;
  const text = Readable.from(
    (async function* () {
      yield* head;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
    })(),
  );
  if (first === '{') yield* jsonRows(file, text, shapes);
  else if (first === '[') yield* jsonArrayRows(file, text, shapes);
  else yield* csvRows(file, text, head.join('').split('\n', 1)[0]!, shapes);
}

const looksGa4 = (keys: readonly string[]): boolean => keys.includes('user_pseudo_id') || keys.includes('event_timestamp');

async function* jsonRows(file: string, text: Readable, shapes: Set<Shape>): AsyncGenerator<Row> {
  let line = 0;
  let shaped = false;
  for await (const raw of createInterface({ input: text, crlfDelay: Infinity })) {
    line++;
    const where = `${file}:${line}`;
    const content = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (content.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      yield { where, error: 'not valid JSON' };
      continue;
    }
    if (!isRecord(value)) {
      yield { where, error: 'expected a JSON object per line' };
      continue;
    }
    if (!shaped) {
      shapes.add(looksGa4(Object.keys(value)) ? 'ga4-nested' : 'simple-json');
      shaped = true;
    }
    yield { where, raw: value };
  }
}

/** A JSON array of rows (what a BigQuery console download gives); rows are named by their index. */
async function* jsonArrayRows(file: string, text: Readable, shapes: Set<Shape>): AsyncGenerator<Row> {
  let all = '';
  for await (const chunk of text) all += chunk as string;
  let value: unknown;
  try {
    value = JSON.parse(all.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ContractError('bad_data', `${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(value)) throw new ContractError('bad_data', `${file}: expected a JSON array of rows`);
  shapes.add(value.some((v) => isRecord(v) && looksGa4(Object.keys(v))) ? 'ga4-nested' : 'simple-json');
  for (const [i, v] of value.entries()) {
    const where = `${file}: row ${i + 1}`;
    yield isRecord(v) ? { where, raw: v } : { where, error: 'expected a JSON object' };
  }
}

async function* csvRows(file: string, text: Readable, headerLine: string, shapes: Set<Shape>): AsyncGenerator<Row> {
  const count = (c: string): number => headerLine.split(c).length - 1;
  const delimiter = [',', '\t', ';'].reduce((best, c) => (count(c) > count(best) ? c : best));
  const parser = text.pipe(parse({ bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, info: true, trim: true }));
  let columns: string[] | null = null;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!columns) {
        columns = record.map(columnName);
        shapes.add(looksGa4(columns) ? 'ga4-flat' : 'simple-csv');
        continue;
      }
      const where = `${file}:${info.lines}`;
      if (record.length !== columns.length) {
        yield { where, error: `has ${record.length} fields, the header has ${columns.length}` };
        continue;
      }
      const raw: Record<string, unknown> = {};
      columns.forEach((c, i) => (raw[c] = record[i]));
      yield { where, raw };
    }
  } catch (e) {
    // A CSV syntax error (an unclosed quote) leaves no way to find the next row: the file is refused.
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines;
      throw new ContractError('bad_data', `${file}:${line ?? 1}: malformed CSV (${e.message})`);
    }
    throw e;
  }
}

/** GA4's placeholder for a missing dimension, written into the export as a string. */
const NOT_SET = '(not set)';

/** A value that is really there: not null, not an empty CSV cell, not GA4's `(not set)`. */
const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && v !== NOT_SET;

function idOf(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' && present(v.trim()) ? v.trim() : undefined;
}

/**
 * Event time in milliseconds (fractional: microseconds are kept, so events in the same millisecond keep
 * their order). Numbers by magnitude: Unix seconds below 1e11, milliseconds below 1e14, else
 * microseconds (GA4's `event_timestamp`). Strings: ISO-8601, or BigQuery's `2026-03-01 10:31:00.123456 UTC`
 * (a time without zone is UTC, as BigQuery writes it).
 */
export function toMillis(value: unknown): number | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()))) {
    const n = Number(value);
    if (!Number.isFinite(n)) return undefined;
    return n < 1e11 ? n * 1000 : n < 1e14 ? n : n / 1000;
  }
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\s*(UTC|Z|[+-]\d{2}:?\d{2})?$/i.exec(value.trim());
  if (m) {
    const zone = !m[4] || /^(utc|z)$/i.test(m[4]) ? 'Z' : m[4];
    const seconds = Date.parse(`${m[1]}T${m[2]}${zone}`);
    return Number.isNaN(seconds) ? undefined : seconds + Number(`0.${m[3] ?? '0'}`) * 1000;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** An item field's number: INT64 arrives as a string, NULL as null or an empty cell. */
function numberField(v: unknown): unknown {
  if (!present(v)) return undefined;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v.trim())) return Number(v);
  return v; // left as it is, so the schema's error shows it
}

type Tally = Omit<EventsLogSummary, 'files' | 'shapes' | 'examples' | 'from' | 'to'> & { examples: string[] };

interface Kept {
  user?: string;
  pseudo?: string;
  event: ShopEvent;
}

/** One row -> the event it holds with its items resolved, or the reason it is skipped. */
function readRow(raw: Record<string, unknown>, options: EventsLogOptions, tally: Tally): Kept | { skip: SkipReason; message?: string } {
  const name = raw.event_name ?? raw.name;
  if (typeof name !== 'string' || name.trim() === '') return { skip: 'malformed', message: `event_name is missing (got ${show(name)})` };
  if (!EVENT_NAMES.includes(name as EventName)) {
    tally.skippedEvents[name] = (tally.skippedEvents[name] ?? 0) + 1;
    return { skip: 'other_event' };
  }
  if (!options.counted.includes(name as EventName)) {
    tally.skippedEvents[name] = (tally.skippedEvents[name] ?? 0) + 1;
    return { skip: 'not_counted' };
  }
  const user = idOf(raw.user_id);
  const pseudo = idOf(raw.user_pseudo_id) ?? idOf(raw.client_id) ?? idOf(raw.clientId);
  if (!user && !pseudo) {
    // GA4 writes rows without a user_pseudo_id for consent-mode pings (null, or left out with the other
    // NULL fields): expected in an export, not malformed.
    if ('user_pseudo_id' in raw || 'event_timestamp' in raw) return { skip: 'no_user' };
    return { skip: 'malformed', message: 'no user: needs user_id, user_pseudo_id or client_id' };
  }
  const time = raw.event_timestamp ?? raw.timestamp ?? raw.ts;
  const ts = toMillis(time);
  if (ts === undefined) {
    return { skip: 'malformed', message: `event_timestamp must be GA4 microseconds, Unix seconds/milliseconds or ISO-8601 (got ${show(time)})` };
  }
  let entries: unknown[];
  if (Array.isArray(raw.items)) entries = raw.items;
  else if (raw.items !== undefined && raw.items !== null && raw.items !== '') return { skip: 'malformed', message: `items must be an array (got ${show(raw.items)})` };
  else if ('item_id' in raw) entries = [raw];
  else entries = [];
  if (entries.length === 0) return { skip: 'no_items' };
  const items: Array<Record<string, unknown>> = [];
  let notSet = 0;
  let outside = 0;
  for (const entry of entries) {
    if (!isRecord(entry)) {
      items.push({ item_id: entry }); // the schema names it
      continue;
    }
    const rawId = entry.item_id;
    if (!present(typeof rawId === 'string' ? rawId.trim() : rawId)) {
      notSet++;
      continue;
    }
    const id = typeof rawId === 'number' ? String(rawId) : typeof rawId === 'string' ? rawId.trim() : rawId;
    const item: Record<string, unknown> = { item_id: id };
    if (present(entry.item_category)) item.item_category = entry.item_category;
    for (const key of ['price', 'quantity'] as const) {
      const v = numberField(entry[key]);
      if (v !== undefined) item[key] = v;
    }
    items.push(item);
  }
  if (items.length === 0) return { skip: 'item_not_set' };
  let event: ShopEvent;
  try {
    event = parseEvent(name, { items, ts });
  } catch (e) {
    if (e instanceof ContractError) return { skip: 'malformed', message: e.message };
    throw e;
  }
  if (options.resolve) {
    // Items stay named as the data names them (a size, for the report's histories); `sequencesOf` reads them as their groups.
    const resolved = [];
    for (const item of event.items) {
      if (options.resolve(item.item_id) === undefined) {
        outside++;
        tally.notInCatalog[item.item_id] = (tally.notInCatalog[item.item_id] ?? 0) + 1;
      } else resolved.push(item);
    }
    if (resolved.length === 0) return { skip: 'not_in_catalog' };
    event.items = resolved;
  }
  tally.itemsDropped.not_set += notSet;
  tally.itemsDropped.not_in_catalog += outside;
  return { user, pseudo, event };
}

const byCount = (counts: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));

/**
 * Reads event logs (one file or daily shards, any of the shapes above) into per-user sequences.
 * @throws ContractError `bad_data` naming the file and line: with `strict`, on the first malformed row;
 *   always when no row is kept or a CSV cannot be parsed past a point.
 */
export async function readEventsLog(files: readonly string[], options: EventsLogOptions): Promise<{ data: Dataset; summary: EventsLogSummary }> {
  const shapes = new Set<Shape>();
  const tally: Tally = {
    rows: 0,
    kept: 0,
    skipped: {},
    skippedEvents: {},
    itemsDropped: { not_set: 0, not_in_catalog: 0 },
    notInCatalog: {},
    examples: [],
  };
  const kept: Kept[] = [];
  for (const file of files) {
    for await (const row of rowsOf(file, shapes)) {
      tally.rows++;
      const result = row.error !== undefined ? { skip: 'malformed' as const, message: row.error } : readRow(row.raw!, options, tally);
      if ('skip' in result) {
        if (result.skip === 'malformed') {
          const example = `${row.where}: ${result.message}`;
          if (options.strict) throw new ContractError('bad_data', example);
          if (tally.examples.length < EXAMPLES) tally.examples.push(example);
        }
        tally.skipped[result.skip] = (tally.skipped[result.skip] ?? 0) + 1;
        continue;
      }
      tally.kept++;
      kept.push(result);
    }
  }
  const skipped = Object.fromEntries(SKIP_REASONS.filter((r) => tally.skipped[r]).map((r) => [r, tally.skipped[r]!]));
  const summary: EventsLogSummary = {
    files: files.length,
    shapes: [...shapes],
    rows: tally.rows,
    kept: tally.kept,
    skipped,
    skippedEvents: byCount(tally.skippedEvents),
    itemsDropped: tally.itemsDropped,
    notInCatalog: byCount(tally.notInCatalog),
    examples: tally.examples,
  };
  if (kept.length === 0) {
    const reasons = Object.entries(skipped).map(([r, n]) => `${n} ${r}`).join(', ');
    throw new ContractError('bad_data', `${files.length === 1 ? files[0] : `${files.length} files`}: no event kept of ${tally.rows} rows${reasons ? ` (skipped: ${reasons})` : ''}${tally.examples[0] ? `; first malformed: ${tally.examples[0]}` : ''}`);
  }
  let from = Infinity;
  let to = -Infinity;
  for (const { event } of kept) {
    from = Math.min(from, event.ts);
    to = Math.max(to, event.ts);
  }
  summary.from = new Date(Math.floor(from)).toISOString();
  summary.to = new Date(Math.floor(to)).toISOString();
  return { data: sequencesOf(kept, options.counted, options.resolve), summary };
}

/**
 * Groups events by user: `user_id` when the row has one, else `user_pseudo_id`; a browser id seen with
 * exactly one `user_id` is that user, so the browsing before logging in joins the same history. With
 * `resolve` (a catalog), items are their groups and `variants` keeps the ids the events named.
 */
function sequencesOf(kept: readonly Kept[], counted: readonly EventName[], resolve?: (itemId: string) => string | undefined): Dataset {
  const loggedInAs = new Map<string, string | null>();
  for (const { user, pseudo } of kept) {
    if (!user || !pseudo) continue;
    const seen = loggedInAs.get(pseudo);
    if (seen === undefined) loggedInAs.set(pseudo, user);
    else if (seen !== user) loggedInAs.set(pseudo, null); // a shared browser: keep its anonymous rows apart
  }
  const byUser = new Map<string, ShopEvent[]>();
  for (const { user, pseudo, event } of kept) {
    const key = user ? `u:${user}` : loggedInAs.get(pseudo!) ? `u:${loggedInAs.get(pseudo!)}` : `p:${pseudo}`;
    const list = byUser.get(key);
    if (list) list.push(event);
    else byUser.set(key, [event]);
  }
  const users = [...byUser.keys()];
  // interestRuns sorts stably by time: rows with the same timestamp keep their file order.
  const runs = users.map((u) => interestRuns(byUser.get(u)!, counted, resolve && ((id) => resolve(id)!)));
  const data = fromSequences(
    users.map((u) => u.slice(2)),
    runs.map((r) => r.map((run) => run.item)),
  );
  if (resolve) data.variants = runs.map((r) => r.map((run) => run.named));
  return data;
}
