import { isRecord } from '../../core/errors.ts';
import { EVENT_NAMES, INTEREST_EVENTS, type EventName } from '../../core/events.ts';
import type { CatalogFile } from './catalog-file.ts';
import { fromSequences, parseS3Rec, split, type Dataset } from './dataset.ts';
import { CliError } from '../errors.ts';
import { readEventsLog, SHAPES, type EventsLogSummary, type SkipReason } from './events-log.ts';
import { dataFiles, firstLine, readText, refuseCatalogs } from './input-files.ts';

/**
 * `--format`: `s3rec` (`user item item ...` per line, the ../shared/datasets format), `events` (an event
 * log: GA4 BigQuery export, nested JSON or flattened CSV, or the simple CSV/JSON lines log), or `auto`
 * (the default): events when the data is a directory, JSON, or a CSV whose header names event columns,
 * else s3rec.
 */
export const FORMATS = ['s3rec', 'events', 'auto'] as const;
export type Format = (typeof FORMATS)[number];

export interface InputOptions {
  format: Format;
  /** Event names that count as interactions (events only). */
  counted: readonly EventName[];
  /** Fail on the first malformed row instead of skipping it (events only). */
  strict: boolean;
  /** Keep only the catalog's products, each learned as its variant group. */
  catalog?: CatalogFile;
}

/**
 * `--count`: which event names count as interactions (events only).
 * @example parseCounted('view_item,add_to_cart,purchase')
 */
export function parseCounted(value: string): EventName[] {
  const names = value.split(',').map((n) => n.trim()).filter(Boolean);
  const bad = names.filter((n) => !EVENT_NAMES.includes(n as EventName));
  if (names.length === 0 || bad.length > 0) {
    throw new CliError(`--count must list event names from ${EVENT_NAMES.join(', ')} (got "${value}")`, 2);
  }
  return names as EventName[];
}

/** `--count`'s default: views, selects, add-to-carts and purchases. */
export const DEFAULT_COUNT = INTEREST_EVENTS.join(',');

/**
 * How a model's training data was read, kept in its manifest as `training.input` so that `eval` reads
 * data the same way by default (the same format, counted events and catalog).
 */
export interface InputRecord {
  format: 's3rec' | 'events';
  /** Events only. */
  count?: EventName[];
  /**
   * The `--catalog` file the model's items were restricted to; `true` in an exported artifact, whose
   * public manifest names no local file (`publicTraining`), so `eval` asks for `--catalog`.
   */
  catalog?: string | true;
  /** The `--attributes` file the model's content features came from; `true` in an exported artifact, as `catalog`. */
  attributes?: string | true;
}

/** The input record of a manifest's `training` object; empty for models made before it was recorded. */
export function inputRecordOf(training: unknown): Partial<InputRecord> {
  const input = isRecord(training) && isRecord(training.input) ? training.input : {};
  const out: Partial<InputRecord> = {};
  if (input.format === 's3rec' || input.format === 'events') out.format = input.format;
  if (Array.isArray(input.count) && input.count.every((n) => EVENT_NAMES.includes(n as EventName))) out.count = input.count as EventName[];
  if (typeof input.catalog === 'string' || input.catalog === true) out.catalog = input.catalog;
  if (typeof input.attributes === 'string' || input.attributes === true) out.attributes = input.attributes;
  return out;
}

/** What an exported artifact keeps of the training record besides `input`: settings and metrics. */
const PUBLIC_TRAINING = ['seed', 'bestEpoch', 'valid', 'test', 'baseline', 'seconds', 'history', 'mapping', 'content'] as const;

/**
 * The part of a model's `training` record that `export` publishes. An exported manifest is public (every
 * shopper's browser downloads it), so no local file path goes in: not `data`, not the `--catalog` file
 * (`input.catalog` becomes `true`), not `importedFrom`. What `eval` needs stays: the format and the
 * counted events. Only the keys listed here are kept, so a field added to the record later is not
 * published by accident.
 */
export function publicTraining(training: unknown): Record<string, unknown> | undefined {
  if (!isRecord(training)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of PUBLIC_TRAINING) if (training[key] !== undefined) out[key] = training[key];
  const { format, count, catalog, attributes } = inputRecordOf(training);
  if (format) {
    out.input = { format, ...(count && { count }), ...(catalog !== undefined && { catalog: true }), ...(attributes !== undefined && { attributes: true }) } satisfies InputRecord;
  }
  return out;
}

/** What a catalog covered of the data. */
export interface CatalogCoverage {
  file: string;
  products: number;
  /** Variant groups (`item_group_id`), i.e. what the model can learn. */
  groups: number;
  /** Groups with at least one interaction in the data: the model's items. */
  learned: number;
  /** Item entries in the data whose id is not in the catalog, left out. */
  notInCatalog: { ids: number; entries: number; top: Array<[id: string, entries: number]> };
}

/** What reading the data did, for the console, `--json` and the report. */
export interface DataSummary extends Omit<EventsLogSummary, 'notInCatalog'> {
  data: string;
  format: 's3rec' | 'events';
  users: number;
  /** Users with the three interactions leave-one-out needs (train, validation, test). */
  evaluable: number;
  items: number;
  /** Items in all histories (consecutive repeats of an item count once). */
  interactions: number;
  /** Files of a `--data` directory not read, not named like data (`notes.txt`); by name. */
  skippedFiles: string[];
  catalog?: CatalogCoverage;
}

/** Header columns that mark a CSV as an event log rather than S3-Rec lines. */
const EVENT_COLUMNS = /(^|[,;\t"'])\s*(event_name|event_timestamp|user_pseudo_id|client_id|item_id|timestamp)\s*["']?\s*([,;\t]|$)/i;

async function detectFormat(files: readonly string[]): Promise<'s3rec' | 'events'> {
  if (files.length > 1) return 'events';
  const line = await firstLine(files[0]!);
  return /^[{[]/.test(line) || EVENT_COLUMNS.test(line) ? 'events' : 's3rec';
}

const NO_SKIPS = { not_set: 0, not_in_catalog: 0 };

/**
 * Reads `--data` (a file, gzipped or not, or a directory of daily shards) in `options.format`.
 * @throws CliError / ContractError naming the file and line at fault.
 */
export async function readData(path: string, options: InputOptions): Promise<{ data: Dataset; summary: DataSummary }> {
  if (!FORMATS.includes(options.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')} (got "${options.format}")`, 2);
  const { files, skipped: skippedFiles } = await dataFiles(path);
  await refuseCatalogs(files);
  const format = options.format === 'auto' ? await detectFormat(files) : options.format;
  const groups = options.catalog?.groups;
  let data: Dataset;
  let log: EventsLogSummary;
  if (format === 'events') {
    ({ data, summary: log } = await readEventsLog(files, { counted: options.counted, strict: options.strict, resolve: groups && ((id) => groups.keyOf(id)) }));
  } else {
    if (files.length > 1) throw new CliError(`${path}: --format s3rec reads one file, not a directory`, 2);
    const raw = parseS3Rec(await readText(files[0]!), files[0]!);
    const notInCatalog: Record<string, number> = {};
    data = groups ? restrict(raw, (id) => groups.keyOf(id), notInCatalog) : raw;
    const dropped = Object.values(notInCatalog).reduce((a, b) => a + b, 0);
    log = { files: 1, shapes: [], rows: raw.users.length, kept: raw.users.length, skipped: {}, skippedEvents: {}, itemsDropped: { ...NO_SKIPS, not_in_catalog: dropped }, notInCatalog, examples: [] };
  }
  const { notInCatalog, ...rest } = log;
  const summary: DataSummary = {
    data: path,
    format,
    ...rest,
    users: data.users.length,
    evaluable: data.sequences.filter((s) => split(s)).length,
    items: data.itemIds.length,
    interactions: data.sequences.reduce((n, s) => n + s.length, 0),
    skippedFiles,
  };
  if (options.catalog) {
    const ids = Object.entries(notInCatalog);
    summary.catalog = {
      file: options.catalog.file,
      products: options.catalog.catalog.products.length,
      groups: options.catalog.groups.groups.size,
      learned: data.itemIds.length,
      notInCatalog: { ids: ids.length, entries: ids.reduce((n, [, c]) => n + c, 0), top: ids.slice(0, 10) },
    };
  }
  return { data, summary };
}

/**
 * An S3-Rec dataset mapped through a catalog: ids to groups, unknown ids dropped (and counted), repeats
 * collapsed; `variants` keeps the id the data named for each (the newest of a run).
 */
function restrict(data: Dataset, keyOf: (id: string) => string | undefined, dropped: Record<string, number>): Dataset {
  const named: string[][] = [];
  const sequences = data.sequences.map((s) => {
    const out: string[] = [];
    const ids: string[] = [];
    for (const i of s) {
      const id = data.itemIds[i - 1]!;
      const key = keyOf(id);
      if (key === undefined) dropped[id] = (dropped[id] ?? 0) + 1;
      else if (out[out.length - 1] !== key) {
        out.push(key);
        ids.push(id);
      } else ids[ids.length - 1] = id;
    }
    named.push(ids);
    return out;
  });
  const sorted = Object.entries(dropped).sort((a, b) => b[1] - a[1]);
  for (const id of Object.keys(dropped)) delete dropped[id];
  for (const [id, n] of sorted) dropped[id] = n;
  const kept = (_: unknown, u: number): boolean => sequences[u]!.length > 0;
  const out = fromSequences(data.users.filter(kept), sequences.filter(kept));
  out.variants = named.filter(kept);
  return out;
}

const n = (x: number): string => x.toLocaleString('en');
const plural = (x: number, noun: string): string => `${n(x)} ${noun}${x === 1 ? '' : 's'}`;

const REASONS: Record<SkipReason, string> = {
  other_event: 'not e-commerce interactions',
  not_counted: 'not counted (--count)',
  no_user: 'without user_id or user_pseudo_id',
  no_items: 'without items',
  item_not_set: 'item_id "(not set)" or empty',
  not_in_catalog: 'only products not in the catalog',
  malformed: 'malformed',
};

/** The summary in words, a few lines for the console (stderr). */
export function describeData(s: DataSummary): string[] {
  const lines: string[] = [];
  const what = s.format === 's3rec' ? 'S3-Rec lines' : s.shapes.map((shape) => SHAPES[shape]).join(' + ') || 'event log';
  if (s.format === 's3rec') lines.push(`data: ${s.data} (${what}), ${n(s.rows)} users`);
  else {
    const skipped = Object.values(s.skipped).reduce((a, b) => a + b, 0);
    lines.push(`data: ${s.data} (${what}${s.files > 1 ? `, ${n(s.files)} files` : ''}): ${n(s.rows)} rows read, ${n(s.kept)} kept, ${n(skipped)} skipped`);
    const names = (vocabulary: boolean): string =>
      Object.entries(s.skippedEvents)
        .filter(([name]) => EVENT_NAMES.includes(name as EventName) === vocabulary)
        .slice(0, 6)
        .map(([name, count]) => `${name} ${n(count)}`)
        .join(', ');
    for (const [reason, count] of Object.entries(s.skipped) as Array<[SkipReason, number]>) {
      const detail = reason === 'other_event' ? ` (${names(false)}${Object.keys(s.skippedEvents).length > 6 ? ', …' : ''})` : reason === 'not_counted' ? ` (${names(true)})` : '';
      lines.push(`  skipped ${n(count)} ${REASONS[reason]}${detail}`);
    }
    for (const example of s.examples) lines.push(`    ${example}`);
    if (s.itemsDropped.not_set > 0) lines.push(`  and ${plural(s.itemsDropped.not_set, 'item')} with item_id "(not set)" dropped from rows kept for their other items`);
    if (s.from && s.to) lines.push(`  events from ${s.from} to ${s.to}`);
  }
  if (s.skippedFiles.length > 0) {
    const names = s.skippedFiles.slice(0, 5).join(', ') + (s.skippedFiles.length > 5 ? ', …' : '');
    lines.splice(1, 0, `  not read: ${plural(s.skippedFiles.length, 'file')} not named like data (*.json, *.jsonl, *.ndjson, *.csv, *.tsv, *.gz, BigQuery shards): ${names}`);
  }
  lines.push(`  ${n(s.users)} users (${n(s.evaluable)} with the 3 interactions evaluation needs), ${n(s.items)} items, ${n(s.interactions)} interactions`);
  if (s.catalog) {
    const c = s.catalog;
    lines.push(`catalog: ${c.file}: ${n(c.products)} products in ${n(c.groups)} groups; ${n(c.learned)} groups have interactions (${((100 * c.learned) / c.groups).toFixed(0)}%)`);
    if (c.notInCatalog.entries > 0) {
      const top = c.notInCatalog.top.slice(0, 5).map(([id, count]) => `${JSON.stringify(id)} ${n(count)}`).join(', ');
      lines.push(`warning: left out ${plural(c.notInCatalog.entries, 'item event')} on ${plural(c.notInCatalog.ids, 'product')} not in the catalog (${top}${c.notInCatalog.ids > 5 ? ', …' : ''})`);
    }
  } else {
    // The widget ranks a catalog's variant groups; it reads a model of variant ids through one variant
    // per group (`widget/ranking/model-items.ts`), which works, but learns each size from its own events only.
    lines.push(
      `note: without --catalog the model learns the ${n(s.items)} item ids as they are: products no longer sold stay in, and variants (sizes, colours) are learned apart while the widget shows one card per item_group_id; --catalog FEED trains on what the widget shows`,
    );
  }
  return lines;
}
