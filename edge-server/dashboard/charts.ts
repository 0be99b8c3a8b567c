/**
 * Charts as inline SVG, drawn on the server. The dashboard must render the same on Node and on Workers,
 * where there is no file system to serve a chart library from, and a page without script can run under
 * a CSP that allows none (`script-src` unset), which suits the one page that holds admin data.
 */

export interface Series {
  label: string;
  /** One value per x position; `null` is a gap (e.g. a suppressed count). */
  values: ReadonlyArray<number | null>;
}

export interface ChartInput {
  title: string;
  /** Labels of the x positions (days, rounds, placements). */
  x: readonly string[];
  series: readonly Series[];
  /** Formats a y value for the axis and tooltips. Default: up to 3 significant digits. */
  format?: (value: number) => string;
}

const COLORS = ['#2563eb', '#c2410c', '#16a34a', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#4b5563'];
const W = 720;
const H = 240;
const PAD = { left: 56, right: 16, top: 16, bottom: 44 };

export const escapeHtml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const defaultFormat = (v: number): string => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : Number(v.toPrecision(3)).toString());

/** A "nice" upper bound for the y axis (1, 2, 2.5 or 5 times a power of ten). */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 2.5, 5, 10].find((m) => m * p >= max) ?? 10) * p;
}

function frame(input: ChartInput, body: (sx: (i: number) => number, sy: (v: number) => number, band: number) => string, yMin = 0): string {
  const format = input.format ?? defaultFormat;
  const values = input.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  if (values.length === 0) return `<figure class="chart empty"><figcaption>${escapeHtml(input.title)}</figcaption><p>No data to show yet.</p></figure>`;
  const top = niceMax(Math.max(...values));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const n = Math.max(1, input.x.length);
  const band = plotW / n;
  const sx = (i: number): number => PAD.left + band * (i + 0.5);
  const sy = (v: number): number => PAD.top + plotH * (1 - (v - yMin) / (top - yMin));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => yMin + f * (top - yMin));
  const grid = ticks
    .map((t) => `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(format(t))}</text>`)
    .join('');
  // At most ~12 x labels, evenly spaced, so long day ranges stay legible.
  const every = Math.ceil(n / 12);
  const labels = input.x
    .map((label, i) => (i % every === 0 ? `<text x="${sx(i).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${escapeHtml(label)}</text>` : ''))
    .join('');
  const legend = input.series
    .map((s, i) => `<span class="key"><i style="background:${COLORS[i % COLORS.length]}"></i>${escapeHtml(s.label)}</span>`)
    .join('');
  return `<figure class="chart"><figcaption>${escapeHtml(input.title)}</figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(input.title)}">${grid}${body(sx, sy, band)}${labels}</svg>
<div class="legend">${legend}</div></figure>`;
}

/** One line per series over the x positions; gaps where a value is null. */
export function lineChart(input: ChartInput): string {
  const format = input.format ?? defaultFormat;
  return frame(input, (sx, sy) =>
    input.series
      .map((s, k) => {
        const color = COLORS[k % COLORS.length];
        const runs: string[][] = [[]];
        s.values.forEach((v, i) => {
          if (v === null || !Number.isFinite(v)) runs.push([]);
          else runs[runs.length - 1]!.push(`${sx(i).toFixed(1)},${sy(v).toFixed(1)}`);
        });
        const lines = runs.filter((r) => r.length > 1).map((r) => `<polyline points="${r.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
        const dots = s.values
          .map((v, i) =>
            v === null || !Number.isFinite(v)
              ? ''
              : `<circle cx="${sx(i).toFixed(1)}" cy="${sy(v).toFixed(1)}" r="3" fill="${color}"><title>${escapeHtml(`${s.label} · ${input.x[i] ?? ''}: ${format(v)}`)}</title></circle>`,
          )
          .join('');
        return lines.join('') + dots;
      })
      .join(''),
  );
}

/** Grouped bars: one group per x position, one bar per series. */
export function barChart(input: ChartInput): string {
  const format = input.format ?? defaultFormat;
  return frame(input, (sx, sy, band) => {
    const k = input.series.length;
    const barW = Math.max(2, (band * 0.8) / k);
    return input.series
      .map((s, j) =>
        s.values
          .map((v, i) => {
            if (v === null || !Number.isFinite(v)) return '';
            const x = sx(i) - (barW * k) / 2 + j * barW;
            const y = sy(Math.max(0, v));
            return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(sy(0) - y).toFixed(1)}" fill="${COLORS[j % COLORS.length]}"><title>${escapeHtml(`${s.label} · ${input.x[i] ?? ''}: ${format(v)}`)}</title></rect>`;
          })
          .join(''),
      )
      .join('');
  });
}
