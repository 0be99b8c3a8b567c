/**
 * `npm run bench -- abuse`: every attack of `test/abuse/` at the scale of issue 14 (each harness's
 * `benchmark`, at its `FULL_SCALE`), against the real server, printing each outcome. `npm test` runs the same harnesses
 * small and asserts the outcome; here they only report. `ABUSE_ONLY=name,name` runs some of them and
 * keeps the others' last figures.
 *
 * Writes `bench/results/abuse.json` (through `bench/run.ts`).
 */
import { readFile } from 'node:fs/promises';

import type { AbuseBenchmark } from '../test/support/abuse/benchmark.ts';

/** Attack name → its harness module (each exports its `benchmark`). */
const ATTACKS: Record<string, () => Promise<{ benchmark: AbuseBenchmark }>> = {
  sybil: () => import('../test/abuse/sybil.ts'),
  admission: () => import('../test/abuse/admission.ts'),
  'sybil-residual-risk': () => import('../test/abuse/sybil-simulation.ts'),
  'catalog-links': () => import('../test/abuse/catalog-links.ts'),
  'catalog-upload': () => import('../test/abuse/catalog-upload.ts'),
  'unknown-names': () => import('../test/abuse/unknown-names.ts'),
  'deep-json': () => import('../test/abuse/deep-json.ts'),
  'metrics-flood': () => import('../test/abuse/metrics-flood.ts'),
  'dashboard-session': () => import('../test/abuse/dashboard-session.ts'),
  'etag-supercookie': () => import('../test/abuse/etag-supercookie.ts'),
};

async function previous(): Promise<Record<string, unknown>> {
  try {
    const last = JSON.parse(await readFile('bench/results/abuse.json', 'utf8')) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(last).filter(([name]) => name in ATTACKS));
  } catch {
    return {};
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const only = (process.env.ABUSE_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((n) => !(n in ATTACKS));
  if (unknown.length > 0) throw new Error(`ABUSE_ONLY names no attack ${unknown.join(', ')}; choose from ${Object.keys(ATTACKS).join(', ')}`);
  // With ABUSE_ONLY, the other attacks' last figures stay in the results file.
  const results: Record<string, unknown> = only.length > 0 ? await previous() : {};
  for (const [name, load] of Object.entries(ATTACKS)) {
    if (only.length > 0 && !only.includes(name)) continue;
    const { benchmark } = await load();
    const started = performance.now();
    console.log(`abuse: ${name} at ${JSON.stringify(benchmark.scale)}...`);
    const outcome = await benchmark.run((line) => console.log(line));
    results[name] = { scale: benchmark.scale, seconds: Math.round((performance.now() - started) / 100) / 10, outcome };
    console.log(`abuse: ${name}: ${JSON.stringify(outcome)}`);
  }
  return results;
}
