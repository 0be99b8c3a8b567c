/**
 * A merchant's first training run, as docs/cli.md tells it: `edge-recs train` and `eval` run for real, as
 * child processes, on the shop's GA4 BigQuery export exactly as BigQuery wrote it (`test/fixtures/ga4-export/`:
 * gzipped daily shards of nested JSON, the flattened UNNEST(items) CSV, an uncompressed intraday table)
 * and its Merchant Center feed. Independent processes run two at a time (a 2-core machine).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../core/artifact/manifest.ts';
import { type ProcessRun, ROOT, runEdgeRecs } from '../test/support/cli.ts';

const fixtures = join(ROOT, 'test/fixtures/ga4-export');

const edgeRecs = (...args: string[]): Promise<ProcessRun> => runEdgeRecs(args, { timeoutMs: 90_000 });

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

const SMALL = ['--dim', '8', '--blocks', '1', '--max-len', '8', '--seed', '3'];

let dir: string;
let nested: ProcessRun;
let flat: ProcessRun;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-ga4-'));
  [nested, flat] = await Promise.all([
    edgeRecs('train', '--data', join(fixtures, 'shards'), '--catalog', join(fixtures, 'catalog.tsv'), '--out', join(dir, 'model'), '--report', join(dir, 'report.html'), '--epochs', '3', ...SMALL, '--json'),
    edgeRecs('train', '--data', join(fixtures, 'events_flat.csv'), '--out', join(dir, 'flat-model'), '--epochs', '3', ...SMALL, '--json'),
  ]);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Summary {
  data: {
    format: string;
    shapes: string[];
    files: number;
    rows: number;
    kept: number;
    skipped: Record<string, number>;
    from: string;
    users: number;
    items: number;
    interactions: number;
    catalog?: { learned: number; notInCatalog: { entries: number; top: Array<[string, number]> } };
  };
  baseline: { popularity: Record<string, number> };
}

describe('edge-recs train on a GA4 BigQuery export', () => {
  it('accepts the gzipped daily shards of nested JSON unchanged, and says what it read, kept and skipped', () => {
    expect(nested.code, nested.stderr).toBe(0);
    const summary = JSON.parse(nested.stdout) as Summary;
    expect(summary.data).toMatchObject({
      format: 'events',
      shapes: ['ga4-nested'],
      files: 3,
      rows: 698,
      kept: 226,
      skipped: { other_event: 412, not_counted: 53, no_user: 2, item_not_set: 2, not_in_catalog: 3 },
      from: '2026-03-01T08:27:11.800Z',
      users: 20,
      items: 14,
    });
    expect(summary.baseline.popularity['NDCG@10']).toBeGreaterThan(0);
  });

  it('accepts the flattened UNNEST(items) CSV unchanged, into the same users, items and interactions', () => {
    expect(flat.code, flat.stderr).toBe(0);
    const summary = JSON.parse(flat.stdout) as Summary;
    expect(summary.data).toMatchObject({
      shapes: ['ga4-flat'],
      rows: 418,
      kept: 233,
      skipped: { not_counted: 180, no_user: 2, item_not_set: 3 },
      from: '2026-03-01T08:27:11.800Z',
      users: 20,
      items: 21,
      interactions: 144,
    });
  });

  it('with --catalog, learns variant groups, leaves out products not in the feed and records how it read the data', async () => {
    const manifest = JSON.parse(await readFile(join(dir, 'model', 'manifest.json'), 'utf8')) as Manifest;
    const items = JSON.parse(await readFile(join(dir, 'model', 'items.json'), 'utf8')) as string[];
    expect(items).toHaveLength(14);
    expect(items).toContain('nw-jkt-rain');
    expect(items.some((id) => /^nw-jkt-rain-/.test(id) || id === 'nw-cap-old')).toBe(false);
    expect(manifest.training?.input).toEqual({ format: 'events', count: ['view_item', 'select_item', 'add_to_cart', 'purchase'], catalog: join(fixtures, 'catalog.tsv') });
    const summary = JSON.parse(nested.stdout) as Summary;
    expect(summary.data.catalog).toMatchObject({ learned: 14, notInCatalog: { entries: 3, top: [['nw-cap-old', 3]] } });
  });

  it('writes a report with the data summary, a popularity baseline row and sample recommendations with titles', async () => {
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    const table = (id: string): string => html.slice(html.indexOf(`<table id="${id}">`), html.indexOf('</table>', html.indexOf(`<table id="${id}">`)));
    expect(table('metrics')).toContain('<th>Popularity baseline, test</th>');
    const data = table('data');
    expect(data).toContain('<th>rows read</th><td>698</td>');
    expect(data).toContain('<th>rows skipped: without user_id or user_pseudo_id</th><td>2</td>');
    expect(data).toContain('<th>catalog coverage</th><td>14 of 14 groups have interactions (100%)</td>');
    expect(data).toContain('<code>nw-cap-old</code> 3');
    const samples = html.slice(html.indexOf('<div id="samples">'));
    expect(samples.match(/<div class="sample">/g)).toHaveLength(3);
    expect(samples.match(/<li[^>]*>/g)!.length).toBeGreaterThanOrEqual(3);
    expect(samples).toMatch(/(Storm rain jacket|Trail hiking boots|Wool hiking socks|Knit beanie|20 L day pack)[^<]* <code>nw-/);
  });
});

describe('edge-recs eval on an events-trained model', () => {
  it('reads new data as the model was trained (format and catalog from the model), with no flag', async () => {
    const run = await edgeRecs('eval', '--model', join(dir, 'model'), '--data', join(fixtures, 'events_intraday_20260304.json'), '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(JSON.parse(run.stdout) as object).sort()).toEqual(['baselines', 'items', 'metrics', 'protocol', 'users']);
    expect(JSON.parse(run.stdout)).toMatchObject({ users: 2, items: 14 });
    expect(run.stderr).toContain('52 rows read, 18 kept, 34 skipped');
    expect(run.stderr).toContain(`catalog: ${join(fixtures, 'catalog.tsv')}: 20 products in 14 groups`);
  });
});

describe('malformed rows', () => {
  let damaged: string;
  beforeAll(async () => {
    const lines = (await readFile(join(fixtures, 'events_intraday_20260304.json'), 'utf8')).trimEnd().split('\n');
    lines.splice(4, 0, '{"event_name":"view_item","event_timestamp":'); // line 5: cut short
    const view = lines.find((l) => l.includes('"event_name":"view_item"') && l.includes('"user_pseudo_id":"1'))!;
    lines.splice(11, 0, view.replace(/"event_timestamp":"\d+"/, '"event_timestamp":"soon"')); // line 12
    damaged = join(dir, 'events_intraday_damaged.json');
    await writeFile(damaged, `${lines.join('\n')}\n`);
  });

  it('are skipped and counted, the first ones named by file:line', async () => {
    const run = await edgeRecs('eval', '--model', join(dir, 'model'), '--data', damaged, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('54 rows read, 18 kept, 36 skipped');
    expect(run.stderr).toContain('skipped 2 malformed');
    expect(run.stderr).toContain(`${damaged}:5: not valid JSON`);
    expect(run.stderr).toContain(`${damaged}:12: event_timestamp must be`);
  });

  it('with --strict, fail the run on the first one, naming file:line, and write no model', async () => {
    const out = join(dir, 'strict-model');
    const [train, evaluate] = await Promise.all([
      edgeRecs('train', '--data', damaged, '--strict', '--out', out, ...SMALL, '--json'),
      edgeRecs('eval', '--model', join(dir, 'model'), '--data', damaged, '--strict', '--json'),
    ]);
    for (const run of [train, evaluate]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`edge-recs: ${damaged}:5: not valid JSON`);
      expect(run.stderr).not.toContain(':12:');
      expect(run.stdout).toBe('');
    }
    expect(await exists(out)).toBe(false);
  });
});

describe('training progress', () => {
  it('aims the ETA at the early-stopping horizon, not at --epochs', async () => {
    const run = await edgeRecs('train', '--data', join(fixtures, 'events_flat.csv'), '--out', join(dir, 'eta-model'), '--epochs', '40', '--patience', '1', ...SMALL);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split('\n').filter((l) => /^epoch \d+\//.test(l));
    // The first validation (epoch 5) sets the best; with --patience 1 the run ends at epoch 6 unless it improves.
    expect(lines[0]).toMatch(/^epoch 1\/6\+: loss [\d.]+, valid NDCG@10 - \([\d.]+ s; ETA \d+s\+\)$/);
    expect(run.stderr).not.toContain('/40');
    // The last line: the run ended, so no "+" (it can no longer move out) and no time left.
    const last = /^epoch (\d+)\/(\d+): .* ETA 0s\)$/.exec(lines.at(-1)!)!;
    expect(last, lines.at(-1)).not.toBeNull();
    expect(last[1]).toBe(last[2]);
    expect(Number(last[1])).toBe(lines.length);
    expect(Number(last[1])).toBeLessThan(40);
  });
});

describe('edge-recs simulate on a GA4 export', () => {
  it('reads the export like train does and reports what it read', async () => {
    const run = await edgeRecs(
      'simulate', '--data', join(fixtures, 'shards'), '--catalog', join(fixtures, 'catalog.tsv'),
      '--rounds', '1', '--cohort', '5', '--central-epochs', '1', '--dim', '8', '--blocks', '1', '--malicious', '0', '--noise', '1', '--max-rows', '16', '--negatives', '8', '--eval-users', '0', '--json', '--backend', 'cpu',
    );
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { setup: { data: Summary['data']; items: number } };
    expect(report.setup.data).toMatchObject({ shapes: ['ga4-nested'], rows: 698, kept: 226, users: 20, items: 14 });
    expect(run.stderr).toContain('698 rows read, 226 kept, 472 skipped');
  });
});
