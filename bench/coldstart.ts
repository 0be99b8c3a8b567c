/**
 * Cold start (issue 18): how well the model ranks items it never saw an interaction with, from their
 * content features alone. For each dataset, a seeded 10% of the items is held out of training entirely
 * (`train --cold-items 0.1`), a model is trained with the items' attributes and one id-only, both with
 * the CLI's defaults, both exported as the uint8 artifact the widget ships, and `eval` ranks every test
 * item of the whole data under the published protocol (full ranking, leave-one-out, seen items excluded):
 * overall, warm users (whose test item was trained on) and cold users (whose test item was held out),
 * beside the attribute-similarity and popularity baselines on the same users.
 *
 * Everything runs through the `edge-recs` CLI, one process per step, so the figures are what a merchant
 * running these commands gets:
 *
 *   npm run bench -- coldstart                                  writes bench/results/coldstart.json
 *   COLDSTART_DATASETS=amazon-beauty npm run bench -- coldstart
 *   COLDSTART_SPLITS=cold,standard npm run bench -- coldstart   also both models on the standard split
 *   COLDSTART_KEEP=DIR npm run bench -- coldstart               keeps the models in DIR
 *
 * A smoke run of the whole pipeline on small data (not figures to report: neither the defaults nor the
 * datasets), which writes `coldstart-smoke.json` into DIR and leaves bench/results alone:
 *   npx tsx bench/coldstart.ts DIR --epochs 1 --dim 16
 * where DIR holds `<dataset>.txt` and `<dataset>.attributes.json` and the flags after it go to `train`.
 *
 * Each dataset trains two models (four with `standard`) for tens of minutes each on this machine.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EvalResult } from '../model-export/training/eval-command.ts';
import type { GroupMetrics } from '../model-export/training/evaluate.ts';

/** Share of items held out: the issue's 10% cold split. */
const COLD_FRACTION = 0.1;

/** The issue's goals: cold NDCG@10 per dataset (twice the attribute-similarity baseline on Beauty). */
const COLD_GOALS: Record<string, number> = { 'amazon-beauty': 0.0146, 'amazon-toys-and-games': 0.011 };
/** Warm NDCG@10 of the features model at least this share of the id-only model's on the same split. */
const WARM_GOAL = 0.98;
/** The features model's artifact at most this multiple of the id-only model's. */
const SIZE_GOAL = 1.2;

export const SPLITS = ['cold', 'standard'] as const;
export type Split = (typeof SPLITS)[number];
export const VARIANTS = ['features', 'id-only'] as const;
export type Variant = (typeof VARIANTS)[number];

/** The `edge-recs` arguments of one run's three steps: train with CLI defaults, export uint8, eval the export. */
export function runArgs(
  dataset: string,
  split: Split,
  variant: Variant,
  dir: string,
  datasets = '../shared/datasets',
  trainFlags: readonly string[] = [],
): { train: string[]; export: string[]; eval: string[] } {
  const data = join(datasets, `${dataset}.txt`);
  const attributes = join(datasets, `${dataset}.attributes.json`);
  const trained = join(dir, `${dataset}-${split}-${variant}`);
  return {
    train: [
      'train',
      '--data',
      data,
      ...(variant === 'features' ? ['--attributes', attributes] : ['--no-features']),
      ...(split === 'cold' ? ['--cold-items', String(COLD_FRACTION)] : []),
      '--out',
      trained,
      ...trainFlags,
      '--json',
    ],
    export: ['export', '--model', trained, '--quantize', 'uint8', '--out', `${trained}-uint8`, '--json'],
    // The attributes feed the baseline for both models; the id-only model itself ignores them.
    eval: ['eval', '--model', `${trained}-uint8`, '--data', data, '--attributes', attributes, '--json'],
  };
}

/** What one model's run keeps: its training summary, the shipped artifact's bytes and the evaluation. */
export interface RunResult {
  measuredAt: string;
  train: { bestEpoch: number; seconds: number; config: unknown; valid: unknown; test: unknown };
  artifactBytes: number;
  eval: EvalResult;
}

/** Per dataset and split, each model's run. */
export type Results = Record<string, Partial<Record<Split, Partial<Record<Variant, RunResult>>>>>;

/** Runs `edge-recs` with `args`; its stderr passes through, its stdout's last line is parsed as JSON. */
async function cli(args: readonly string[]): Promise<unknown> {
  const child = spawn(process.execPath, ['model-export/bin/edge-recs.js', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
  if (code !== 0) throw new Error(`edge-recs ${args.join(' ')} exited ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

const f4 = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(4));
const group = (g: GroupMetrics | undefined, k: 'NDCG@10' | 'HR@10'): string => f4(g?.[k]);

/**
 * The table of docs/benchmarks.md#cold-start: per dataset and split, each uint8 model and the two
 * baselines (from the features run's evaluation, on the same users), NDCG@10 and HR@10 overall, warm and
 * cold; then each goal of the issue with the figure it is met or missed by.
 */
export function coldstartTable(results: Results): string[] {
  const rows = ['| dataset | split | ranker | NDCG@10 | warm NDCG@10 | cold NDCG@10 | HR@10 | warm HR@10 | cold HR@10 |', '|---|---|---|---|---|---|---|---|---|'];
  const goals: string[] = [];
  for (const [dataset, splits] of Object.entries(results)) {
    for (const split of SPLITS) {
      const runs = splits[split];
      if (!runs) continue;
      const line = (ranker: string, e: Pick<EvalResult, 'metrics' | 'warm' | 'cold'>): string =>
        `| ${dataset} | ${split === 'cold' ? `${COLD_FRACTION * 100}% cold items` : 'standard'} | ${ranker} | ${f4(e.metrics['NDCG@10'])} | ${group(e.warm, 'NDCG@10')} | ${group(e.cold, 'NDCG@10')} | ${f4(e.metrics['HR@10'])} | ${group(e.warm, 'HR@10')} | ${group(e.cold, 'HR@10')} |`;
      for (const variant of VARIANTS) {
        const run = runs[variant];
        if (run) rows.push(line(variant === 'features' ? '**SASRec + attributes, uint8**' : 'SASRec id-only, uint8', run.eval));
      }
      const baselines = (runs.features ?? runs['id-only'])?.eval.baselines;
      if (baselines?.['attribute-similarity']) rows.push(line('attribute similarity (TF-IDF, last 3 items)', baselines['attribute-similarity']));
      if (baselines) rows.push(line('popularity', baselines.popularity));

      const withF = runs.features;
      const idOnly = runs['id-only'];
      if (split === 'cold' && withF?.eval.cold && COLD_GOALS[dataset] !== undefined) {
        const v = withF.eval.cold['NDCG@10'];
        goals.push(`- ${dataset}: cold NDCG@10 ${f4(v)} (goal ≥ ${COLD_GOALS[dataset]}): ${v >= COLD_GOALS[dataset]! ? 'met' : 'missed'}`);
      }
      if (split === 'cold' && withF?.eval.warm && idOnly?.eval.warm) {
        const ratio = withF.eval.warm['NDCG@10'] / idOnly.eval.warm['NDCG@10'];
        goals.push(`- ${dataset}: warm NDCG@10 ${(100 * ratio).toFixed(1)}% of id-only's (goal ≥ ${WARM_GOAL * 100}%): ${ratio >= WARM_GOAL ? 'met' : 'missed'}`);
      }
      if (split === 'standard' && withF && idOnly) {
        const change = withF.eval.metrics['NDCG@10'] - idOnly.eval.metrics['NDCG@10'];
        goals.push(`- ${dataset}: standard split NDCG@10 with attributes ${change >= 0 ? '+' : ''}${change.toFixed(4)} against id-only (goal: not below): ${change >= 0 ? 'met' : 'missed'}`);
      }
      if (withF && idOnly) {
        const ratio = withF.artifactBytes / idOnly.artifactBytes;
        goals.push(`- ${dataset}, ${split}: uint8 artifact ${withF.artifactBytes.toLocaleString('en')} bytes, ${ratio.toFixed(3)}× id-only's (goal ≤ ${SIZE_GOAL}×): ${ratio <= SIZE_GOAL ? 'met' : 'missed'}`);
      }
    }
  }
  return [...rows, '', ...goals];
}

/** `previous` with `fresh` laid over it run by run: a dataset, split or model not run this time keeps its last figures. */
export function mergeResults(previous: Results, fresh: Results): Results {
  const out: Results = structuredClone(previous);
  for (const [dataset, splits] of Object.entries(fresh)) {
    for (const [split, runs] of Object.entries(splits) as Array<[Split, Partial<Record<Variant, RunResult>>]>) {
      const target = (out[dataset] ??= {});
      target[split] = { ...target[split], ...runs };
    }
  }
  return out;
}

/** A comma-separated list from the environment, each entry checked against `allowed`. */
export function listFrom<T extends string>(value: string | undefined, fallback: readonly T[], allowed: readonly string[], name: string): T[] {
  const items = (value ?? fallback.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !allowed.includes(s));
  if (items.length === 0 || bad.length > 0) throw new Error(`${name} must list ${allowed.join(', ')} (got "${value}")`);
  return items as T[];
}

/** Trains, exports and evaluates every run of `datasets` x `splits` x `VARIANTS`; figures as `bench/run.ts` writes them. */
export async function coldstart(o: {
  datasets: readonly string[];
  splits: readonly Split[];
  data?: string;
  trainFlags?: readonly string[];
  /** The figures to keep beside this run's, read once its runs are done (a run beside it may have written some meanwhile). */
  previous?: () => Promise<Results>;
}): Promise<Record<string, unknown>> {
  // `COLDSTART_KEEP=DIR` keeps the trained models and their exports there, for a closer look afterwards.
  const keep = process.env.COLDSTART_KEEP;
  const dir = keep ? (await mkdir(keep, { recursive: true }), keep) : await mkdtemp(join(tmpdir(), 'edge-recs-coldstart-'));
  const fresh: Results = {};
  try {
    for (const dataset of o.datasets) {
      for (const split of o.splits) {
        for (const variant of VARIANTS) {
          const args = runArgs(dataset, split, variant, dir, o.data, o.trainFlags);
          console.error(`coldstart: ${dataset}, ${split} split, ${variant}: training`);
          const train = (await cli(args.train)) as RunResult['train'];
          const exported = (await cli(args.export)) as { bytes: Record<string, number> };
          const evaluation = (await cli(args.eval)) as EvalResult;
          const artifactBytes = Object.values(exported.bytes).reduce((a, b) => a + b, 0);
          ((fresh[dataset] ??= {})[split] ??= {})[variant] = {
            measuredAt: new Date().toISOString(),
            train: { bestEpoch: train.bestEpoch, seconds: train.seconds, config: train.config, valid: train.valid, test: train.test },
            artifactBytes,
            eval: evaluation,
          };
          console.error(
            `coldstart: ${dataset}, ${split}, ${variant}: NDCG@10 ${f4(evaluation.metrics['NDCG@10'])}, warm ${group(evaluation.warm, 'NDCG@10')}, cold ${group(evaluation.cold, 'NDCG@10')} (${train.seconds.toFixed(0)} s training)`,
          );
        }
      }
    }
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
  const results = mergeResults((await o.previous?.()) ?? {}, fresh);
  console.error(coldstartTable(results).join('\n'));
  return {
    benchmark: 'coldstart',
    protocol: 'full-ranking-leave-one-out, seen items excluded, uint8 artifact',
    coldFraction: COLD_FRACTION,
    ...(o.trainFlags && o.trainFlags.length > 0 && { trainFlags: o.trainFlags }),
    results,
  };
}

/**
 * `npm run bench -- coldstart`: the CLI's defaults on the shared datasets; runs not made this time keep
 * their last figures, read when this run ends: one run a dataset, side by side on two cores, gives one file.
 */
export async function run(): Promise<Record<string, unknown>> {
  const datasets = listFrom(process.env.COLDSTART_DATASETS, Object.keys(COLD_GOALS), Object.keys(COLD_GOALS), 'COLDSTART_DATASETS');
  const splits = listFrom<Split>(process.env.COLDSTART_SPLITS, ['cold'], SPLITS, 'COLDSTART_SPLITS');
  const previous = (): Promise<Results> => readFile('bench/results/coldstart.json', 'utf8').then((t) => (JSON.parse(t) as { results?: Results }).results ?? {}, () => ({}));
  return coldstart({ datasets, splits, previous });
}

// `npx tsx bench/coldstart.ts DIR [train flags]`: the smoke run described at the top.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [data, ...trainFlags] = process.argv.slice(2);
  if (!data) throw new Error('usage: npx tsx bench/coldstart.ts DIR [train flags], DIR holding <dataset>.txt and <dataset>.attributes.json');
  const datasets = listFrom(process.env.COLDSTART_DATASETS, Object.keys(COLD_GOALS), Object.keys(COLD_GOALS), 'COLDSTART_DATASETS');
  const figures = await coldstart({ datasets, splits: listFrom<Split>(process.env.COLDSTART_SPLITS, ['cold'], SPLITS, 'COLDSTART_SPLITS'), data, trainFlags });
  await writeFile(join(data, 'coldstart-smoke.json'), `${JSON.stringify(figures, null, 2)}\n`);
}
