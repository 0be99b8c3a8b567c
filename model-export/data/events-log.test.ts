/**
 * Reading event logs in every shape the CLI accepts, on the GA4 BigQuery export fixtures
 * (`test/fixtures/ga4-export/`, see its README) and on small logs written here. The counts asserted are the
 * fixture's, counted from its generator's story, not recomputed with the reader's logic.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '../../core/errors.ts';
import { INTEREST_EVENTS } from '../../core/events.ts';
import { readCatalogFile } from './catalog-file.ts';
import type { Dataset } from './dataset.ts';
import { toMillis } from './events-log.ts';
import { inputRecordOf, readData, type InputOptions } from './input.ts';

const fixtures = fileURLToPath(new URL('../../test/fixtures/ga4-export', import.meta.url));
const fixture = (name: string): string => join(fixtures, name);
const options = (extra: Partial<InputOptions> = {}): InputOptions => ({ format: 'auto', counted: INTEREST_EVENTS, strict: false, ...extra });

/** The fixture's shoppers: GA4's per-browser id of shopper `u`. */
const pseudo = (u: number): string => `${1_000_000_000 + u * 7_919_113}.${1772348400 + u * 600}`;
const history = (data: Dataset, user: string): string[] => data.sequences[data.users.indexOf(user)]!.map((i) => data.itemIds[i - 1]!);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-events-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('toMillis', () => {
  it.each([
    [1772352000, 1772352000_000],
    ['1772352000123', 1772352000123],
    ['1772352000123456', 1772352000123.456],
    [1772352000123456, 1772352000123.456],
    ['2026-03-01T08:00:00Z', Date.UTC(2026, 2, 1, 8)],
    ['2026-03-01 08:00:00.000250 UTC', Date.UTC(2026, 2, 1, 8) + 0.25],
    ['2026-03-01 08:00:00', Date.UTC(2026, 2, 1, 8)],
    ['2026-03-01T09:00:00+01:00', Date.UTC(2026, 2, 1, 8)],
  ])('reads %j as %d ms (GA4 microseconds keep their fraction)', (value, ms) => {
    expect(toMillis(value)).toBeCloseTo(ms, 6);
  });

  it.each([['yesterday'], [''], [null], [{}], [Number.NaN]])('refuses %j', (value) => {
    expect(toMillis(value)).toBeUndefined();
  });
});

describe('the GA4 BigQuery export, as written', () => {
  it('reads a directory of gzipped daily shards of nested JSON, counting every skipped row by reason', async () => {
    const { data, summary } = await readData(fixture('shards'), options());
    expect(summary).toMatchObject({
      format: 'events',
      files: 3,
      shapes: ['ga4-nested'],
      rows: 698,
      kept: 229,
      skipped: { other_event: 412, not_counted: 53, no_user: 2, item_not_set: 2 },
      skippedEvents: { page_view: 165, user_engagement: 124, session_start: 41, view_item_list: 41, scroll: 38, view_promotion: 24, first_visit: 20, begin_checkout: 12 },
      itemsDropped: { not_set: 1, not_in_catalog: 0 },
      examples: [],
      users: 20,
      evaluable: 20,
      items: 21,
      interactions: 144,
    });
    expect(Object.values(summary.skipped).reduce((a, b) => a + b, 0) + summary.kept).toBe(summary.rows);
    expect(data.users).toHaveLength(20);
  });

  it('reads event_timestamp as microseconds: the data spans the three export days, not the year 58,000', async () => {
    const { summary } = await readData(fixture('shards'), options());
    expect(summary.from).toBe('2026-03-01T08:27:11.800Z');
    expect(summary.to).toBe('2026-03-03T19:57:12.938Z');
  });

  it('orders events by their microseconds, whatever order the export wrote them in', async () => {
    // Shopper 7 viewed wool socks 800 µs before merino socks, in the same millisecond; the export holds
    // the merino row first. Rows of a day are in no particular order throughout the fixture.
    const { data } = await readData(fixture('shards'), options());
    const seq = history(data, pseudo(7));
    expect(seq.slice(1, 3)).toEqual(['nw-sock-wool', 'nw-sock-merino']);
  });

  it('identifies a shopper by user_id, and joins the browsing before the login to it', async () => {
    const { data } = await readData(fixture('shards'), options());
    // Shopper 5 browsed anonymously on day 1 and logged in as cust-1005 on day 2, same browser.
    expect(data.users).toContain('cust-1005');
    expect(data.users).not.toContain(pseudo(5));
    const seq = history(data, 'cust-1005');
    expect(seq).toHaveLength(10);
    expect(seq[0]).toBe('nw-sock-merino');
  });

  it('reads the flattened UNNEST(items) CSV into the same histories as the nested export', async () => {
    const [nested, flat] = await Promise.all([readData(fixture('shards'), options()), readData(fixture('events_flat.csv'), options())]);
    expect(flat.summary).toMatchObject({
      files: 1,
      shapes: ['ga4-flat'],
      rows: 418,
      kept: 233,
      skipped: { not_counted: 180, no_user: 2, item_not_set: 3 },
      skippedEvents: { view_item_list: 164, begin_checkout: 16 },
      from: nested.summary.from,
      to: nested.summary.to,
    });
    expect(flat.data).toEqual(nested.data);
  });

  it('reads an uncompressed export file that writes its NULLs out', async () => {
    const { summary } = await readData(fixture('events_intraday_20260304.json'), options());
    expect(summary).toMatchObject({
      shapes: ['ga4-nested'],
      rows: 52,
      kept: 18,
      skipped: { other_event: 27, not_counted: 5, no_user: 1, item_not_set: 1 },
      users: 3,
      evaluable: 2,
    });
  });

  it('with a catalog, learns variant groups and leaves out (and counts) products the catalog lacks', async () => {
    const catalog = await readCatalogFile(fixture('catalog.tsv'));
    const { data, summary } = await readData(fixture('shards'), options({ catalog }));
    expect(data.itemIds).toContain('nw-jkt-rain');
    expect(data.itemIds.filter((id) => id.startsWith('nw-jkt-rain'))).toEqual(['nw-jkt-rain']);
    expect(data.itemIds).not.toContain('nw-cap-old');
    expect(data.itemIds).toHaveLength(14);
    expect(summary.skipped.not_in_catalog).toBe(3);
    expect(summary.catalog).toEqual({
      file: fixture('catalog.tsv'),
      products: 20,
      groups: 14,
      learned: 14,
      notInCatalog: { ids: 1, entries: 3, top: [['nw-cap-old', 3]] },
    });
  });

  it('with a catalog, keeps the size each history item was named by (the newest of a run of its group)', async () => {
    const catalog = await readCatalogFile(fixture('catalog.tsv'));
    const { data } = await readData(fixture('shards'), options({ catalog }));
    const u = data.users.indexOf('cust-1005');
    const named = data.variants![u]!;
    expect(named).toHaveLength(data.sequences[u]!.length);
    expect(named[history(data, 'cust-1005').indexOf('nw-jkt-rain')]).toBe('nw-jkt-rain-l');
    // Every named id is a product of the item's group.
    data.sequences.forEach((seq, v) => seq.forEach((i, j) => expect(catalog.groups.keyOf(data.variants![v]![j]!)).toBe(data.itemIds[i - 1])));
    // Without a catalog, items are the ids as named: nothing to keep.
    expect((await readData(fixture('shards'), options())).data.variants).toBeUndefined();
    // S3-Rec lines too.
    const lines = join(dir, 'sizes.txt');
    await writeFile(lines, 'u1 nw-jkt-rain-l nw-jkt-rain-m nw-cap-old nw-boot-city-43\n');
    const s3rec = (await readData(lines, options({ format: 's3rec', catalog }))).data;
    expect(history(s3rec, 'u1')).toEqual(['nw-jkt-rain', 'nw-boot-city']);
    expect(s3rec.variants).toEqual([['nw-jkt-rain-m', 'nw-boot-city-43']]);
  });

  it('counts only the events --count names', async () => {
    const { summary } = await readData(fixture('shards'), options({ counted: ['add_to_cart', 'purchase'] }));
    expect(summary.skippedEvents.view_item).toBeGreaterThan(0);
    expect(summary.skippedEvents.select_item).toBeGreaterThan(0);
    expect(summary.skippedEvents.add_to_cart).toBeUndefined();
  });
});

describe('malformed rows', () => {
  /** The intraday fixture with three bad lines put in at lines 3, 10 and 20. */
  async function damaged(): Promise<string> {
    const lines = (await readFile(fixture('events_intraday_20260304.json'), 'utf8')).trimEnd().split('\n');
    const row = JSON.parse(lines.find((l) => l.includes('"event_name":"view_item"'))!) as Record<string, unknown>;
    lines.splice(2, 0, '{"event_date":"20260304","event_timestamp":"17726'); // cut short
    lines.splice(9, 0, JSON.stringify({ ...row, event_timestamp: 'yesterday' }));
    lines.splice(19, 0, JSON.stringify({ ...row, items: [{ item_id: 'bad\u0000id', price: 10 }] }));
    const file = join(dir, 'damaged.json.gz');
    await writeFile(file, gzipSync(`${lines.join('\n')}\n`));
    return file;
  }

  it('skips and counts them, naming file and line of the first few', async () => {
    const file = await damaged();
    const { summary } = await readData(file, options());
    expect(summary.rows).toBe(55);
    expect(summary.kept).toBe(18);
    expect(summary.skipped.malformed).toBe(3);
    expect(summary.examples).toEqual([
      `${file}:3: not valid JSON`,
      `${file}:10: event_timestamp must be GA4 microseconds, Unix seconds/milliseconds or ISO-8601 (got "yesterday")`,
      expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:20: view_item\\.items\\[0\\]\\.item_id must be`)),
    ]);
  });

  it('with strict, fails on the first one, naming its file and line', async () => {
    const file = await damaged();
    const error = await readData(file, options({ strict: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).message).toBe(`${file}:3: not valid JSON`);
  });

  it('refuses a CSV row whose field count differs from the header, naming its line', async () => {
    const file = join(dir, 'short.csv');
    await writeFile(file, 'client_id,timestamp,event_name,item_id\nc1,1772352000,view_item,a\nc1,1772352001,view_item\nc1,1772352002,view_item,b\n');
    const { summary } = await readData(file, options());
    expect(summary.skipped).toEqual({ malformed: 1 });
    expect(summary.examples).toEqual([`${file}:3: has 3 fields, the header has 4`]);
  });

  it('names the data when no row is kept at all', async () => {
    const file = join(dir, 'pageviews.json');
    await writeFile(file, '{"event_name":"page_view","event_timestamp":"1772352000000000","user_pseudo_id":"1.2"}\n');
    await expect(readData(file, options())).rejects.toThrow(`${file}: no event kept of 1 rows (skipped: 1 other_event)`);
  });
});

describe('other shapes', () => {
  it('still reads the simple CSV log, and tells it from S3-Rec lines without --format', async () => {
    const csv = join(dir, 'simple.csv');
    await writeFile(csv, 'client_id,timestamp,event_name,item_id,item_category,price,quantity\nc-1,2026-03-01T10:00:00Z,view_item,a,Skin,9.5,1\nc-1,2026-03-01T10:01:00Z,add_to_cart,b,,,\nc-2,1772359200,view_item,a,,,\n');
    const { data, summary } = await readData(csv, options());
    expect(summary).toMatchObject({ format: 'events', shapes: ['simple-csv'], rows: 3, kept: 3, skipped: {} });
    expect(history(data, 'c-1')).toEqual(['a', 'b']);
    const s3rec = join(dir, 'lines.txt');
    await writeFile(s3rec, 'u1 1 2 3\nu2 2 3\n');
    expect((await readData(s3rec, options())).summary).toMatchObject({ format: 's3rec', rows: 2, users: 2, items: 3 });
  });

  it('reads JSON lines with a GA4 items array and the legacy name/clientId fields', async () => {
    const file = join(dir, 'simple.jsonl');
    await writeFile(file, '{"clientId":"c1","timestamp":1772352000000,"name":"view_item","items":[{"item_id":"a"},{"item_id":"b"}]}\n{"client_id":"c1","timestamp":"2026-03-01T09:00:00Z","event_name":"purchase","item_id":"c"}\n');
    const { data, summary } = await readData(file, options());
    expect(summary.shapes).toEqual(['simple-json']);
    expect(history(data, 'c1')).toEqual(['a', 'b', 'c']);
  });

  it('reads flattened exports with dotted or prefixed headers, tab-separated too', async () => {
    const file = join(dir, 'dotted.tsv');
    const rows = [
      ['user_pseudo_id', 'event_timestamp', 'event_name', 'item.item_id', 'items.price', 'item_quantity'],
      ['9.1', '1772352000000001', 'view_item', 'a', '10', ''],
      ['9.1', '1772352000000002', 'view_item', '(not set)', '', ''],
      ['9.1', '2026-03-01 08:00:01.5 UTC', 'add_to_cart', 'b', '10', '2'],
    ];
    await writeFile(file, `${rows.map((r) => r.join('\t')).join('\n')}\n`);
    const { data, summary } = await readData(file, options());
    expect(summary).toMatchObject({ shapes: ['ga4-flat'], kept: 2, skipped: { item_not_set: 1 } });
    expect(history(data, '9.1')).toEqual(['a', 'b']);
  });

  it('refuses an unknown --format, listing the valid ones', async () => {
    await expect(readData(fixture('shards'), options({ format: 'csv' as never }))).rejects.toThrow('--format must be one of s3rec, events, auto (got "csv")');
  });
});

describe('inputRecordOf', () => {
  it('reads what train recorded and ignores what it does not know', () => {
    expect(inputRecordOf({ input: { format: 'events', count: ['view_item'], catalog: '/x/feed.tsv' } })).toEqual({ format: 'events', count: ['view_item'], catalog: '/x/feed.tsv' });
    expect(inputRecordOf({ input: { format: 'parquet', count: ['page_view'] } })).toEqual({});
    expect(inputRecordOf(undefined)).toEqual({});
  });
});
