/**
 * Charts as inline SVG, drawn on the server. The dashboard must render the same on Node and on Workers,
 * where there is no file system to serve a chart library from, and a page without script can run under
 * a CSP that allows none (`script-src` unset), which suits the one page that holds admin data.
 *
 * No two labels of a chart overlap, whatever their number and length: category labels sit on rows of
 * their own to the left of horizontal bars (`barChart`), and labels along an x axis (`lineChart`,
 * `columnChart`) are thinned to every n-th so that each has room for its width. Widths are estimated by
 * `textWidth`, which errs wide; a category label too long for its column is shortened with "…" and
 * keeps its full text as a tooltip.
 */

export interface Series {
  label: string;
  /** One value per x position; `null` is a gap (e.g. a suppressed count). */
  values: ReadonlyArray<number | null>;
  /**
   * A band around the line (`lineChart` only), e.g. a confidence interval: its lower and upper bound per
   * x position, drawn as a light area in the series' colour; `null` where there is none.
   */
  band?: { lower: ReadonlyArray<number | null>; upper: ReadonlyArray<number | null> };
}

export interface ChartInput {
  title: string;
  /** Labels of the x positions (days, rounds), or of the categories of a bar chart. */
  x: readonly string[];
  series: readonly Series[];
  /** Formats a value for the axis and tooltips. Default: up to 3 significant digits. */
  format?: (value: number) => string;
}

const COLORS = ['#2563eb', '#c2410c', '#16a34a', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#4b5563'];
const W = 720;
const H = 240;
const PAD = { left: 56, right: 16, top: 16, bottom: 44 };

/** The labels' font size in px (the page's `.chart text` style). */
export const FONT_SIZE = 11;
/** Room kept between two labels, in px. */
const LABEL_GAP = 8;

export const escapeHtml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const defaultFormat = (v: number): string => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : Number(v.toPrecision(3)).toString());

/**
 * The width a label takes at `FONT_SIZE`, in px, estimated on the wide side: per character, in em, a
 * little above what DejaVu Sans (the sans-serif of Debian's Chromium, wider than most system fonts)
 * draws for its class.
 */
export function textWidth(text: string): number {
  let em = 0;
  for (const ch of text) {
    if (/[ijlftr.,:;!|'()[\] ]/.test(ch)) em += 0.42;
    else if (/[mwMW@%]/.test(ch) || ch.codePointAt(0)! > 0x7f) em += 1.02;
    else if (/[A-Z]/.test(ch)) em += 0.82;
    else em += 0.66;
  }
  return em * FONT_SIZE;
}

/** `text` cut to fit `width` px, ending in "…" when cut. */
function fit(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  const chars = [...text];
  while (chars.length > 0 && textWidth(`${chars.join('')}…`) > width) chars.pop();
  return `${chars.join('')}…`;
}

/** A "nice" upper bound for the value axis (1, 2, 2.5 or 5 times a power of ten). */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 2.5, 5, 10].find((m) => m * p >= max) ?? 10) * p;
}

const finite = (input: ChartInput): number[] =>
  input.series.flatMap((s) => [...s.values, ...(s.band?.lower ?? []), ...(s.band?.upper ?? [])].filter((v): v is number => v !== null && Number.isFinite(v)));

const empty = (input: ChartInput): string => `<figure class="chart empty"><figcaption>${escapeHtml(input.title)}</figcaption><p>No data to show yet.</p></figure>`;

function figure(input: ChartInput, height: number, svg: string): string {
  const legend = input.series
    .map((s, i) => `<span class="key"><i style="background:${COLORS[i % COLORS.length]}"></i>${escapeHtml(s.label)}</span>`)
    .join('');
  return `<figure class="chart"><figcaption>${escapeHtml(input.title)}</figcaption>
<svg viewBox="0 0 ${W} ${height}" role="img" aria-label="${escapeHtml(input.title)}">${svg}</svg>
<div class="legend">${legend}</div></figure>`;
}

/**
 * An x axis over positions: vertical value axis on the left, labels below, every n-th where they would
 * crowd. The value axis starts at 0, or below it where a value is negative (an uplift), with 0 a tick.
 */
function frame(input: ChartInput, body: (sx: (i: number) => number, sy: (v: number) => number, band: number) => string): string {
  const format = input.format ?? defaultFormat;
  const values = finite(input);
  if (values.length === 0) return empty(input);
  const least = Math.min(...values);
  // Below 0: ticks a "nice" step apart through 0, over the whole range (an uplift from -40% to +900%).
  const step = least < 0 ? niceMax((Math.max(0, ...values) - least) / 4) : 0;
  const top = least < 0 ? Math.max(step, Math.ceil(Math.max(...values) / step) * step) : niceMax(Math.max(...values));
  const bottom = least < 0 ? Math.floor(least / step) * step : 0;
  const n = Math.max(1, input.x.length);
  // Room for half of the last label right of its position (labels are centred under it).
  const right = Math.max(PAD.right, Math.ceil(textWidth(input.x[n - 1] ?? '') / 2));
  const plotW = W - PAD.left - right;
  const plotH = H - PAD.top - PAD.bottom;
  const band = plotW / n;
  const sx = (i: number): number => PAD.left + band * (i + 0.5);
  const sy = (v: number): number => PAD.top + plotH * (1 - (v - bottom) / (top - bottom));
  const ticks = bottom === 0 ? [0, 0.25, 0.5, 0.75, 1].map((f) => f * top) : Array.from({ length: Math.round((top - bottom) / step) + 1 }, (_, i) => bottom + i * step);
  const grid = ticks
    .map((t) => `<line x1="${PAD.left}" x2="${W - right}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(format(t))}</text>`)
    .join('');
  // Every n-th label, n the smallest that leaves each shown label its width and a gap.
  const widest = Math.max(...input.x.map(textWidth), 0);
  const every = Math.max(1, Math.ceil((widest + LABEL_GAP) / band));
  const labels = input.x
    .map((label, i) => (i % every === 0 ? `<text x="${sx(i).toFixed(1)}" y="${H - PAD.bottom + 20}" text-anchor="middle">${escapeHtml(label)}</text>` : ''))
    .join('');
  return figure(input, H, `${grid}${body(sx, sy, band)}${labels}`);
}

/** " (lo to hi)" of a band at position `i`, for a tooltip; "" where there is none. */
function bandText(s: Series, i: number, format: (v: number) => string): string {
  const lo = s.band?.lower[i];
  const hi = s.band?.upper[i];
  return typeof lo === 'number' && typeof hi === 'number' ? ` (${format(lo)} to ${format(hi)})` : '';
}

/** One line per series over the x positions, with its band where it has one; gaps where a value is null. */
export function lineChart(input: ChartInput): string {
  const format = input.format ?? defaultFormat;
  return frame(input, (sx, sy) =>
    input.series
      .map((s, k) => {
        const color = COLORS[k % COLORS.length];
        // The band: one area per run of positions that have both bounds.
        const areas: Array<Array<[number, number, number]>> = [[]];
        s.values.forEach((_, i) => {
          const lo = s.band?.lower[i];
          const hi = s.band?.upper[i];
          if (lo === null || lo === undefined || hi === null || hi === undefined || !Number.isFinite(lo) || !Number.isFinite(hi)) areas.push([]);
          else areas[areas.length - 1]!.push([sx(i), sy(lo), sy(hi)]);
        });
        const band = areas
          .filter((a) => a.length > 0)
          .map((a) => {
            // A single position is drawn as a short bar, a run as the area between its bounds.
            const pts = a.length === 1 ? [[a[0]![0] - 3, a[0]![1], a[0]![2]] as const, [a[0]![0] + 3, a[0]![1], a[0]![2]] as const] : a;
            const upper = pts.map(([x, , hi]) => `${x.toFixed(1)},${hi.toFixed(1)}`);
            const lower = [...pts].reverse().map(([x, lo]) => `${x.toFixed(1)},${lo.toFixed(1)}`);
            return `<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`;
          })
          .join('');
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
              : `<circle cx="${sx(i).toFixed(1)}" cy="${sy(v).toFixed(1)}" r="3" fill="${color}"><title>${escapeHtml(`${s.label} · ${input.x[i] ?? ''}: ${format(v)}${bandText(s, i, format)}`)}</title></circle>`,
          )
          .join('');
        return band + lines.join('') + dots;
      })
      .join(''),
  );
}

/** Vertical bars over an ordered x axis (rounds, days): one group per position, one bar per series. */
export function columnChart(input: ChartInput): string {
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

const BAR = 9;
const GROUP_GAP = 8;
/** A row is at least a line of text and a gap high, so labels on consecutive rows never touch. */
const MIN_ROW = FONT_SIZE + LABEL_GAP;
/** The widest the category labels' column gets; longer labels are shortened. */
const MAX_LABEL = Math.round(W * 0.4);
const AXIS = 24;

/**
 * Horizontal bars for categories (placement · variant, model versions): one row per category, its label
 * on the left, one bar per series. The chart grows a row per category, so any number of them stays
 * legible.
 */
export function barChart(input: ChartInput): string {
  const format = input.format ?? defaultFormat;
  const values = finite(input);
  if (values.length === 0) return empty(input);
  const top = niceMax(Math.max(...values));
  const k = Math.max(1, input.series.length);
  const row = Math.max(MIN_ROW, k * BAR + GROUP_GAP);
  const labelW = Math.min(MAX_LABEL, Math.ceil(Math.max(...input.x.map(textWidth), 0)));
  const left = LABEL_GAP + labelW + LABEL_GAP;
  // Room for half of the last tick's label right of the axis end.
  const right = Math.max(PAD.right, Math.ceil(textWidth(format(top)) / 2) + 2);
  const plotW = W - left - right;
  const height = PAD.top + row * input.x.length + AXIS;
  const sx = (v: number): number => left + (plotW * Math.max(0, v)) / top;
  const plotBottom = PAD.top + row * input.x.length;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  const grid = ticks
    .map((t) => `<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${PAD.top}" y2="${plotBottom}" class="grid"/><text x="${sx(t).toFixed(1)}" y="${plotBottom + 16}" text-anchor="middle">${escapeHtml(format(t))}</text>`)
    .join('');
  const rows = input.x
    .map((label, i) => {
      const y0 = PAD.top + row * i;
      const shown = fit(label, labelW);
      const title = shown === label ? '' : `<title>${escapeHtml(label)}</title>`;
      const text = `<text x="${left - LABEL_GAP}" y="${(y0 + row / 2 + FONT_SIZE * 0.35).toFixed(1)}" text-anchor="end">${title}${escapeHtml(shown)}</text>`;
      const bars = input.series
        .map((s, j) => {
          const v = s.values[i];
          if (v === null || v === undefined || !Number.isFinite(v)) return '';
          const y = y0 + (row - k * BAR) / 2 + j * BAR;
          return `<rect x="${left}" y="${y.toFixed(1)}" width="${(sx(v) - left).toFixed(1)}" height="${BAR - 1}" fill="${COLORS[j % COLORS.length]}"><title>${escapeHtml(`${s.label} · ${label}: ${format(v)}`)}</title></rect>`;
        })
        .join('');
      return text + bars;
    })
    .join('');
  return figure(input, height, `${grid}${rows}`);
}
