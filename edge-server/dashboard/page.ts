/** The dashboard's HTML: a login form and the page itself. Pure functions of their data, so tests read them directly. */
import { minorDigits, showMajor } from '../../core/currency.ts';
import type { ExperimentReadout } from '../analytics/experiment-readout.ts';
import type { MetricsReadout, RevenueFigures } from '../analytics/readout.ts';
import type { ModelRecord } from '../models/storage.ts';
import { barChart, columnChart, escapeHtml as esc, lineChart } from './charts.ts';

/** One federated round as `GET /v1/admin/rounds` reports it; unreadable fields are null. */
export interface Round {
  model: string;
  round: number | null;
  closedAt: string | null;
  updates: number | null;
  /** Distinct network sources its updates came from (null for rounds from before they were counted). */
  sources: number | null;
  epsilon: number | null;
  totalEpsilon: number | null;
  version: string | null;
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:980px;margin:24px auto;padding:0 16px;color:#1f2430}
h1{font-size:1.5rem}h3{font-size:1rem;margin:1.5rem 0 0}h2{margin-top:2rem;font-size:1.15rem;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:.9rem}th,td{padding:4px 12px;border-bottom:1px solid #e5e7eb;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.muted,.empty p{color:#667085}
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:.75rem;background:#dbeafe;color:#1e40af}.badge.canary{background:#fef3c7;color:#92400e}
.chart{margin:12px 0}.chart figcaption{font-weight:600;margin-bottom:4px}.chart svg{width:100%;height:auto}
.chart text{font-size:11px;fill:#667085}.chart .grid{stroke:#eef0f3}.legend{font-size:.8rem}.key{margin-right:12px}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
header{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap}form.inline{display:inline}
input,button{font:inherit;padding:4px 8px}`;

function shell(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** The sign-in form; `model` (already checked against the model name syntax) is carried to the page it opens. */
export function loginPage(error?: string, model?: string): string {
  return shell(
    'EdgeRecs admin: sign in',
    `<h1>EdgeRecs dashboard</h1>
<form method="post" action="/dashboard/login">${model === undefined ? '' : `<input type="hidden" name="model" value="${esc(model)}">`}
<p><label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label> <button>Sign in</button></p>
${error ? `<p role="alert" style="color:#b91c1c">${esc(error)}</p>` : ''}
<p class="muted">The token is one of the server's admin tokens. Signing in sets an HttpOnly session cookie for this page only, valid for 8 hours.</p>
</form>`,
  );
}

const count = (v: number | null): string => (v === null ? '<span class="muted" title="suppressed: below the threshold">&lt;k</span>' : v.toLocaleString('en'));
const pct = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(2)}%`);
const percentFormat = (v: number): string => `${Number((v * 100).toPrecision(3))}%`;
const SUPPRESSED = '<span class="muted" title="suppressed: fewer purchases behind this revenue than the threshold">&lt;k</span>';

/** One revenue figure per currency, one per line; "–" where nothing was bought after a click. */
function money(revenue: Record<string, RevenueFigures>, figure: 'amount' | 'perImpression' | 'perClick'): string {
  const lines = Object.entries(revenue).map(([currency, r]) => {
    if (r.amount === null) return `${SUPPRESSED} ${esc(currency)}`;
    const v = r[figure];
    // Rates keep two digits below the minor unit where they have them: 0.0617 EUR, 0.60 EUR, 3125 JPY.
    const text = typeof v === 'number' ? v.toFixed(minorDigits(currency) + 2).replace(/\.?0{1,2}$/, '') : v;
    return text === null ? '–' : `${esc(text)} ${esc(currency)}`;
  });
  return lines.length === 0 ? '–' : lines.join('<br>');
}

type Figures = MetricsReadout['groups'][number];
const HEAD = '<th>impressions</th><th>clicks</th><th>add to cart</th><th>purchases</th><th>CTR</th><th>conversion</th><th>revenue</th><th>per impression</th><th>per click</th>';
const cells = (v: Omit<Figures, 'placement' | 'modelVersion' | 'variant'>): string =>
  `<td class="n">${count(v.impression)}</td><td class="n">${count(v.click)}</td><td class="n">${count(v.add_to_cart)}</td><td class="n">${count(v.purchase)}</td>` +
  `<td class="n">${pct(v.ctr)}</td><td class="n">${pct(v.conversion)}</td><td class="n">${money(v.revenue, 'amount')}</td><td class="n">${money(v.revenue, 'perImpression')}</td><td class="n">${money(v.revenue, 'perClick')}</td>`;

export interface DashboardData {
  model: string;
  record: ModelRecord | null;
  metrics: MetricsReadout;
  rounds: Round[];
  /** False when `/v1/admin/rounds` did not answer (federated learning not running on this server). */
  roundsAvailable: boolean;
  /** The model's privacy budget as `GET /v1/admin/privacy-budget` reports it; absent where it did not answer. */
  budget?: PrivacyBudget | null;
  /** The read-out of the running (or last ended) experiment; null or absent where none has run. */
  experiment?: ExperimentReadout | null;
}

const signedPercent = (v: number): string => (v === 0 ? '0%' : `${v > 0 ? '+' : ''}${Number((v * 100).toFixed(1))}%`);
const CONTROL_WORDS: Record<string, string> = {
  bestsellers: 'the non-personalized fallback (the bestseller list, then catalog order)',
  none: 'no recommendations (the rows collapse and reserve no space)',
};

/** An uplift and its interval in words, for the table. */
function upliftCells(i: { estimate: number; ci95: [number, number] } | null | undefined, significant: boolean): string {
  if (!i) return '<td class="n">–</td><td>–</td><td>–</td>';
  return `<td class="n">${signedPercent(i.estimate)}</td><td>${signedPercent(i.ci95[0])} to ${signedPercent(i.ci95[1])}</td><td>${significant ? 'yes: the interval excludes 0' : 'not yet: the interval includes 0'}</td>`;
}

/** The holdout experiment: its setup, each arm, the uplift with its interval, its course over days, and the verdict. */
function experimentSection(model: string, e: ExperimentReadout | null | undefined): string {
  if (!e) {
    return `<div class="empty"><p>No experiment has run for this model. Start one to measure what recommendations earn against a control group: <code>edge-recs experiment start --model ${esc(model)} --name spring-test --holdout 0.1 --control bestsellers</code>.</p></div>`;
  }
  const when = e.endedAt ? `ran from ${esc(e.startedAt)} to ${esc(e.endedAt)}` : `running since ${esc(e.startedAt)}`;
  const setup = `<p><strong>${esc(e.name)}</strong>, ${when}: ${Number((e.holdout * 100).toFixed(1))}% of devices are in the control arm and are shown ${esc(CONTROL_WORDS[e.control] ?? e.control)}; the others get personalized recommendations (treatment).</p>`;
  const verdict = `<p class="verdict"><strong>Verdict:</strong> ${esc(e.verdict)}</p>`;
  const currency = e.currency ? ` (${esc(e.currency)})` : '';
  const money = (v: number | null, shown: boolean): string => (v === null ? (shown ? '–' : SUPPRESSED) : showMajor(v, e.currency));
  const armRows = e.arms
    .map(
      (a) =>
        `<tr><th scope="row">${esc(a.arm)}</th><td class="n">${count(a.sessions)}</td><td class="n">${count(a.conversions)}</td><td class="n">${pct(a.conversionRate)}</td><td class="n">${count(a.orders)}</td><td class="n">${money(a.revenue, e.currency === null)}</td><td class="n">${money(a.revenuePerSession, true)}</td></tr>`,
    )
    .join('');
  const arms = `<table><caption class="muted">Arms</caption><tr><th scope="col">arm</th><th scope="col">sessions</th><th scope="col">sessions with a purchase</th><th scope="col">conversion rate</th><th scope="col">orders</th><th scope="col">revenue${currency}</th><th scope="col">revenue per session${currency}</th></tr>${armRows}</table>`;
  const uplift = `<table><caption class="muted">Uplift of treatment over control</caption><tr><th scope="col">measure</th><th scope="col">uplift</th><th scope="col">95% interval</th><th scope="col">significant</th></tr>
<tr><th scope="row">conversion rate</th>${upliftCells(e.uplift?.conversionRate, e.significant.conversionRate)}</tr>
<tr><th scope="row">revenue per session</th>${upliftCells(e.uplift?.revenuePerSession, e.significant.revenuePerSession)}</tr></table>`;
  const days = e.days.map((d) => d.day);
  // Early intervals can reach far (+900%): drawn up to a ceiling, so the later ones stay readable.
  const estimates = e.days.flatMap((d) => [d.uplift?.conversionRate?.estimate, d.uplift?.revenuePerSession?.estimate]).filter((v): v is number => v !== undefined);
  const ceiling = Math.max(1, ...estimates.map((v) => Math.abs(v) * 1.5));
  let clipped = false;
  const clip = (v: number | undefined): number | null => {
    if (v === undefined) return null;
    if (v > ceiling) clipped = true;
    return Math.min(v, ceiling);
  };
  const line = (key: 'conversionRate' | 'revenuePerSession', label: string) => ({
    label,
    values: e.days.map((d) => d.uplift?.[key]?.estimate ?? null),
    band: { lower: e.days.map((d) => clip(d.uplift?.[key]?.ci95[0])), upper: e.days.map((d) => clip(d.uplift?.[key]?.ci95[1])) },
  });
  const chart = lineChart({
    title: 'Uplift so far, by day, with its 95% interval (shaded)',
    x: days,
    series: [line('conversionRate', 'conversion rate'), line('revenuePerSession', `revenue per session${e.currency ? ` (${e.currency})` : ''}`)],
    format: signedPercent,
  });
  const clipNote = clipped ? `<p class="muted">Where an interval reaches above ${signedPercent(ceiling)} (early days, with few sessions) the chart draws it up to there; the current interval is given whole in the table above.</p>` : '';
  const others = e.otherCurrencies.length > 0 ? ` Revenue is read in ${esc(e.currency ?? '')}, the currency most revenue reports came in; sessions that paid only in ${e.otherCurrencies.map(esc).join(', ')} count here as sessions without revenue.` : '';
  return `${setup}${verdict}${arms}${uplift}${chart}${clipNote}
<p class="muted">A session is a visit with a recommendation row on a page (it ends after 30 minutes without activity); a conversion is a session with a purchase, counted on the shopper's device from the shop's own events, whether or not a recommendation was clicked. Uplift is relative: treatment's rate over control's, less 1.
The intervals are always valid: they stay honest however often you look, so you may check every day and stop once the interval excludes 0.${others}
${e.suppressedBelow > 1 ? `Counts from 1 to ${e.suppressedBelow - 1} are not shown (&lt;k), nor revenue made up of fewer than ${e.suppressedBelow} device reports, nor an uplift that would need one.` : ''}</p>`;
}

/** ε spent against the caps, and every reset (`GET /v1/admin/privacy-budget`). */
export interface PrivacyBudget {
  totalEpsilon: number;
  epsilonBudget: number;
  todayEpsilon: number;
  epsilonPerDay: number;
  resets: Array<{ at: string; by: string; before: { totalEpsilon: number; todayEpsilon: number } }>;
}

function budgetSection(model: string, b: PrivacyBudget | null | undefined): string {
  if (!b) return '';
  const resets = b.resets.length
    ? `<table><tr><th>reset at</th><th>by</th><th>total epsilon before</th><th>today before</th></tr>${[...b.resets]
        .reverse()
        .map((r) => `<tr><td>${esc(r.at)}</td><td><code>${esc(r.by)}</code></td><td class="n">${r.before.totalEpsilon.toFixed(3)}</td><td class="n">${r.before.todayEpsilon.toFixed(3)}</td></tr>`)
        .join('')}</table>`
    : '<p>The budget has never been reset.</p>';
  return `<p>Privacy budget: epsilon spent today (UTC) <strong>${b.todayEpsilon.toFixed(3)}</strong> of ${b.epsilonPerDay.toFixed(3)} per day; in total <strong>${b.totalEpsilon.toFixed(3)}</strong> of ${b.epsilonBudget.toFixed(3)}${b.resets.length ? ' since the last reset' : ''}. An admin resets it with <code>POST /v1/admin/privacy-budget/${esc(model)}/reset</code> (bearer token); each reset is recorded here.</p>${resets}`;
}

function versionsSection(record: ModelRecord | null, model: string): string {
  if (!record) return `<div class="empty"><p>No model named <code>${esc(model)}</code> is published yet (<code>edge-recs publish</code>).</p></div>`;
  const rows = [...record.versions]
    .reverse()
    .map((v) => {
      const badges = [
        v.version === record.current ? '<span class="badge">current</span>' : '',
        record.canary?.version === v.version ? `<span class="badge canary">canary ${record.canary.percent}%</span>` : '',
      ].join(' ');
      return `<tr><td><code>${esc(v.version)}</code> ${badges}</td><td>${esc(v.publishedAt)}</td><td><code>${esc(v.manifestSha256.slice(0, 12))}</code></td></tr>`;
    })
    .join('');
  return `<table><tr><th>version</th><th>published</th><th>manifest</th></tr>${rows}</table>`;
}

/** What the read-out hides at `k`; a 0 is always shown (it points at no shopper). */
function suppressionNote(k: number): string {
  if (k === 1) return 'Every count and all revenue are shown (k = 1).';
  return `Counts from 1 to ${k - 1} are not shown (&lt;k), nor any rate that needs one, nor revenue with fewer than ${k} purchases behind it.`;
}

/** The days the figures sum, and any day that reached the cell cap (its new cells were not counted). */
function rangeNote(m: MetricsReadout): string {
  const range = `<p class="muted">Figures sum ${m.from === m.to ? esc(m.from) : `${esc(m.from)} to ${esc(m.to)}`} (UTC days).</p>`;
  if (m.dropped.length === 0) return range;
  const days = m.dropped.map((d) => `${esc(d.day)} (${d.entries.toLocaleString('en')})`).join(', ');
  return `${range}<p role="note" style="color:#b91c1c">Some counts were not kept: on ${days} the model reached its ${m.maxCellsPerDay.toLocaleString('en')} distinct counters for the day, and counters and revenue sums for new combinations of placement, version and variant were dropped (counted here in brackets); counters that existed kept counting. Many new combinations in a day usually mean forged batches.</p>`;
}

/** A link to the next page of the finest groups, for the same model and days. */
function nextGroups(m: MetricsReadout): string {
  if (m.nextCursor === null) return '';
  const days = Math.round((Date.parse(m.to) - Date.parse(m.from)) / 86_400_000) + 1;
  const href = `/dashboard?${new URLSearchParams({ model: m.model, to: m.to, days: String(days), cursor: m.nextCursor }).toString()}`;
  return `<p>${m.groups.length.toLocaleString('en')} of ${m.groupCount.toLocaleString('en')} rows shown. <a href="${esc(href)}">Next rows</a></p>`;
}

function metricsSection(m: MetricsReadout): string {
  if (m.groupCount === 0) return `<div class="empty"><p>No metrics received for this model from ${esc(m.from)} to ${esc(m.to)}.</p></div>${m.dropped.length > 0 ? rangeNote(m) : ''}`;
  const days = [...new Set(m.daily.map((d) => d.day))].sort();
  const placements = [...new Set(m.daily.map((d) => d.placement))].sort();
  const ctrByDay = lineChart({
    title: 'CTR by day and placement',
    x: days,
    series: placements.map((p) => ({ label: p, values: days.map((d) => m.daily.find((r) => r.day === d && r.placement === p)?.ctr ?? null) })),
    format: percentFormat,
  });
  const impressionsByDay = lineChart({
    title: 'Impressions by day and placement',
    x: days,
    series: placements.map((p) => ({ label: p, values: days.map((d) => m.daily.find((r) => r.day === d && r.placement === p)?.impression ?? null) })),
  });
  const variantLabels = m.byVariant.map((v) => `${v.placement} · ${v.variant}`);
  const byVariant = barChart({
    title: 'CTR and conversion by placement and copy variant',
    x: variantLabels,
    series: [
      { label: 'CTR (clicks / impressions)', values: m.byVariant.map((v) => v.ctr) },
      { label: 'conversion (purchases / clicks)', values: m.byVariant.map((v) => v.conversion) },
    ],
    format: percentFormat,
  });
  const byVersion = barChart({
    title: 'CTR and conversion by model version',
    x: m.byVersion.map((v) => v.modelVersion),
    series: [
      { label: 'CTR', values: m.byVersion.map((v) => v.ctr) },
      { label: 'conversion', values: m.byVersion.map((v) => v.conversion) },
    ],
    format: percentFormat,
  });
  // Revenue per click, charted in the currency with the most orders (a chart cannot add up currencies).
  const orders = new Map<string, number>();
  for (const v of m.byVariant) for (const [c, r] of Object.entries(v.revenue)) orders.set(c, (orders.get(c) ?? 0) + (r.orders ?? 0));
  const main = [...orders].sort((a, b) => b[1] - a[1])[0]?.[0];
  const revenueChart = main
    ? barChart({
        title: `Revenue per click (${main}) by placement and copy variant`,
        x: variantLabels,
        series: [{ label: `${main} per click`, values: m.byVariant.map((v) => v.revenue[main]?.perClick ?? null) }],
      })
    : '';
  const variantRows = m.byVariant.map((v) => `<tr><td>${esc(v.placement)}</td><td><code>${esc(v.variant)}</code></td>${cells(v)}</tr>`).join('');
  const versionRows = m.byVersion.map((v) => `<tr><td><code>${esc(v.modelVersion)}</code></td>${cells(v)}</tr>`).join('');
  const groupRows = m.groups.map((v) => `<tr><td>${esc(v.placement)}</td><td><code>${esc(v.modelVersion)}</code></td><td><code>${esc(v.variant)}</code></td>${cells(v)}</tr>`).join('');
  return `${rangeNote(m)}${ctrByDay}${impressionsByDay}${byVariant}${byVersion}${revenueChart}
<h3>By placement and copy variant</h3>
<table><tr><th>placement</th><th>variant</th>${HEAD}</tr>${variantRows}</table>
<h3>By model version</h3>
<table><tr><th>model version</th>${HEAD}</tr>${versionRows}</table>
<h3>By placement, model version and copy variant</h3>
<table><tr><th>placement</th><th>model version</th><th>variant</th>${HEAD}</tr>${groupRows}</table>${nextGroups(m)}
<p class="muted">Impressions are viewable impressions (IAB/MRC): a card counts one once at least 50% of it has been in view for 1 continuous second while the tab was visible.
Conversion is purchases (clicked products bought) per click. Revenue is the clicked products' share of the orders placed within 7 days of the click, by currency; per impression and per click divide it by the cards' impressions and clicks.
Each order is credited to one row, the one whose clicked products make up most of it, so orders add up over rows; its revenue is split over every row whose products it holds.
${suppressionNote(m.suppressedBelow)} A rate with nothing to divide by (no impressions, no clicks) is –.</p>`;
}

function roundsSection(rounds: Round[], available: boolean): string {
  if (rounds.length === 0) {
    return `<div class="empty"><p>${available ? 'No federated round has closed for this model yet.' : 'Federated rounds are not available on this server.'}</p></div>`;
  }
  const sorted = [...rounds].sort((a, b) => (a.round ?? 0) - (b.round ?? 0));
  const x = sorted.map((r) => String(r.round ?? '?'));
  const epsilon = lineChart({
    title: 'Privacy budget spent (epsilon)',
    x,
    series: [
      { label: 'total epsilon', values: sorted.map((r) => r.totalEpsilon) },
      { label: 'epsilon of the round', values: sorted.map((r) => r.epsilon) },
    ],
  });
  const updates = columnChart({ title: 'Updates aggregated per round', x, series: [{ label: 'updates', values: sorted.map((r) => r.updates) }] });
  const rows = sorted
    .slice(-20)
    .reverse()
    .map(
      (r) =>
        `<tr><td class="n">${r.round ?? '–'}</td><td>${esc(r.closedAt ?? '–')}</td><td class="n">${r.updates ?? '–'}</td><td class="n">${r.sources ?? '–'}</td><td class="n">${r.epsilon?.toFixed(3) ?? '–'}</td><td class="n">${r.totalEpsilon?.toFixed(3) ?? '–'}</td><td><code>${esc(r.version ?? '–')}</code></td></tr>`,
    )
    .join('');
  return `${epsilon}${updates}<table><tr><th>round</th><th>closed</th><th>updates</th><th>sources</th><th>epsilon</th><th>total epsilon</th><th>version</th></tr>${rows}</table>`;
}

export function dashboardPage(d: DashboardData): string {
  return shell(
    `EdgeRecs dashboard: ${d.model}`,
    `<header><h1>EdgeRecs dashboard</h1>
<form method="get" action="/dashboard" class="inline"><label>Model <input name="model" value="${esc(d.model)}" size="12"></label> <button>Show</button></form>
<form method="post" action="/dashboard/logout" class="inline"><button>Sign out</button></form></header>
<main><h2>Model versions</h2>${versionsSection(d.record, d.model)}
<h2>Experiment: recommendations against a control group</h2>${experimentSection(d.model, d.experiment)}
<h2>Recommendations: CTR, conversion and revenue</h2>${metricsSection(d.metrics)}
<h2>Federated rounds</h2>${budgetSection(d.model, d.budget)}${roundsSection(d.rounds, d.roundsAvailable)}</main>`,
  );
}
