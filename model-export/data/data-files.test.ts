/**
 * Which files `--data` reads, and the mix-ups a merchant makes with them: a Merchant Center feed given as
 * the events, and a stray file in the export folder. `readData` directly, and `edge-recs train` as a child
 * process for what the merchant reads on the terminal.
 */
import { copyFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runEdgeRecs } from '../../test/support/cli.ts';
import { DEFAULT_COUNT, describeData, parseCounted, readData } from './input.ts';
import { dataFiles, isCatalogHead } from './input-files.ts';

const fixtures = join(ROOT, 'test/fixtures/ga4-export');
const options = { format: 'auto' as const, counted: parseCounted(DEFAULT_COUNT), strict: false };

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-data-files-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a catalog given as --data', () => {
  it('is refused as a Merchant Center feed, naming the file and the flags to use (TSV, gzipped, CSV, XML)', async () => {
    const tsv = join(dir, 'feed.tsv');
    await writeFile(tsv, 'id\ttitle\tlink\tprice\tavailability\nsku-1\tRain jacket\thttps://shop.example/p/1\t$75.00\tin stock\n');
    const gz = join(dir, 'feed.txt.gz');
    await writeFile(gz, gzipSync('\uFEFF"id","title","description","image link","price"\n"sku-1","Rain jacket","","https://shop.example/1.jpg","75.00 USD"\n'));
    const xml = join(dir, 'feed.xml');
    await writeFile(xml, '<?xml version="1.0"?>\n<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0"><channel></channel></rss>\n');
    for (const file of [tsv, gz, xml]) {
      await expect(readData(file, options)).rejects.toMatchObject({
        message: `${file}: this looks like a Merchant Center feed (a product catalog, not events); pass it as --catalog, and the events as --data`,
        exitCode: 2,
      });
    }
  });

  it('is told apart from event logs: GA4 exports, the simple log and S3-Rec lines', () => {
    expect(isCatalogHead('id\titem_group_id\ttitle\tdescription\tlink\timage_link\tavailability\tprice')).toBe(true);
    expect(isCatalogHead('{"updatedAt":"2026-03-01T00:00:00Z","products":[{"id":"a"}]}')).toBe(true);
    for (const line of [
      'event_date,event_timestamp,event_name,user_pseudo_id,user_id,items.item_id,items.item_name,items.price,items.quantity',
      'client_id,timestamp,event_name,item_id,item_category,price,quantity',
      '{"event_date":"20260301","event_timestamp":"1772353631800000","event_name":"view_item","items":[{"item_id":"a","item_name":"title"}]}',
      '1 2 3 4',
    ]) {
      expect(isCatalogHead(line), line).toBe(false);
    }
  });

  it('edge-recs train --data feed.tsv says to pass it as --catalog (exit 2)', { timeout: 60_000 }, async () => {
    const run = await runEdgeRecs(['train', '--data', join(fixtures, 'catalog.tsv'), '--out', join(dir, 'never')], { timeoutMs: 60_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${join(fixtures, 'catalog.tsv')}: this looks like a Merchant Center feed (a product catalog, not events); pass it as --catalog, and the events as --data`);
  });
});

describe('a directory as --data', () => {
  let exportDir: string;

  beforeAll(async () => {
    exportDir = join(dir, 'export');
    await cp(join(fixtures, 'shards'), exportDir, { recursive: true });
    await writeFile(join(exportDir, 'notes.txt'), 'Exported from BigQuery on 2026-03-05.\nAsk Anna about consent mode before the next run.\n');
    await writeFile(join(exportDir, '_SUCCESS'), '');
    await writeFile(join(exportDir, '.DS_Store'), 'x');
  });

  it('reads only files named like data, and lists the others in the summary', async () => {
    const { summary } = await readData(exportDir, options);
    expect(summary.files).toBe(3);
    expect(summary.rows).toBe(698);
    expect(summary.skipped.malformed).toBeUndefined();
    expect(summary.skippedFiles).toEqual(['_SUCCESS', 'notes.txt']);
    expect(describeData(summary)[1]).toBe('  not read: 2 files not named like data (*.json, *.jsonl, *.ndjson, *.csv, *.tsv, *.gz, BigQuery shards): _SUCCESS, notes.txt');
  });

  it('reads .json, .jsonl, .ndjson, .csv, .tsv, each gzipped too, and BigQuery table and shard names without an extension', async () => {
    const names = ['a.json', 'b.jsonl', 'c.NDJSON', 'd.csv', 'e.tsv', 'f.json.gz', 'g.csv.gz', 'events_20260301', 'events_intraday_20260304', 'events_20260301-000000000001', '000000000002.gz', 'h.txt', 'i.json.bak', 'j.parquet', 'events_2026'];
    const shapes = join(dir, 'shapes');
    await cp(join(fixtures, 'shards'), shapes, { recursive: true });
    for (const name of names) await writeFile(join(shapes, name), '');
    const { files, skipped } = await dataFiles(shapes);
    expect(files.map((f) => f.slice(shapes.length + 1))).toEqual(
      ['000000000002.gz', 'a.json', 'b.jsonl', 'c.NDJSON', 'd.csv', 'e.tsv', 'events_20260301', 'events_20260301-000000000001', 'events_20260301.json.gz', 'events_20260302.json.gz', 'events_20260303.json.gz', 'events_intraday_20260304', 'f.json.gz', 'g.csv.gz'],
    );
    expect(skipped).toEqual(['events_2026', 'h.txt', 'i.json.bak', 'j.parquet']);
  });

  it('names what it holds when no file in it looks like data', async () => {
    const notes = join(dir, 'notes-only');
    await mkdir(notes);
    await copyFile(join(exportDir, 'notes.txt'), join(notes, 'notes.txt'));
    await expect(dataFiles(notes)).rejects.toThrow(`${notes}: the directory holds no data files (it holds notes.txt); data files are named *.json, *.jsonl, *.ndjson, *.csv or *.tsv (gzip: *.gz too), or as BigQuery names its tables and shards`);
  });

  it('edge-recs train prints the files it did not read, and --json carries them', { timeout: 120_000 }, async () => {
    const args = ['train', '--data', exportDir, '--epochs', '1', '--dim', '8', '--blocks', '1', '--max-len', '8', '--seed', '3'];
    const [text, json] = await Promise.all([
      runEdgeRecs([...args, '--out', join(dir, 'model-text')], { timeoutMs: 120_000 }),
      runEdgeRecs([...args, '--out', join(dir, 'model-json'), '--json'], { timeoutMs: 120_000 }),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toContain('  not read: 2 files not named like data (*.json, *.jsonl, *.ndjson, *.csv, *.tsv, *.gz, BigQuery shards): _SUCCESS, notes.txt');
    expect(text.stderr).toMatch(/, 3 files\): 698 rows read/);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { data: { skippedFiles: string[]; files: number } }).data).toMatchObject({ skippedFiles: ['_SUCCESS', 'notes.txt'], files: 3 });
  });
});
