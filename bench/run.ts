/**
 * `npm run bench [-- name ...]`: runs benchmarks, prints their figures and writes each to
 * `bench/results/<name>.json`. Benchmarks report numbers; they never pass or fail.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';

const BENCHMARKS: Record<string, () => Promise<{ run(): Promise<Record<string, unknown>> }>> = {
  federated: () => import('./federated.ts'),
  inference: () => import('./inference.ts'),
  quality: () => import('./quality.ts'),
  coldstart: () => import('./coldstart.ts'),
  training: () => import('./training.ts'),
  server: () => import('./server.ts'),
  widget: () => import('./widget.ts'),
  updates: () => import('./updates.ts'),
  reliability: () => import('./reliability.ts'),
  abuse: () => import('./abuse.ts'),
  cwv: () => import('./cwv.ts'),
  experiments: () => import('./experiments.ts'),
};

// `quality` trains two models for tens of minutes, `coldstart` four, `federated` simulates for ~20, `widget` drives Chromium for minutes: run them by name.
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['inference', 'training'];
for (const name of names) {
  const load = BENCHMARKS[name];
  if (!load) {
    console.error(`unknown benchmark "${name}"; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
    process.exit(2);
  }
  const figures = { ...(await (await load()).run()), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, at: new Date().toISOString() };
  await mkdir('bench/results', { recursive: true });
  await writeFile(`bench/results/${name}.json`, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(JSON.stringify(figures, null, 2));
}
