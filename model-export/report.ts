import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Metrics } from '../core/metrics.ts';
import type { ModelConfig } from '../core/model/config.ts';
import type { EpochInfo } from './trainer.ts';

export interface ReportInput {
  title: string;
  data: string;
  config: ModelConfig;
  history: readonly EpochInfo[];
  bestEpoch: number;
  valid: Metrics | null;
  test: Metrics | null;
  seconds: number;
  /** File name -> bytes of the artifact written. */
  sizes: Record<string, number>;
}

const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A self-contained HTML training report: curves drawn by uPlot (inlined, so the file opens offline), the
 * metrics of the published protocol, and artifact sizes.
 */
export async function writeReport(file: string, r: ReportInput): Promise<void> {
  const require = createRequire(import.meta.url);
  const [js, css] = await Promise.all([
    readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  ]);
  const epochs = r.history.map((h) => h.epoch);
  const series = {
    epochs,
    loss: r.history.map((h) => h.loss),
    ndcg: r.history.map((h) => h.valid?.['NDCG@10'] ?? null),
    hr: r.history.map((h) => h.valid?.['HR@10'] ?? null),
  };
  const metricRows = (['HR@5', 'HR@10', 'HR@20', 'NDCG@5', 'NDCG@10', 'NDCG@20'] as const)
    .map((k) => `<tr><th>${k}</th><td>${r.valid ? r.valid[k].toFixed(4) : '–'}</td><td>${r.test ? r.test[k].toFixed(4) : '–'}</td></tr>`)
    .join('');
  const sizeRows = Object.entries(r.sizes)
    .map(([f, n]) => `<tr><th>${esc(f)}</th><td>${n.toLocaleString('en')} bytes</td></tr>`)
    .join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>${css}
body{font-family:system-ui,sans-serif;max-width:960px;margin:32px auto;padding:0 16px;color:#1f2430}
table{border-collapse:collapse;margin:12px 0}th,td{padding:6px 14px;border-bottom:1px solid #e5e7eb;text-align:left}
td{font-variant-numeric:tabular-nums}.note{color:#667085}</style></head><body>
<h1>${esc(r.title)}</h1>
<p class="note">Data <code>${esc(r.data)}</code> · SASRec ${r.config.blocks} block(s), dim ${r.config.dim}, ${r.config.heads} head(s), length ${r.config.maxLen}, ${r.config.numItems.toLocaleString('en')} items · best epoch ${r.bestEpoch} of ${r.history.length} · ${r.seconds.toFixed(0)} s</p>
<h2>Training curves</h2><div id="loss"></div><div id="valid"></div>
<h2>Metrics</h2>
<p class="note">Full ranking, leave-one-out: each user's target is ranked against all items, with the items the user had before it excluded.</p>
<table><tr><th></th><th>validation</th><th>test</th></tr>${metricRows}</table>
<h2>Artifact sizes</h2><table>${sizeRows}</table>
<script>${js}</script>
<script>
const s = ${JSON.stringify(series)};
const opts = (title, label, color) => ({ title, width: 900, height: 260, scales: { x: { time: false } }, axes: [{ incrs: [1, 2, 5, 10, 20, 50, 100] }, {}],
  series: [{ label: 'epoch' }, { label, stroke: color, width: 2, spanGaps: true }] });
new uPlot(opts('Training loss', 'loss', '#2563eb'), [s.epochs, s.loss], document.getElementById('loss'));
new uPlot({ ...opts('Validation', 'NDCG@10', '#c2410c'), series: [{ label: 'epoch' },
  { label: 'NDCG@10', stroke: '#c2410c', width: 2, spanGaps: true }, { label: 'HR@10', stroke: '#16a34a', width: 2, spanGaps: true }] },
  [s.epochs, s.ndcg, s.hr], document.getElementById('valid'));
</script></body></html>
`;
  await writeFile(file, html);
}
