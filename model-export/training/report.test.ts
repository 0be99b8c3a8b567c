import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metrics } from '../../core/ranking-metrics.ts';
import type { DataSummary } from '../data/input.ts';
import { writeReport, type ReportInput } from './report.ts';

const metrics = (x: number): Metrics => ({ 'HR@5': x, 'HR@10': 2 * x, 'HR@20': 3 * x, 'NDCG@5': x / 2, 'NDCG@10': x, 'NDCG@20': 1.5 * x });
const summary: DataSummary = {
  data: 'd.txt',
  format: 's3rec',
  files: 1,
  shapes: [],
  rows: 3,
  kept: 3,
  skipped: {},
  skippedEvents: {},
  itemsDropped: { not_set: 0, not_in_catalog: 0 },
  examples: [],
  users: 3,
  evaluable: 3,
  items: 40,
  interactions: 12,
  skippedFiles: [],
};
const input: ReportInput = {
  title: 'report',
  data: 'd.txt',
  config: { numItems: 40, dim: 8, blocks: 1, heads: 1, maxLen: 8 },
  history: [{ epoch: 1, epochs: 1, loss: 1, seconds: 1, horizon: 1, valid: metrics(0.02) }],
  bestEpoch: 1,
  valid: metrics(0.02),
  test: metrics(0.03),
  seconds: 5,
  sizes: { 'items.json': 100 },
  summary,
  baseline: metrics(0.01),
  samples: [],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function html(r: ReportInput): Promise<string> {
  const file = join(dir, `r${Math.random()}.html`);
  await writeReport(file, r);
  return readFile(file, 'utf8');
}

describe('writeReport, cold start', () => {
  it('shows further baselines under popularity, and warm and cold users per ranker', async () => {
    const page = await html({
      ...input,
      baselines: { 'attribute-similarity': metrics(0.04) },
      coldStart: {
        fraction: 0.1,
        items: 4,
        rankers: {
          SASRec: { warm: { users: 2, 'HR@10': 0.5, 'NDCG@10': 0.25 }, cold: { users: 1, 'HR@10': 1, 'NDCG@10': 0.5 } },
          'attribute-similarity': { warm: { users: 2, 'HR@10': 0, 'NDCG@10': 0 }, cold: { users: 1, 'HR@10': 1, 'NDCG@10': 1 } },
        },
      },
    });
    expect(page).toContain('<tr><th>Attribute-similarity baseline, test</th><td>0.0400</td><td>0.0800</td><td>0.1200</td><td>0.0200</td><td>0.0400</td><td>0.0600</td></tr>');
    expect(page).toContain('Attribute-similarity baseline: items ranked by the cosine');
    const table = page.slice(page.indexOf('<table id="cold-start">'), page.indexOf('</table>', page.indexOf('<table id="cold-start">')));
    expect(table).toContain('<tr><th>SASRec</th><td>0.2500</td><td>0.5000</td><td>0.5000</td><td>1.0000</td></tr>');
    expect(table).toContain('<tr><th>attribute-similarity</th><td>0.0000</td><td>0.0000</td><td>1.0000</td><td>1.0000</td></tr>');
    expect(page).toContain('4 items (10%, seeded) were held out of training entirely');
    expect(page).toContain('Warm: the 2 users whose test item was trained on; cold: the 1 whose test item was held out');
  });

  it('has neither without items held out or further baselines', async () => {
    const page = await html(input);
    expect(page).toContain('<tr><th>Popularity baseline, test</th>');
    expect(page).not.toContain('cold-start');
    expect(page).not.toContain('Attribute-similarity');
  });
});
