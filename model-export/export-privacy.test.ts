/**
 * An exported artifact's manifest is public (every shopper's browser downloads it), so `edge-recs export`
 * publishes no local file path of the training run: `train`, `export` and `eval` run for real as child
 * processes on the GA4 export fixture and its Merchant Center feed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../core/artifact/manifest.ts';
import { publicTraining } from './data/input.ts';
import { type ProcessRun, ROOT, runEdgeRecs } from '../test/support/cli.ts';

// Relative to the working directory, as a merchant types them.
const data = 'test/fixtures/ga4-export/shards';
const catalog = 'test/fixtures/ga4-export/catalog.tsv';

const edgeRecs = (...args: string[]): Promise<ProcessRun> => runEdgeRecs(args, { timeoutMs: 90_000 });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-export-'));
  const train = await edgeRecs('train', '--data', data, '--catalog', catalog, '--out', join(dir, 'model'), '--epochs', '1', '--dim', '8', '--blocks', '1', '--max-len', '8', '--json');
  expect(train.code, train.stderr).toBe(0);
  const exported = await edgeRecs('export', '--model', join(dir, 'model'), '--quantize', 'float32', '--out', join(dir, 'artifact'));
  expect(exported.code, exported.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const manifestOf = async (path: string): Promise<{ text: string; manifest: Manifest }> => {
  const text = await readFile(join(path, 'manifest.json'), 'utf8');
  return { text, manifest: JSON.parse(text) as Manifest };
};

describe('edge-recs export', { timeout: 120_000 }, () => {
  it('publishes no local path: the data, the catalog file and the directories are not in the manifest', async () => {
    const local = await manifestOf(join(dir, 'model'));
    // The trained model, which stays on the trainer's machine, keeps them for eval's defaults.
    expect(local.manifest.training).toMatchObject({ data, input: { format: 'events', catalog } });
    const { text, manifest } = await manifestOf(join(dir, 'artifact'));
    for (const path of [data, catalog, 'ga4-export', dir, ROOT, tmpdir()]) expect(text).not.toContain(path);
    expect(manifest.training).toMatchObject({ input: { format: 'events', count: ['view_item', 'select_item', 'add_to_cart', 'purchase'], catalog: true } });
    expect(manifest.training).not.toHaveProperty('data');
    expect(manifest.training).toHaveProperty('test');
  });

  it('eval of the exported artifact asks for --catalog, and with it gives the trained model\'s metrics', async () => {
    const [missing, exported, trained] = await Promise.all([
      edgeRecs('eval', '--model', join(dir, 'artifact'), '--data', data, '--backend', 'cpu', '--json'),
      edgeRecs('eval', '--model', join(dir, 'artifact'), '--data', data, '--catalog', catalog, '--backend', 'cpu', '--json'),
      edgeRecs('eval', '--model', join(dir, 'model'), '--data', data, '--backend', 'cpu', '--json'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'artifact')} was trained with --catalog, and an exported artifact does not name the file (its manifest is public); pass --catalog FILE`);
    expect(exported.code, exported.stderr).toBe(0);
    expect(trained.code, trained.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual(JSON.parse(trained.stdout));
  });
});

describe('publicTraining', () => {
  it('keeps settings, metrics and how data was read, and drops paths and unknown fields', () => {
    const record = { data: '/home/me/ga4/', input: { format: 'events', count: ['purchase'], catalog: '/home/me/feed.tsv' }, seed: 1, test: { 'NDCG@10': 0.1 }, note: '/home/me' };
    expect(publicTraining(record)).toEqual({ input: { format: 'events', count: ['purchase'], catalog: true }, seed: 1, test: { 'NDCG@10': 0.1 } });
    expect(publicTraining({ importedFrom: '/home/me/sasrec.safetensors', mapping: 'pmixer/SASRec.pytorch' })).toEqual({ mapping: 'pmixer/SASRec.pytorch' });
    expect(publicTraining({ input: { format: 's3rec' } })).toEqual({ input: { format: 's3rec' } });
    expect(publicTraining(undefined)).toBeUndefined();
  });
});
