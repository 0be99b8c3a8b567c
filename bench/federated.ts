/**
 * Federated learning on Amazon Beauty with `edge-recs simulate`'s defaults (the configuration docs/federated-learning.md
 * reports): the start model trained centrally on half the users, federated rounds of device updates made
 * by the widget's client code and aggregated by the server's code, the central reference on the same
 * users and rounds, and the poisoning runs (3% malicious devices, with and without the server's
 * defences). Every metric: full ranking, leave-one-out, seen items excluded.
 *
 *   npm run bench -- federated            writes bench/results/federated.json (~20 min on 2 cores)
 *
 * Prints the table of docs/federated-learning.md (stderr) and reports the figures beside the issue's goals. A benchmark: it
 * reports whether the goals are met, it never fails on them.
 */
import { readFile } from 'node:fs/promises';
import { parseS3Rec } from '../model-export/data/dataset.ts';
import { SIMULATE_DEFAULTS } from '../model-export/training/defaults.ts';
import { simulate } from '../model-export/simulate/simulate.ts';
import { useBackend } from '../model-export/training/tf-node.ts';

const FILE = '../shared/datasets/amazon-beauty.txt';

export async function run(): Promise<Record<string, unknown>> {
  await useBackend('wasm');
  const data = parseS3Rec(await readFile(FILE, 'utf8'), FILE);
  const started = performance.now();
  const report = await simulate(data, SIMULATE_DEFAULTS, { log: (line) => console.error(line) });
  const minutes = (performance.now() - started) / 60_000;
  const ratio = report.federated['NDCG@10'] / report.central['NDCG@10'];
  const exposure = report.targetExposure;
  const goals = {
    'federated NDCG@10 >= 90% of central': ratio >= 0.9,
    'epsilon <= 10 at delta 1e-6': report.epsilon <= 10 && report.delta <= 1e-6,
    'target exposure with 3% malicious <= 2x clean (defended)': exposure ? exposure.defended <= 2 * exposure.clean : null,
    'upload <= 20 KB per device per round': report.uploadBytesPerClientRound <= 20 * 1024,
  };
  const f = (x: number) => x.toFixed(4);
  const rows = [
    '| model (Beauty, full ranking, seen items excluded) | NDCG@10 | HR@10 |',
    '|---|---|---|',
    `| start: trained centrally on ${SIMULATE_DEFAULTS.centralFraction * 100}% of users | ${f(report.start['NDCG@10'])} | ${f(report.start['HR@10'])} |`,
    `| central: + the devices' logs, same rounds, no noise | ${f(report.central['NDCG@10'])} | ${f(report.central['HR@10'])} |`,
    `| **federated**: + ${SIMULATE_DEFAULTS.rounds} rounds of ${SIMULATE_DEFAULTS.cohort} device updates, ε ${report.epsilon.toFixed(2)} (δ ${report.delta}) | **${f(report.federated['NDCG@10'])}** (${(ratio * 100).toFixed(1)}% of central) | ${f(report.federated['HR@10'])} |`,
    '',
    `upload per device per round: ${(report.uploadBytesPerClientRound / 1024).toFixed(1)} KB`,
    ...(exposure
      ? [`target exposure (share of users with the target in their top 10): clean ${f(exposure.clean)}, attacked (no defences) ${f(exposure.attacked)}, defended ${f(exposure.defended)}`]
      : []),
    ...Object.entries(goals).map(([goal, met]) => `goal ${goal}: ${met === null ? 'not measured' : met ? 'met' : 'NOT met'}`),
    `run time ${minutes.toFixed(1)} min`,
  ];
  console.error(rows.join('\n'));
  return { benchmark: 'federated', data: FILE, options: SIMULATE_DEFAULTS, report, federatedToCentral: ratio, goals, minutes };
}
