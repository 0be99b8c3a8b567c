/**
 * `edge-recs simulate` on a tiny generated dataset: in process for the report's content, and as the real
 * CLI (child process) for the one-JSON-object contract and bad-flag errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gaussianEpsilon } from '../../core/federated/accountant.ts';
import { roundNoiseMultiplier } from '../../core/federated/aggregate.ts';
import { parseS3Rec } from '../data/dataset.ts';
import { SIMULATE_DEFAULTS, type SimulateOptions } from '../training/defaults.ts';
import { simulate, type SimulateReport } from './simulate.ts';
import { useBackend } from '../training/tf-node.ts';
import { type ProcessRun, runEdgeRecs } from '../../test/support/cli.ts';


/** 160 users walking a ring of 80 items (i -> i+1), from different starts and with different lengths. */
function ringData(): string {
  const lines: string[] = [];
  for (let u = 0; u < 160; u++) {
    const items = Array.from({ length: 5 + (u % 6) }, (_, j) => String(((u * 7 + j) % 80) + 1));
    lines.push(`u${u} ${items.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

const SMALL: SimulateOptions = {
  ...SIMULATE_DEFAULTS,
  rounds: 2,
  cohort: 20,
  centralEpochs: 3,
  dim: 8,
  blocks: 1,
  malicious: 0.1,
  target: '15',
  client: { ...SIMULATE_DEFAULTS.client, steps: 2, negatives: 8 },
  server: { ...SIMULATE_DEFAULTS.server, noiseMultiplier: 0.5, countNoiseMultiplier: 5, releaseThreshold: 'all', maxRowsPerClient: 16 },
};

const edgeRecs = (...args: string[]): Promise<ProcessRun> => runEdgeRecs(args, { timeoutMs: 120_000 });

let dir: string;
let file: string;
let report: SimulateReport;

beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-simulate-'));
  file = join(dir, 'ring.txt');
  await writeFile(file, ringData());
  report = await simulate(parseS3Rec(ringData(), 'ring'), SMALL);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('simulate', () => {
  it('reports start, central and federated metrics and one entry per round', () => {
    for (const part of [report.start, report.central, report.federated]) {
      expect(part['NDCG@10']).toBeGreaterThanOrEqual(0);
      expect(part['NDCG@10']).toBeLessThanOrEqual(1);
      expect(part['HR@10']).toBeGreaterThanOrEqual(part['NDCG@10']);
    }
    expect(report.rounds.map((r) => r.round)).toEqual([1, 2]);
    expect(report.rounds.at(-1)!['NDCG@10']).toBe(report.federated['NDCG@10']);
    expect(report.setup).toMatchObject({ users: 160, items: 80, startUsers: 80, clients: 80 });
  });

  it('learns the ring centrally: the start model ranks the next item far above chance, and the central reference improves on it', () => {
    // A random ranking of the ~70 unseen items puts the test item in the top 10 about 10/70 of the time.
    expect(report.start['HR@10']).toBeGreaterThan(2 * (10 / 70));
    expect(report.central['NDCG@10']).toBeGreaterThan(report.start['NDCG@10']);
  });

  it('learns the ring federated when the noise is negligible, round after round, and the test\'s noise (z 0.5 over 20 devices) drowns it', async () => {
    const quiet = await simulate(parseS3Rec(ringData(), 'ring'), { ...SMALL, malicious: 0, server: { ...SMALL.server, noiseMultiplier: 1e-4, countNoiseMultiplier: 1e-4 } });
    const [first, second] = quiet.rounds.map((r) => r['NDCG@10']);
    expect(quiet.start).toEqual(report.start);
    expect(first, JSON.stringify(quiet.rounds)).toBeGreaterThan(quiet.start['NDCG@10']);
    expect(second, JSON.stringify(quiet.rounds)).toBeGreaterThan(first!);
    expect(report.federated['NDCG@10']).toBeLessThan(report.start['NDCG@10']);
  }, 120_000);

  it('reports the server accountant\'s ε for the rounds run, at the given δ', () => {
    const accounting = { noiseMultiplier: roundNoiseMultiplier(SMALL.server), delta: SMALL.delta };
    expect(report.delta).toBe(1e-6);
    expect(report.epsilon).toBeCloseTo(gaussianEpsilon(accounting, 2), 10);
    expect(report.rounds[0]!.epsilon).toBeCloseTo(gaussianEpsilon(accounting, 1), 10);
    expect(report.rounds[0]!.epsilon).toBeLessThan(report.epsilon);
  });

  it('measures the bytes a device uploads', () => {
    expect(report.uploadBytesPerClientRound).toBeGreaterThan(100);
    expect(report.uploadBytesPerClientRound).toBeLessThan(20 * 1024);
  });

  it('shows the poisoning working without the server\'s defences and held back with them', () => {
    const e = report.targetExposure!;
    const shown = JSON.stringify(e);
    expect(e.attacked, shown).toBeGreaterThan(2 * e.clean);
    expect(e.defended, shown).toBeLessThan(e.attacked);
  });

  it('prints exactly one JSON object on stdout, progress on stderr', async () => {
    const run = await edgeRecs('simulate', '--data', file, '--rounds', '1', '--cohort', '10', '--central-epochs', '1', '--dim', '8', '--blocks', '1', '--malicious', '0', '--noise', '1', '--max-rows', '16', '--negatives', '8', '--json', '--backend', 'cpu');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as SimulateReport;
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['central', 'federated', 'start', 'epsilon', 'delta', 'uploadBytesPerClientRound', 'rounds']));
    expect(out.targetExposure).toBeUndefined();
    expect(run.stderr).toContain('federated: round 1/1');
  }, 120_000);

  it('refuses bad flags with a message naming the flag and exit code 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--cohort', '0'], /--cohort must be an integer >= 1/],
      [['--cohort', '500'], /--cohort 500 is larger than the 80 clients/],
      [['--central-fraction', '1'], /--central-fraction must be in \(0, 1\)/],
      [['--target', 'nope'], /--target must be "auto" or an item id/],
      [['--rows', 'all'], /--rows must be one of padded, sequence/],
      [['--noise', '0'], /--noise must be positive/],
      [['--trim', '0.5'], /--trim must be in \[0, 0\.5\)/],
    ];
    for (const [flags, message] of cases) {
      const run = await edgeRecs('simulate', '--data', file, ...flags);
      expect(run.code, flags.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
    }
    const missing = await edgeRecs('simulate', '--data', join(dir, 'missing.txt'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('missing.txt: cannot read');
  }, 120_000);
});
