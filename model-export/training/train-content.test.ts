/**
 * `edge-recs train` with content features (`--attributes`, `--catalog`, `--no-features`) and a cold
 * split (`--cold-items`): the bin script run for real on a tiny S3-Rec file, and its input errors.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../core/artifact/manifest.ts';
import { runEdgeRecs, type ProcessRun } from '../../test/support/cli.ts';

const edgeRecs = (...args: string[]): Promise<ProcessRun> => runEdgeRecs(args, { timeoutMs: 60_000 });
const TINY = ['--epochs', '2', '--dim', '8', '--blocks', '1', '--max-len', '5', '--seed', '3', '--json'];

let dir: string;
let data: string;
let attributes: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-content-'));
  data = join(dir, 'ring.txt');
  attributes = join(dir, 'ring.attributes.json');
  // 60 users walking a ring of 20 items; item i's attributes: its quarter of the ring, and its parity.
  const lines = Array.from({ length: 60 }, (_, u) => `user${u} ${Array.from({ length: 6 + (u % 5) }, (_, j) => ((u + j) % 20) + 1).join(' ')}`);
  await writeFile(data, `${lines.join('\n')}\n`);
  await writeFile(attributes, JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [String(i + 1), [Math.floor(i / 5), 10 + (i % 2)]]))));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('edge-recs train --attributes --cold-items', () => {
  let run: ProcessRun;
  let idOnly: ProcessRun;
  beforeAll(async () => {
    [run, idOnly] = await Promise.all([
      edgeRecs('train', '--data', data, '--attributes', attributes, '--cold-items', '0.2', '--out', join(dir, 'model'), ...TINY),
      edgeRecs('train', '--data', data, '--attributes', attributes, '--no-features', '--cold-items', '0.2', '--out', join(dir, 'id-only'), ...TINY),
    ]);
  }, 60_000);

  it('trains a model with the attributes as content features, and records the held-out items and how they were drawn', async () => {
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { config: { numItems: number; numFeatures: number }; content: Record<string, unknown> };
    expect(out.config).toMatchObject({ numItems: 20, numFeatures: 6 });
    expect(out.content).toEqual({ features: 6, idDropout: 0.5, cold: { fraction: 0.2, seed: 3, items: 4 }, featureItems: 20 });
    const manifest = JSON.parse(await readFile(join(dir, 'model', 'manifest.json'), 'utf8')) as Manifest & { training: Record<string, unknown> };
    expect(manifest.config).toMatchObject({ numItems: 20, numFeatures: 6 });
    expect(manifest.training).toMatchObject({ input: { format: 's3rec', attributes }, content: { features: 6, idDropout: 0.5, cold: { fraction: 0.2, seed: 3, items: 4 } } });
  });

  it('reports warm and cold users apart, for the model and both baselines on the same users, as eval does', () => {
    type G = { users: number; 'NDCG@10': number; 'HR@10': number };
    const out = JSON.parse(run.stdout) as { test: Omit<G, 'users'>; groups: Record<string, { warm: G; cold: G }>; baseline: Record<string, unknown> };
    expect(Object.keys(out.groups)).toEqual(['model', 'popularity', 'attribute-similarity']);
    const { warm, cold } = out.groups.model!;
    expect(cold.users).toBeGreaterThan(0);
    for (const g of Object.values(out.groups)) expect([g.warm.users, g.cold.users]).toEqual([warm.users, cold.users]);
    // Overall NDCG is the users' mean: the groups' weighted mean.
    expect((warm['NDCG@10'] * warm.users + cold['NDCG@10'] * cold.users) / (warm.users + cold.users)).toBeCloseTo(out.test['NDCG@10'], 6);
    expect(Object.keys(out.baseline)).toEqual(['popularity', 'attribute-similarity']);
    // The id-only model has no features for the baseline's vocabulary: popularity alone.
    expect(Object.keys((JSON.parse(idOnly.stdout) as { groups: object }).groups)).toEqual(['model', 'popularity']);
  });

  it('with --no-features, trains an id-only model on the same cold split', () => {
    expect(idOnly.code, idOnly.stderr).toBe(0);
    const out = JSON.parse(idOnly.stdout) as { config: Record<string, unknown>; content: Record<string, unknown> };
    expect(out.config.numFeatures).toBeUndefined();
    expect(out.content).toEqual({ features: 0, cold: { fraction: 0.2, seed: 3, items: 4 } });
  });
});

describe('edge-recs train: bad content inputs', () => {
  it('names the attributes file and the entry at fault', async () => {
    const bad = join(dir, 'bad.attributes.json');
    await writeFile(bad, '{"1": [0, 1], "2": "brand"}');
    const r = await edgeRecs('train', '--data', data, '--attributes', bad, '--out', join(dir, 'bad'), ...TINY);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`edge-recs: ${bad}: item "2" must map to a list of non-negative integer attribute ids`);
  });

  it('refuses the attributes file of other data', async () => {
    const other = join(dir, 'other.attributes.json');
    await writeFile(other, '{"B0001": [1], "B0002": [1]}');
    const r = await edgeRecs('train', '--data', data, '--attributes', other, '--out', join(dir, 'other'), ...TINY);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/none of its 2 item ids is an item of the data/);
  });

  it('refuses a cold fraction outside (0, 1) as a usage error', async () => {
    const r = await edgeRecs('train', '--data', data, '--cold-items', '1', '--out', join(dir, 'cold'), ...TINY);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--cold-items must be a number above 0 and below 1 (got "1")');
  });
});
