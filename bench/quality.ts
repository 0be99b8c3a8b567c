/**
 * Model quality on the published protocol (../shared/datasets/README.md: full ranking, leave-one-out,
 * seen items excluded), measured on the artifact we ship: train, export uint8 (per-row item table),
 * decode it again and evaluate through the widget's own inference code, beside float32 and the published
 * figures.
 *
 *   npm run bench -- quality            writes bench/results/quality.json
 *   QUALITY_DATASETS=amazon-beauty npm run bench -- quality
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { buildArtifact, loadArtifact } from '../core/artifact/artifact.ts';
import type { Metrics } from '../core/ranking-metrics.ts';
import { SasRec } from '../core/model/sasrec.ts';
import { parseS3Rec } from '../model-export/data/dataset.ts';
import { evaluate } from '../model-export/training/evaluate.ts';
import { useBackend } from '../model-export/training/tf-node.ts';
import { trainModel, TRAIN_DEFAULTS } from '../model-export/training/trainer.ts';
import { MODEL_DEFAULTS } from '../core/model/config.ts';

/** Published full-ranking results (HR@10 / NDCG@10), from the datasets README. */
const PUBLISHED: Record<string, Record<string, { 'HR@10': number; 'NDCG@10': number }>> = {
  'amazon-beauty': {
    'SASRec (binary loss)': { 'HR@10': 0.0605, 'NDCG@10': 0.0318 },
    ICLRec: { 'HR@10': 0.0744, 'NDCG@10': 0.0403 },
    DuoRec: { 'HR@10': 0.0845, 'NDCG@10': 0.0443 },
    'SASRec (sampled softmax)': { 'HR@10': 0.0921, 'NDCG@10': 0.0531 },
    BSARec: { 'HR@10': 0.1008, 'NDCG@10': 0.0611 },
  },
  'amazon-toys-and-games': {
    ICLRec: { 'HR@10': 0.0834, 'NDCG@10': 0.048 },
    'SASRec (sampled softmax)': { 'HR@10': 0.097, 'NDCG@10': 0.058 },
  },
};

async function metricsOf(model: SasRec, data: Parameters<typeof evaluate>[1]): Promise<Metrics> {
  try {
    return (await evaluate(model, data, { target: 'test' })).metrics;
  } finally {
    model.dispose();
  }
}

interface QualityRow {
  float32: Metrics;
  uint8: Metrics;
  trainSeconds: number;
  trainCpuSeconds?: number;
  published: Record<string, { 'HR@10': number; 'NDCG@10': number }>;
}

/** The table of docs/benchmarks.md#quality: our shipped (uint8) model beside the published full-ranking figures. */
function printTable(results: Record<string, QualityRow>): void {
  const rows: string[] = ['| dataset | model | HR@10 | NDCG@10 |', '|---|---|---|---|'];
  for (const [name, r] of Object.entries(results)) {
    rows.push(`| ${name} | **EdgeRecs SASRec, uint8 artifact** (trained in ${(r.trainSeconds / 60).toFixed(1)} min wall${r.trainCpuSeconds ? `, ${(r.trainCpuSeconds / 60).toFixed(1)} min CPU` : ''}) | **${r.uint8['HR@10'].toFixed(4)}** | **${r.uint8['NDCG@10'].toFixed(4)}** |`);
    rows.push(`| ${name} | EdgeRecs SASRec, float32 | ${r.float32['HR@10'].toFixed(4)} | ${r.float32['NDCG@10'].toFixed(4)} |`);
    for (const [model, m] of Object.entries(r.published)) rows.push(`| ${name} | ${model} (published) | ${m['HR@10'].toFixed(4)} | ${m['NDCG@10'].toFixed(4)} |`);
  }
  console.error(rows.join('\n'));
}

export async function run(): Promise<Record<string, unknown>> {
  await useBackend('wasm');
  const names = (process.env.QUALITY_DATASETS ?? 'amazon-beauty,amazon-toys-and-games').split(',');
  const settings = { ...TRAIN_DEFAULTS, model: MODEL_DEFAULTS };
  const results: Record<string, unknown> = {};
  for (const name of names) {
    const file = `../shared/datasets/${name}.txt`;
    const data = parseS3Rec(await readFile(file, 'utf8'), file);
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    const loadStart = loadavg()[0]!;
    const trained = await trainModel(data, {
      ...settings,
      onEpoch: (i) => console.error(`${name} epoch ${i.epoch}: loss ${i.loss.toFixed(4)} valid NDCG@10 ${i.valid?.['NDCG@10'].toFixed(4) ?? '-'} (${i.seconds.toFixed(0)} s)`),
    });
    const trainSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    // The machine is shared: CPU seconds of this process (the WASM backend runs on one thread) say what
    // training costs on an idle core; wall seconds and the load average say what it took in this run.
    const trainCpuSeconds = (cpu.user + cpu.system) / 1e6;
    const loadAverage = (loadStart + loadavg()[0]!) / 2;
    const float32 = await metricsOf(SasRec.fromWeights(trained.config, trained.weights), data);
    const artifact = await buildArtifact({ name, version: 'bench', config: trained.config, itemIds: data.itemIds, weights: trained.weights, quantization: 'uint8' });
    // Round-trip through the bytes we ship, decoded by the loader the widget uses.
    const shipped = await loadArtifact(artifact.manifest, async (f) => artifact.files.get(f.path)!, { unsigned: 'allow' });
    const uint8 = await metricsOf(SasRec.fromWeights(shipped.manifest.config, shipped.weights), data);
    const bytes = [...artifact.files.values()].reduce((n, b) => n + b.byteLength, 0);
    results[name] = {
      measuredAt: new Date().toISOString(),
      settings,
      users: data.users.length,
      items: data.itemIds.length,
      trainSeconds,
      trainCpuSeconds,
      loadAverage,
      epochs: trained.history.length,
      bestEpoch: trained.bestEpoch,
      stopped: trained.stopped,
      float32,
      uint8,
      uint8RelativeNdcg10: uint8['NDCG@10'] / float32['NDCG@10'],
      artifactBytes: bytes,
      published: PUBLISHED[name] ?? {},
      history: trained.history.map((h) => ({ epoch: h.epoch, loss: h.loss, validNdcg10: h.valid?.['NDCG@10'] ?? null, seconds: h.seconds })),
    };
    console.error(`${name}: uint8 NDCG@10 ${uint8['NDCG@10'].toFixed(4)} HR@10 ${uint8['HR@10'].toFixed(4)} (float32 ${float32['NDCG@10'].toFixed(4)}), ${trainSeconds.toFixed(0)} s`);
  }
  // Datasets not run this time keep their last figures, so one dataset can be re-measured alone.
  const previous = await readFile('bench/results/quality.json', 'utf8').then((t) => (JSON.parse(t) as { results?: Record<string, unknown> }).results ?? {}, () => ({}));
  const merged = { ...previous, ...results };
  printTable(merged as Record<string, QualityRow>);
  return {
    benchmark: 'quality',
    protocol: 'full-ranking-leave-one-out, seen items excluded',
    results: merged,
  };
}
