/**
 * Event-to-top-10 latency of the widget's inference code (`SasRec.recommend`) for a catalog-sized model,
 * on the tfjs backends Node can run (WASM, CPU), measured in the same run so the ratio is meaningful on a
 * shared, noisy machine. Browser backends (WebGPU, WebGL) are measured by the widget benchmark.
 *
 *   npm run bench -- inference        writes bench/results/inference.json
 */
import * as tf from '@tensorflow/tfjs-core';
import { SasRec } from '../core/model/sasrec.ts';
import { initWeights } from '../core/model/weights.ts';
import { useBackend, type NodeBackend } from '../model-export/training/tf-node.ts';

const CONFIG = { numItems: 12_000, dim: 64, blocks: 2, heads: 1, maxLen: 50 };
const RUNS = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function run(): Promise<Record<string, unknown>> {
  const results: Record<string, { p50: number; p95: number; mean: number }> = {};
  const history = Array.from({ length: 30 }, (_, i) => ((i * 7919) % CONFIG.numItems) + 1);
  for (const backend of ['wasm', 'cpu'] as NodeBackend[]) {
    await useBackend(backend);
    const model = SasRec.fromWeights(CONFIG, initWeights(CONFIG, 1));
    for (let i = 0; i < 10; i++) await model.recommend(history, 10, history); // warm-up
    const times: number[] = [];
    for (let i = 0; i < (backend === 'cpu' ? RUNS / 4 : RUNS); i++) {
      const t0 = performance.now();
      await model.recommend(history.slice(0, 10 + (i % 20)), 10, history);
      times.push(performance.now() - t0);
    }
    model.dispose();
    times.sort((a, b) => a - b);
    results[backend] = { p50: percentile(times, 50), p95: percentile(times, 95), mean: times.reduce((a, b) => a + b, 0) / times.length };
  }
  return {
    benchmark: 'inference',
    what: 'event-to-top-10 latency (ms) of SasRec.recommend in Node',
    config: CONFIG,
    tfjs: tf.version_core,
    results,
    wasmSpeedupOverCpu: results.cpu!.p50 / results.wasm!.p50,
  };
}
