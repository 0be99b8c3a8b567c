import { describe, expect, it } from 'vitest';
import type { EvalResult } from '../model-export/training/eval-command.ts';
import type { Evaluation } from '../model-export/training/evaluate.ts';
import { coldstartTable, listFrom, mergeResults, runArgs, SPLITS, type Results, type RunResult } from './coldstart.ts';

const metrics = (ndcg10: number, hr10: number): Evaluation['metrics'] => ({ 'HR@5': 0, 'HR@10': hr10, 'HR@20': 0, 'NDCG@5': 0, 'NDCG@10': ndcg10, 'NDCG@20': 0 });
const evaluation = (ndcg10: number, warm: number, cold: number): Evaluation => ({
  protocol: 'full-ranking-leave-one-out',
  users: 100,
  items: 50,
  metrics: metrics(ndcg10, 2 * ndcg10),
  warm: { users: 90, 'HR@10': 2 * warm, 'NDCG@10': warm },
  cold: { users: 10, 'HR@10': 2 * cold, 'NDCG@10': cold },
});
const run = (e: Evaluation, bytes: number, baselines = false): RunResult => ({
  measuredAt: '2026-12-07T10:00:00.000Z',
  train: { bestEpoch: 9, seconds: 600, config: {}, valid: null, test: null },
  artifactBytes: bytes,
  eval: {
    ...e,
    baselines: { popularity: evaluation(0.01, 0.011, 0.001), ...(baselines && { 'attribute-similarity': evaluation(0.02, 0.0209, 0.0073) }) },
  } satisfies EvalResult,
});

describe('runArgs', () => {
  it('trains with CLI defaults on a 10% cold split, exports uint8 and evaluates the export with the attributes', () => {
    const f = runArgs('amazon-beauty', 'cold', 'features', '/tmp/x', 'data');
    expect(f.train).toEqual(['train', '--data', 'data/amazon-beauty.txt', '--attributes', 'data/amazon-beauty.attributes.json', '--cold-items', '0.1', '--out', '/tmp/x/amazon-beauty-cold-features', '--json']);
    expect(f.export).toEqual(['export', '--model', '/tmp/x/amazon-beauty-cold-features', '--quantize', 'uint8', '--out', '/tmp/x/amazon-beauty-cold-features-uint8', '--json']);
    expect(f.eval).toEqual(['eval', '--model', '/tmp/x/amazon-beauty-cold-features-uint8', '--data', 'data/amazon-beauty.txt', '--attributes', 'data/amazon-beauty.attributes.json', '--json']);
  });

  it('trains the id-only model without features on the same split, and no split on the standard one', () => {
    const idOnly = runArgs('amazon-beauty', 'cold', 'id-only', '/tmp/x', 'data');
    expect(idOnly.train).toContain('--no-features');
    expect(idOnly.train).not.toContain('--attributes');
    expect(idOnly.train.slice(idOnly.train.indexOf('--cold-items'), idOnly.train.indexOf('--cold-items') + 2)).toEqual(['--cold-items', '0.1']);
    expect(runArgs('amazon-beauty', 'standard', 'features', '/tmp/x', 'data').train).not.toContain('--cold-items');
    // Every run writes its own directory: none overwrites another's model.
    const outs = SPLITS.flatMap((s) => (['features', 'id-only'] as const).map((v) => runArgs('amazon-beauty', s, v, '/tmp/x').train.at(-2)));
    expect(new Set(outs).size).toBe(4);
  });
});

describe('coldstartTable', () => {
  it('prints both models and both baselines, and each goal met or missed with its figure', () => {
    const results: Results = {
      'amazon-beauty': { cold: { features: run(evaluation(0.04, 0.045, 0.015), 1_150_000, true), 'id-only': run(evaluation(0.041, 0.046, 0.0001), 1_000_000, true) } },
      'amazon-toys-and-games': {
        cold: { features: run(evaluation(0.04, 0.04, 0.009), 1_300_000, true), 'id-only': run(evaluation(0.041, 0.042, 0), 1_000_000) },
        standard: { features: run(evaluation(0.05, 0, 0), 1_100_000), 'id-only': run(evaluation(0.051, 0, 0), 1_000_000) },
      },
    };
    const table = coldstartTable(results);
    expect(table[0]).toMatch(/^\| dataset \| split \| ranker \| NDCG@10 \| warm NDCG@10 \| cold NDCG@10 \|/);
    expect(table).toContain('| amazon-beauty | 10% cold items | **SASRec + attributes, uint8** | 0.0400 | 0.0450 | 0.0150 | 0.0800 | 0.0900 | 0.0300 |');
    expect(table).toContain('| amazon-beauty | 10% cold items | attribute similarity (TF-IDF, last 3 items) | 0.0200 | 0.0209 | 0.0073 | 0.0400 | 0.0418 | 0.0146 |');
    expect(table.filter((l) => l.includes('| popularity |'))).toHaveLength(3);
    expect(table).toContain('- amazon-beauty: cold NDCG@10 0.0150 (goal ≥ 0.0146): met');
    expect(table).toContain('- amazon-beauty: warm NDCG@10 97.8% of id-only\'s (goal ≥ 98%): missed');
    expect(table).toContain('- amazon-beauty, cold: uint8 artifact 1,150,000 bytes, 1.150× id-only\'s (goal ≤ 1.2×): met');
    expect(table).toContain('- amazon-toys-and-games: cold NDCG@10 0.0090 (goal ≥ 0.011): missed');
    expect(table).toContain('- amazon-toys-and-games: warm NDCG@10 95.2% of id-only\'s (goal ≥ 98%): missed');
    expect(table).toContain('- amazon-toys-and-games, cold: uint8 artifact 1,300,000 bytes, 1.300× id-only\'s (goal ≤ 1.2×): missed');
    expect(table).toContain('- amazon-toys-and-games: standard split NDCG@10 with attributes -0.0010 against id-only (goal: not below): missed');
    expect(table).toContain('| amazon-toys-and-games | standard | SASRec id-only, uint8 | 0.0510 | 0.0000 | 0.0000 | 0.1020 | 0.0000 | 0.0000 |');
  });
});

describe('mergeResults', () => {
  it('keeps the runs not made this time and replaces those that were', () => {
    const old = run(evaluation(0.01, 0.01, 0.01), 1);
    const fresh = run(evaluation(0.02, 0.02, 0.02), 2);
    const previous: Results = { 'amazon-beauty': { cold: { features: old, 'id-only': old } }, 'amazon-toys-and-games': { cold: { features: old } } };
    const merged = mergeResults(previous, { 'amazon-beauty': { cold: { features: fresh }, standard: { 'id-only': fresh } } });
    expect(merged['amazon-beauty']!.cold).toEqual({ features: fresh, 'id-only': old });
    expect(merged['amazon-beauty']!.standard).toEqual({ 'id-only': fresh });
    expect(merged['amazon-toys-and-games']).toEqual(previous['amazon-toys-and-games']);
    expect(previous['amazon-beauty']!.cold!.features).toBe(old);
  });
});

describe('listFrom', () => {
  it('reads a comma-separated choice, its default when unset, and refuses what it does not know', () => {
    expect(listFrom(undefined, ['cold'], SPLITS, 'COLDSTART_SPLITS')).toEqual(['cold']);
    expect(listFrom(' cold, standard ', ['cold'], SPLITS, 'COLDSTART_SPLITS')).toEqual(['cold', 'standard']);
    expect(() => listFrom('warm', ['cold'], SPLITS, 'COLDSTART_SPLITS')).toThrow('COLDSTART_SPLITS must list cold, standard (got "warm")');
    expect(() => listFrom(',', ['cold'], SPLITS, 'COLDSTART_SPLITS')).toThrow(/must list/);
  });
});
