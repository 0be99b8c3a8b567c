/**
 * The chosen-next table: counted from the training data with the k threshold (unit), and recorded by
 * `edge-recs train`, carried by `export` into the signed artifact (the CLI run for real as a child process).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../core/artifact/manifest.ts';
import { parseNextSteps } from '../../core/artifact/next-steps.ts';
import { readArtifactDir, readKeyFile } from '../artifact/artifact-fs.ts';
import { fromSequences } from '../data/dataset.ts';
import { countNextSteps, NEXT_STEPS_DEFAULTS } from './next-steps.ts';
import { type ProcessRun, runEdgeRecs } from '../../test/support/cli.ts';

/** Users' histories as item ids, in a dataset as training reads it. */
const data = (histories: string[][]) => fromSequences(histories.map((_, i) => `u${i}`), histories);
const times = (n: number, history: string[]): string[][] => Array.from({ length: n }, () => history);
const table = (histories: string[][], options = {}) => Object.fromEntries(countNextSteps(data(histories), options).next);

describe('countNextSteps', () => {
  it('lists a pair chosen by k distinct users and leaves out one chosen by k - 1 (default k 5)', () => {
    expect(NEXT_STEPS_DEFAULTS.minUsers).toBe(5);
    const t = table([...times(5, ['a', 'b']), ...times(4, ['a', 'c'])]);
    expect(t).toEqual({ a: ['b'] });
    // Another k, through the same option `train --next-min-users` sets.
    expect(table([...times(3, ['a', 'b']), ...times(2, ['a', 'c'])], { minUsers: 3 })).toEqual({ a: ['b'] });
    expect(table([...times(3, ['a', 'b']), ...times(2, ['a', 'c'])], { minUsers: 2 })).toEqual({ a: ['b', 'c'] });
  });

  it('counts users, not times: one shopper going X -> Y again and again is one', () => {
    expect(table([['c', 'd', 'c', 'd', 'c', 'd', 'c', 'd', 'c', 'd', 'c', 'd']])).toEqual({});
    expect(table([...times(4, ['a', 'b']), ['a', 'b', 'a', 'b', 'a', 'b']])).toEqual({ a: ['b'] });
  });

  it('"next" is the next other product (window 1 by default); a wider window reaches further and skips repeats of X', () => {
    const histories = times(5, ['a', 'b', 'a', 'c']);
    expect(table(histories)).toEqual({ a: ['b', 'c'], b: ['a'] });
    expect(table(times(5, ['a', 'b', 'c']))).toEqual({ a: ['b'], b: ['c'] });
    expect(table(times(5, ['a', 'b', 'c']), { window: 2 })).toEqual({ a: ['b', 'c'], b: ['c'] });
    // A later event on X itself is no step away from X: the two steps after the first "a" are b and c.
    expect(table(times(5, ['a', 'b', 'a', 'c', 'd']), { window: 2 })).toEqual({ a: ['b', 'c', 'd'], b: ['a', 'c'], c: ['d'] });
  });

  it('keeps the perItem Ys of the most users, most first, ties in item order', () => {
    const histories = [...times(7, ['x', 'c']), ...times(5, ['x', 'a']), ...times(5, ['x', 'b']), ...times(6, ['x', 'd'])];
    expect(table(histories)).toEqual({ x: ['c', 'd', 'a', 'b'] });
    expect(table(histories, { perItem: 2 })).toEqual({ x: ['c', 'd'] });
  });
});


const edgeRecs = (...args: string[]): Promise<ProcessRun> => runEdgeRecs(args, { timeoutMs: 60_000 });

describe('edge-recs train and export', () => {
  let dir: string;
  let trained: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-recs-next-'));
    // a -> b by 5 shoppers, a -> c by 4, c -> d by one shopper many times; e -> f by all 9.
    const lines = [
      ...times(5, ['a', 'b', 'e', 'f']),
      ...times(4, ['a', 'c', 'e', 'f']),
      ['c', 'd', 'c', 'd', 'c', 'd', 'c', 'd', 'c', 'd'],
    ].map((items, u) => `user${u} ${items.join(' ')}`);
    await writeFile(join(dir, 'data.txt'), `${lines.join('\n')}\n`);
    const [t, k] = await Promise.all([
      edgeRecs('train', '--data', join(dir, 'data.txt'), '--out', join(dir, 'model'), '--epochs', '1', '--dim', '8', '--blocks', '1', '--max-len', '5', '--json'),
      edgeRecs('keygen', '--out', join(dir, 'key.json')),
    ]);
    expect(k.code, k.stderr).toBe(0);
    trained = t;
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('records the table with the model, k 5 by default: a pair of 4 shoppers or of one shopper repeating is absent', async () => {
    expect(trained.code, trained.stderr).toBe(0);
    const summary = JSON.parse(trained.stdout) as { nextSteps: unknown };
    const model = await readArtifactDir(join(dir, 'model'), { unsigned: 'allow' });
    expect(Object.fromEntries(model.nextSteps!.next)).toEqual({ a: ['b'], b: ['e'], e: ['f'] });
    const bytes = (await readFile(join(dir, 'model', 'next-steps.json'))).byteLength;
    expect(summary.nextSteps).toEqual({ minUsers: 5, window: 1, items: 3, pairs: 3, bytes });
  });

  it('export carries the table into the signed artifact, listed in its manifest and verified with it', async () => {
    const run = await edgeRecs('export', '--model', join(dir, 'model'), '--quantize', 'uint8', '--sign-key', join(dir, 'key.json'), '--out', join(dir, 'artifact'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/next-steps\.json +\d+ bytes/);
    const manifest = JSON.parse(await readFile(join(dir, 'artifact', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.nextSteps).toMatchObject({ path: 'next-steps.json' });
    const key = await readKeyFile(join(dir, 'key.json'));
    const loaded = await readArtifactDir(join(dir, 'artifact'), { trusted: [key] });
    expect(Object.fromEntries(loaded.nextSteps!.next)).toEqual({ a: ['b'], b: ['e'], e: ['f'] });
    // The same bytes as trained: nothing added on the way.
    expect(await readFile(join(dir, 'artifact', 'next-steps.json'))).toEqual(await readFile(join(dir, 'model', 'next-steps.json')));
    expect(parseNextSteps(new Uint8Array(await readFile(join(dir, 'artifact', 'next-steps.json'))), loaded.itemIds).minUsers).toBe(5);
  });

  it('--next-min-users sets k, and refuses a k that would name one shopper', async () => {
    const [three, one] = await Promise.all([
      edgeRecs('train', '--data', join(dir, 'data.txt'), '--out', join(dir, 'model-3'), '--epochs', '1', '--dim', '8', '--blocks', '1', '--max-len', '5', '--json', '--next-min-users', '4'),
      edgeRecs('train', '--data', join(dir, 'data.txt'), '--out', join(dir, 'model-1'), '--next-min-users', '1'),
    ]);
    expect(three.code, three.stderr).toBe(0);
    const model = await readArtifactDir(join(dir, 'model-3'), { unsigned: 'allow' });
    expect(Object.fromEntries(model.nextSteps!.next)).toEqual({ a: ['b', 'c'], b: ['e'], c: ['e'], e: ['f'] });
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('--next-min-users must be an integer of at least 2');
  }, 60_000);
});
