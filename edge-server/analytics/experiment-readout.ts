/**
 * The read-out of a holdout experiment (`experiment` in `GET /v1/admin/metrics`): each arm's summed
 * session counts and revenue, the relative uplift of treatment over control with its always-valid 95%
 * interval (`readOut`, `core/experiment-stats.ts`), a plain-language verdict, and the same read-out as it
 * stood at the end of each UTC day since the start (for the chart).
 *
 * Small counts are suppressed on read as everywhere else (`readout.ts`): an arm's count from 1 to k - 1 is
 * `null`, so is its revenue while fewer than k device reports make it up, and so is any rate or uplift
 * that would need a hidden figure, since the uplift and the other arm's figures would give it away.
 */
import { fromMinor, minorDigits } from '../../core/currency.ts';
import { readOut, type ArmTotals, type Interval } from '../../core/experiment-stats.ts';
import { ARMS, type Arm, type Experiment } from '../../core/experiment.ts';
import { round, shownCount } from './readout.ts';
import type { EndedExperiment, ExperimentCountRow, ExperimentRevenueRow } from './store.ts';

/** One arm as the read-out shows it; `null` where suppressed (from 1 to k - 1) or where a rate has nothing to divide by. */
export interface ArmFigures {
  arm: Arm;
  /** Sessions with the widget on a page (exposed sessions). */
  sessions: number | null;
  /** Sessions with at least one purchase. */
  conversions: number | null;
  /** `conversions / sessions`. */
  conversionRate: number | null;
  orders: number | null;
  /** Revenue in `currency`, in major units (`1234.5` EUR). */
  revenue: number | null;
  /** `revenue / sessions`, in major units. */
  revenuePerSession: number | null;
  /** The read-out currency (the same for both arms), or `null` where nothing was bought with a price. */
  currency: string | null;
}

/** Relative uplift of treatment over control (0.05 = +5%), with its always-valid 95% interval. */
export interface Uplift {
  conversionRate: Interval | null;
  revenuePerSession: Interval | null;
}

export interface ExperimentDay {
  /** UTC day, `YYYY-MM-DD`: figures are cumulative from the start through its end. */
  day: string;
  /** Sessions per arm so far (suppressed like the arms'). */
  sessions: Record<Arm, number | null>;
  /** The uplift as it read at the end of the day; `null` while an arm's figures are suppressed. */
  uplift: Uplift | null;
}

export interface ExperimentReadout extends Experiment {
  /** When it was ended; `null` while it runs. */
  endedAt: string | null;
  /**
   * The currency revenue is read in: of the currencies bought in, the one with the most revenue reports
   * (batch entries carrying revenue) over both arms. A session that paid only in another currency counts
   * here as a session without revenue; conversions count every purchase whatever its currency.
   */
  currency: string | null;
  /** Other currencies revenue was reported in (not in the figures). */
  otherCurrencies: string[];
  /** Treatment first, then control. */
  arms: ArmFigures[];
  /** `null` while either arm's sessions are suppressed. */
  uplift: Uplift | null;
  /** Whether each interval excludes 0 (always-valid, so it may be checked every day). */
  significant: { conversionRate: boolean; revenuePerSession: boolean };
  verdict: string;
  /** About how many more sessions, both arms together, until the smallest uplift worth seeing would be seen (`readOut`); `null` where not known. */
  sessionsNeeded: number | null;
  /** Counts and revenue suppressed below this (as the rest of the read-out). */
  suppressedBelow: number;
  /**
   * Cumulative read-out at the end of each UTC day since the start that has counts (at most `MAX_DAYS`, the
   * latest), but for days merged into the next because their own counts were from 1 to k - 1 (`listedDays`).
   */
  days: ExperimentDay[];
}

/** Days `days` lists: a year and a day, the latest; older days still count in the cumulative figures. */
const MAX_DAYS = 366;

const ZERO = (): ArmTotals => ({ sessions: 0, conversions: 0, orders: 0, revenue: 0, revenueSquares: 0 });


/** The currency with the most revenue reports over both arms (ties: alphabetical), and the others. */
function readoutCurrency(revenue: readonly ExperimentRevenueRow[]): { currency: string | null; others: string[] } {
  const entries = new Map<string, number>();
  for (const r of revenue) entries.set(r.currency, (entries.get(r.currency) ?? 0) + r.entries);
  const sorted = [...entries].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c]) => c);
  return { currency: sorted[0] ?? null, others: sorted.slice(1).sort() };
}

interface Totals {
  arm: Record<Arm, ArmTotals>;
  /** Revenue reports per arm in the read-out currency (what revenue suppression counts). */
  entries: Record<Arm, number>;
}

function emptyTotals(): Totals {
  return { arm: { treatment: ZERO(), control: ZERO() }, entries: { treatment: 0, control: 0 } };
}

function addDay(totals: Totals, counts: readonly ExperimentCountRow[], revenue: readonly ExperimentRevenueRow[], currency: string | null): void {
  for (const c of counts) {
    const t = totals.arm[c.arm];
    t.sessions += c.sessions;
    t.conversions += c.purchaseSessions;
    t.orders += c.orders;
  }
  for (const r of revenue) {
    if (r.currency !== currency) continue;
    totals.arm[r.arm].revenue += r.amount;
    totals.arm[r.arm].revenueSquares += r.squares;
    totals.entries[r.arm] += r.entries;
  }
}

interface Shown {
  arms: ArmFigures[];
  uplift: Uplift | null;
  significant: { conversionRate: boolean; revenuePerSession: boolean };
  verdict: string;
  sessionsNeeded: number | null;
}

/** The suppressed figures of `totals`, and the uplift where nothing it needs is hidden. */
function show(totals: Totals, currency: string | null, k: number): Shown {
  const digits = currency === null ? 0 : minorDigits(currency);
  const arms = ARMS.map((arm): ArmFigures => {
    const t = totals.arm[arm];
    const sessions = shownCount(t.sessions, k);
    const conversions = shownCount(t.conversions, k);
    // Revenue is hidden while fewer than k reports make it up (a 0 is shown: nobody is behind it).
    const revenueShown = t.revenue === 0 || totals.entries[arm] >= k;
    const revenue = currency !== null && revenueShown ? Number(fromMinor(t.revenue, currency)) : null;
    return {
      arm,
      sessions,
      conversions,
      conversionRate: sessions === null || conversions === null || sessions === 0 ? null : round(conversions / sessions, 4),
      orders: shownCount(t.orders, k),
      revenue,
      revenuePerSession: revenue === null || sessions === null || sessions === 0 ? null : round(revenue / sessions, digits + 2),
      currency,
    };
  });
  const [treatment, control] = arms as [ArmFigures, ArmFigures];
  const none = { conversionRate: false, revenuePerSession: false };
  if (totals.arm.treatment.sessions + totals.arm.control.sessions === 0) {
    return { arms, uplift: null, significant: none, verdict: 'No sessions counted yet.', sessionsNeeded: null };
  }
  if (treatment.sessions === null || control.sessions === null) {
    return { arms, uplift: null, significant: none, verdict: `Not enough data yet: each arm needs at least ${k} sessions before its figures are shown.`, sessionsNeeded: null };
  }
  const conversionHidden = treatment.conversions === null || control.conversions === null;
  // Without a currency nothing was bought with a price: there is no revenue to hide (both arms 0).
  const revenueHidden = currency !== null && (treatment.revenue === null || control.revenue === null);
  // Hidden figures never reach the statistics: the interval or verdict would give them away.
  const safe = (t: ArmTotals): ArmTotals => ({
    sessions: t.sessions,
    conversions: conversionHidden ? 0 : t.conversions,
    orders: t.orders,
    revenue: revenueHidden ? 0 : t.revenue,
    revenueSquares: revenueHidden ? 0 : t.revenueSquares,
  });
  const result = readOut(safe(totals.arm.treatment), safe(totals.arm.control));
  const uplift: Uplift = {
    conversionRate: conversionHidden ? null : result.conversionRate,
    revenuePerSession: revenueHidden ? null : result.revenuePerSession,
  };
  const significant = {
    conversionRate: !conversionHidden && result.significant.conversionRate,
    revenuePerSession: !revenueHidden && result.significant.revenuePerSession,
  };
  const verdict = conversionHidden
    ? `Not enough data yet: each arm needs at least ${k} sessions with a purchase before conversion and revenue are compared.`
    : revenueHidden
      ? `${result.verdict} Revenue is compared once each arm has at least ${k} revenue reports.`
      : result.verdict;
  return { arms, uplift, significant, verdict, sessionsNeeded: result.sessionsNeeded };
}

/** Whether `later` differs from `earlier` by 0 or at least `k` in every count the read-out shows or rests on. */
function apart(later: Totals, earlier: Totals, k: number): boolean {
  return ARMS.every((arm) => {
    const a = later.arm[arm];
    const b = earlier.arm[arm];
    return [a.sessions - b.sessions, a.conversions - b.conversions, a.orders - b.orders, later.entries[arm] - earlier.entries[arm]].every((d) => d === 0 || d >= k);
  });
}

/**
 * The days whose cumulative read-out is listed: the last (the read-out itself), and going back, each day
 * whose figures differ from the next listed day's by 0 or at least k in every count. Two listed read-outs
 * a day apart would otherwise give away that day's own counts, which may be from 1 to k - 1 (3 sessions
 * and 1 purchase yesterday); such a day is merged into the next listed one. The latest `MAX_DAYS` are kept.
 */
function listedDays(snapshots: ReadonlyArray<{ day: string; totals: Totals }>, k: number): Array<{ day: string; totals: Totals }> {
  const listed: Array<{ day: string; totals: Totals }> = [];
  for (let i = snapshots.length - 1; i >= 0 && listed.length < MAX_DAYS; i--) {
    const next = listed.at(-1);
    if (!next || apart(next.totals, snapshots[i]!.totals, k)) listed.push(snapshots[i]!);
  }
  return listed.reverse();
}

/**
 * Builds an experiment's read-out from its stored cells (every day of it); `k` is the smallest count
 * shown. Days before the experiment's start day are left out (a name reused after it was forgotten).
 */
export function experimentReadout(experiment: Experiment | EndedExperiment, counts: readonly ExperimentCountRow[], revenue: readonly ExperimentRevenueRow[], k: number): ExperimentReadout {
  const startDay = experiment.startedAt.slice(0, 10);
  const mine = <R extends { day: string; experiment: string }>(rows: readonly R[]): R[] => rows.filter((r) => r.experiment === experiment.name && r.day >= startDay);
  const ownCounts = mine(counts);
  const ownRevenue = mine(revenue);
  const { currency, others } = readoutCurrency(ownRevenue);
  const byDay = new Map<string, { counts: ExperimentCountRow[]; revenue: ExperimentRevenueRow[] }>();
  const of = (day: string) => byDay.get(day) ?? byDay.set(day, { counts: [], revenue: [] }).get(day)!;
  for (const r of ownCounts) of(r.day).counts.push(r);
  for (const r of ownRevenue) of(r.day).revenue.push(r);
  const totals = emptyTotals();
  const snapshots: Array<{ day: string; totals: Totals }> = [];
  for (const day of [...byDay.keys()].sort()) {
    addDay(totals, byDay.get(day)!.counts, byDay.get(day)!.revenue, currency);
    snapshots.push({ day, totals: structuredClone(totals) });
  }
  const days = listedDays(snapshots, k).map(({ day, totals: t }): ExperimentDay => {
    const s = show(t, currency, k);
    return { day, sessions: { treatment: s.arms[0]!.sessions, control: s.arms[1]!.sessions }, uplift: s.uplift };
  });
  const final = show(totals, currency, k);
  return {
    name: experiment.name,
    holdout: experiment.holdout,
    control: experiment.control,
    startedAt: experiment.startedAt,
    endedAt: 'endedAt' in experiment ? experiment.endedAt : null,
    currency,
    otherCurrencies: others,
    ...final,
    suppressedBelow: k,
    days,
  };
}
