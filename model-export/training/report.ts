import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { EVENT_NAMES, type EventName } from '../../core/events.ts';
import type { Metrics } from '../../core/ranking-metrics.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { SHAPES } from '../data/events-log.ts';
import type { DataSummary } from '../data/input.ts';
import type { GroupMetrics } from './evaluate.ts';
import type { EpochInfo } from './trainer.ts';

/** One user's real history and what the trained model recommends after it. */
export interface Sample {
  /** Item ids of the history the model read (its last items), oldest first. */
  history: string[];
  /** Length of the whole history. */
  length: number;
  /** The held-out item the user really went to next (the test target). */
  next: string;
  /** The model's top items, best first, the history's items excluded. */
  recommended: string[];
  /** For each item of `history`, the id the data named it by (`Dataset.variants`: the size of a variant group, with `--catalog`). */
  named?: string[];
  /** The same for `next`. */
  nextNamed?: string;
}

/** Names of the report's items, when a catalog was given. */
export interface ReportTitles {
  /** A model item's name: its variant group's (`core/catalog.ts` `groupTitle`), none where the variants' titles give none. */
  groups: ReadonlyMap<string, string>;
  /** Each product's (variant's) title, by its own id. */
  products: ReadonlyMap<string, string>;
}

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
  /** What was read, kept and skipped. */
  summary: DataSummary;
  /** The popularity baseline's test metrics, same protocol. */
  baseline: Metrics;
  /** More baselines' test metrics under the same protocol, by name (`attribute similarity`), shown under popularity. */
  baselines?: Record<string, Metrics>;
  /**
   * With items held out of training (`--cold-items`): test NDCG@10 and HR@10 of the users whose test item
   * was trained on (warm) and of those whose test item was held out (cold), the model's and each
   * baseline's, by ranker name (`SASRec`, `popularity`, ...).
   */
  coldStart?: { fraction: number; items: number; rankers: Record<string, { warm: GroupMetrics; cold: GroupMetrics }> };
  samples: readonly Sample[];
  /** Names of groups and products, when a catalog was given. */
  titles?: ReportTitles;
}

const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A self-contained HTML training report: curves drawn by uPlot (inlined, so the file opens offline), the
 * metrics of the published protocol with a popularity baseline, what the data held (rows kept and skipped,
 * users, items, catalog coverage), sample recommendations for real histories, and artifact sizes.
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
  const keys = ['HR@5', 'HR@10', 'HR@20', 'NDCG@5', 'NDCG@10', 'NDCG@20'] as const;
  const metricRow = (label: string, m: Metrics | null): string => `<tr><th>${label}</th>${keys.map((k) => `<td>${m ? m[k].toFixed(4) : '–'}</td>`).join('')}</tr>`;
  const metricRows = [
    `<tr><th></th>${keys.map((k) => `<th>${k}</th>`).join('')}</tr>`,
    metricRow('SASRec, validation', r.valid),
    metricRow('SASRec, test', r.test),
    metricRow('Popularity baseline, test', r.baseline),
    ...Object.entries(r.baselines ?? {}).map(([name, m]) => metricRow(`${esc(name[0]!.toUpperCase() + name.slice(1))} baseline, test`, m)),
  ].join('');
  const sizeRows = Object.entries(r.sizes)
    .map(([f, n]) => `<tr><th>${esc(f)}</th><td>${n.toLocaleString('en')} bytes</td></tr>`)
    .join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>${css}
body{font-family:system-ui,sans-serif;max-width:960px;margin:32px auto;padding:0 16px;color:#1f2430}
table{border-collapse:collapse;margin:12px 0}th,td{padding:6px 14px;border-bottom:1px solid #e5e7eb;text-align:left}
td{font-variant-numeric:tabular-nums}.note{color:#667085}.sample{border:1px solid #e5e7eb;border-radius:8px;padding:4px 16px;margin:12px 0}.hit{font-weight:700;color:#15803d}</style></head><body>
<h1>${esc(r.title)}</h1>
<p class="note">Data <code>${esc(r.data)}</code> · SASRec ${r.config.blocks} block(s), dim ${r.config.dim}, ${r.config.heads} head(s), length ${r.config.maxLen}, ${r.config.numItems.toLocaleString('en')} items · best epoch ${r.bestEpoch} of ${r.history.length} · ${r.seconds.toFixed(0)} s</p>
<h2>Training curves</h2><div id="loss"></div><div id="valid"></div>
<h2>Metrics</h2>
<p class="note">Full ranking, leave-one-out: each user's target is ranked against all items, with the items the user had before it excluded.</p>
<p class="note">Popularity baseline: items ranked by how often they occur in the training part of all histories, under the same protocol.</p>
${r.baselines?.['attribute-similarity'] ? '<p class="note">Attribute-similarity baseline: items ranked by the cosine of their TF-IDF weighted attributes with the sum of the last 3 history items\' (<code>attribute-similarity.ts</code>), same protocol.</p>\n' : ''}<table id="metrics">${metricRows}</table>
${r.coldStart ? coldStartSection(r.coldStart) : ''}<h2>Data</h2>
${dataSection(r.summary)}
<h2>Sample recommendations</h2>
${samplesSection(r.samples, r.titles)}
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

const num = (x: number): string => x.toLocaleString('en');

/** Warm and cold users apart, per ranker: what the model does for items it never saw an interaction with. */
function coldStartSection(c: NonNullable<ReportInput['coldStart']>): string {
  const users = Object.values(c.rankers)[0];
  const rows = Object.entries(c.rankers)
    .map(([name, g]) => `<tr><th>${esc(name)}</th>${[g.warm['NDCG@10'], g.warm['HR@10'], g.cold['NDCG@10'], g.cold['HR@10']].map((v) => `<td>${v.toFixed(4)}</td>`).join('')}</tr>`)
    .join('');
  return `<h3>Warm and cold items</h3>
<p class="note">${num(c.items)} items (${(100 * c.fraction).toFixed(0)}%, seeded) were held out of training entirely; the model ranks them from their features alone. Warm: the ${num(users?.warm.users ?? 0)} users whose test item was trained on; cold: the ${num(users?.cold.users ?? 0)} whose test item was held out. Same protocol, every item ranked.</p>
<table id="cold-start"><tr><th></th><th>warm NDCG@10</th><th>warm HR@10</th><th>cold NDCG@10</th><th>cold HR@10</th></tr>${rows}</table>`;
}

/** Rows read, kept and skipped (per reason), users and items, catalog coverage. */
function dataSection(s: DataSummary): string {
  const rows: Array<[string, string]> = [['data', `<code>${esc(s.data)}</code>`]];
  if (s.format === 's3rec') rows.push(['format', 'S3-Rec lines'], ['users read', num(s.rows)]);
  else {
    rows.push(['format', esc(s.shapes.map((x) => SHAPES[x]).join(', ') || 'event log') + (s.files > 1 ? `, ${num(s.files)} files` : '')]);
    rows.push(['rows read', num(s.rows)], ['rows kept', num(s.kept)]);
    const events = (vocabulary: boolean): string =>
      Object.entries(s.skippedEvents)
        .filter(([name]) => EVENT_NAMES.includes(name as EventName) === vocabulary)
        .map(([name, count]) => `${esc(name)} ${num(count)}`)
        .join(', ');
    const reasons: Record<string, string> = {
      other_event: `not e-commerce interactions (${events(false)})`,
      not_counted: `e-commerce events not counted (${events(true)})`,
      no_user: 'without user_id or user_pseudo_id',
      no_items: 'without items',
      item_not_set: 'item_id "(not set)" or empty',
      not_in_catalog: 'only products not in the catalog',
      malformed: 'malformed',
    };
    for (const [reason, count] of Object.entries(s.skipped)) rows.push([`rows skipped: ${reasons[reason] ?? reason}`, num(count)]);
    if (s.examples.length > 0) rows.push(['first malformed rows', s.examples.map((e) => `<code>${esc(e)}</code>`).join('<br>')]);
    if (s.itemsDropped.not_set > 0) rows.push(['items "(not set)" dropped from rows kept for their other items', num(s.itemsDropped.not_set)]);
    if (s.from && s.to) rows.push(['events from – to', `${esc(s.from)} – ${esc(s.to)}`]);
  }
  rows.push(
    ['users', `${num(s.users)} (${num(s.evaluable)} with the 3 interactions evaluation needs)`],
    ['items', num(s.items)],
    ['interactions', num(s.interactions)],
  );
  if (s.catalog) {
    const c = s.catalog;
    rows.push(['catalog', `<code>${esc(c.file)}</code>: ${num(c.products)} products in ${num(c.groups)} variant groups`]);
    rows.push(['catalog coverage', `${num(c.learned)} of ${num(c.groups)} groups have interactions (${((100 * c.learned) / c.groups).toFixed(0)}%)`]);
    rows.push([
      'left out: not in the catalog',
      c.notInCatalog.entries === 0
        ? 'none'
        : `${num(c.notInCatalog.entries)} item events on ${num(c.notInCatalog.ids)} product${c.notInCatalog.ids === 1 ? '' : 's'} (${c.notInCatalog.top.map(([id, n]) => `<code>${esc(id)}</code> ${num(n)}`).join(', ')}${c.notInCatalog.ids > c.notInCatalog.top.length ? ', …' : ''})`,
    ]);
  } else rows.push(['catalog', 'none given: every item id in the data was learned']);
  return `<table id="data">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

function samplesSection(samples: readonly Sample[], titles?: ReportTitles): string {
  if (samples.length === 0) return '<p class="note">No user has a history long enough to show.</p>';
  /** A model item as the variant the data named (`named`), else as its group: never one size standing for another. */
  const item = (id: string, named?: string): string => {
    const own = named === undefined ? undefined : titles?.products.get(named);
    if (own !== undefined) return `${esc(own)} <code>${esc(named!)}</code>`;
    const group = titles?.groups.get(id);
    return group ? `${esc(group)} <code>${esc(id)}</code>` : `<code>${esc(id)}</code>`;
  };
  const cards = samples.map((s) => {
    const earlier = s.length - s.history.length;
    const recs = s.recommended.map((id) => `<li${id === s.next ? ' class="hit"' : ''}>${item(id)}</li>`).join('');
    return `<div class="sample"><p>History${earlier > 0 ? ` (last ${s.history.length} of ${s.length})` : ''}: ${s.history.map((id, i) => item(id, s.named?.[i])).join(' → ')}</p>
<p>Next in reality (held out): ${item(s.next, s.nextNamed)}</p><p>Recommended:</p><ol>${recs}</ol></div>`;
  });
  return `<p class="note">Real histories of a few users picked at random (seeded); the model read the history and recommended these items, the history's own items excluded. A highlighted item is the one the user really went to next. With a catalog, what the user had is named as the variant the data names (the size viewed); the model's items are variant groups, named by the group.</p>
<div id="samples">${cards.join('')}</div>`;
}
