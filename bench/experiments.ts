/**
 * `npm run bench -- experiments`: are the read-out's always-valid intervals honest? Simulates holdout
 * experiments shopper by shopper through the real counting code (`drawArm`, `advanceSession` of
 * core/experiment.ts) and reads them out every simulated day with the real `readOut`
 * (core/experiment-stats.ts), with a known true uplift:
 *
 * - (a) `EXPERIMENTS` experiments where recommendations raise conversion, hence revenue per session, by
 *   exactly +10%: the share whose final 95% interval covers +10% (goal >= 95%), the share whose daily
 *   intervals covered it on every day at once, the share ending significant (power), the sessions at the
 *   first significant look, and the read-out's own `sessionsNeeded` estimate checked against what happened.
 * - (b) `EXPERIMENTS` experiments with no true uplift, read out every day: the share ever declared
 *   significant (goal <= 5%).
 *
 * Shoppers: a pool of devices (about four sessions each over the experiment), each drawing its arm once
 * from a kept random number; a session is a page with the widget, an add-to-cart (9% of sessions, 9.9%
 * in treatment) and a purchase after a third of carts (3% / 3.3% of sessions), one order or (10%) two,
 * each of a lognormal value (median 45.00, sigma 0.8: mean 62). Sessions of a device are 30+ minutes
 * apart, so each is a fresh session in `advanceSession`. Seeded: one `rng` per experiment.
 */
import { advanceSession, drawArm, SESSION_GAP_MS, type Arm, type SessionInput, type SessionState } from '../core/experiment.ts';
import { readOut, type ArmTotals, type Readout } from '../core/experiment-stats.ts';
import { normal, rng } from '../core/random.ts';

/** Experiments per scenario; `EXPERIMENTS_BENCH_RUNS` lowers it for a quick try (the figures in docs use 200). */
const EXPERIMENTS = Number(process.env.EXPERIMENTS_BENCH_RUNS ?? 200);
const DAYS = 28;
const SESSIONS_PER_DAY = 25_000;
const HOLDOUT = 0.2;
const SESSIONS_PER_DEVICE = 4;
const CART = 0.09;
const BUY_GIVEN_CART = 1 / 3;
const SECOND_ORDER = 0.1;
const ORDER_MEDIAN = 4500; // minor units
const ORDER_SIGMA = 0.8;
const TRUE_UPLIFT = 0.1;
const DAY_MS = 86_400_000;
const START = Date.UTC(2026, 0, 5);
const METRICS = ['conversionRate', 'revenuePerSession'] as const;
type Metric = (typeof METRICS)[number];

const EXPOSURE: SessionInput = { kind: 'exposure' };
const CART_ADD: SessionInput = { kind: 'add_to_cart' };

interface Look {
  day: number;
  sessions: number;
  readout: Readout;
  /** Whether a fixed-horizon 95% z-test (|theta_hat| > 1.96 sqrt(V), same delta method) would call each metric significant at this look. */
  naive: Record<Metric, boolean>;
  /** The same totals read with `mde` set to the true uplift: what `sessionsNeeded` promises for it. */
  atTruth: Readout;
}

/** Advances the device's session by one input through the real counting code and adds what it counts to the arm's totals. */
function count(state: SessionState | undefined, input: SessionInput, at: number, name: string, arm: Arm, total: ArmTotals): SessionState {
  const { state: next, delta } = advanceSession(state, input, at, name, arm);
  total.sessions += delta.sessions;
  total.conversions += delta.purchaseSessions;
  total.orders += delta.orders;
  for (const r of delta.revenue) {
    total.revenue += r.amount;
    total.revenueSquares += r.squares;
  }
  return next;
}

const zero = (): ArmTotals => ({ sessions: 0, conversions: 0, orders: 0, revenue: 0, revenueSquares: 0 });

/**
 * One simulated experiment: the daily looks at its cumulative totals. Devices are simulated one after
 * another, each through all its sessions (so a device's session state lives briefly, as garbage the
 * young generation collects cheaply); what each session counts goes to its day's totals, summed into
 * the cumulative totals each look reads.
 */
function simulate(uplift: number, seed: number): Look[] {
  const random = rng(seed);
  const gauss = normal(random);
  const name = `sim-${seed}`;
  const devices = Math.round((SESSIONS_PER_DAY * DAYS) / SESSIONS_PER_DEVICE);
  // A device visits on a day with probability `visit`: geometric gaps between its visit days.
  const visit = SESSIONS_PER_DEVICE / DAYS;
  const logStay = Math.log(1 - visit);
  const daily: Array<Record<Arm, ArmTotals>> = Array.from({ length: DAYS }, () => ({ treatment: zero(), control: zero() }));
  for (let device = 0; device < devices; device++) {
    const arm = drawArm({ name, holdout: HOLDOUT }, random());
    const cart = CART * (arm === 'treatment' ? 1 + uplift : 1);
    let state: SessionState | undefined;
    let lastAt = 0;
    for (let day = Math.floor(Math.log(1 - random()) / logStay); day < DAYS; day += 1 + Math.floor(Math.log(1 - random()) / logStay)) {
      const total = daily[day]![arm];
      let at = Math.max(START + day * DAY_MS + Math.floor(random() * DAY_MS), lastAt + SESSION_GAP_MS + 60_000);
      state = count(state, EXPOSURE, at, name, arm, total);
      if (random() < cart) {
        state = count(state, CART_ADD, (at += 60_000), name, arm, total);
        if (random() < BUY_GIVEN_CART) {
          const orders = random() < SECOND_ORDER ? 2 : 1;
          for (let o = 0; o < orders; o++) {
            const amount = Math.max(1, Math.round(ORDER_MEDIAN * Math.exp(ORDER_SIGMA * gauss())));
            state = count(state, { kind: 'purchase', currency: 'EUR', amount }, (at += 60_000), name, arm, total);
          }
        }
      }
      lastAt = at;
    }
  }
  const looks: Look[] = [];
  const t = zero();
  const c = zero();
  for (let day = 0; day < DAYS; day++) {
    for (const [sum, add] of [[t, daily[day]!.treatment], [c, daily[day]!.control]] as const) {
      sum.sessions += add.sessions;
      sum.conversions += add.conversions;
      sum.orders += add.orders;
      sum.revenue += add.revenue;
      sum.revenueSquares += add.revenueSquares;
    }
    const [tt, cc] = [{ ...t }, { ...c }];
    looks.push({ day: day + 1, sessions: tt.sessions + cc.sessions, readout: readOut(tt, cc), naive: naive(tt, cc), atTruth: uplift > 0 ? readOut(tt, cc, { mde: uplift }) : readOut(tt, cc) });
  }
  return looks;
}

/** The fixed-horizon test a dashboard without sequential statistics would run, for contrast. */
function naive(t: ArmTotals, c: ArmTotals): Record<Metric, boolean> {
  const test = (mT: number, aT: number, mC: number, aC: number) => Math.abs(Math.log(mT / mC)) > 1.96 * Math.sqrt(aT / t.sessions + aC / c.sessions);
  const cv = (x: ArmTotals) => (x.revenueSquares / x.sessions - (x.revenue / x.sessions) ** 2) / (x.revenue / x.sessions) ** 2;
  const pT = t.conversions / t.sessions;
  const pC = c.conversions / c.sessions;
  const ok = t.conversions > 0 && c.conversions > 0;
  return { conversionRate: ok && test(pT, (1 - pT) / pT, pC, (1 - pC) / pC), revenuePerSession: ok && test(t.revenue / t.sessions, cv(t), c.revenue / c.sessions, cv(c)) };
}

const covers = (r: Readout, m: Metric, truth: number) => {
  const i = r[m];
  return i !== null && i.ci95[0] <= truth && truth <= i.ci95[1];
};
const share = (xs: boolean[]) => +(xs.filter(Boolean).length / xs.length).toFixed(4);
function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function withUplift(runs: Look[][]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const m of METRICS) {
    const firstSignificant = runs.map((looks) => looks.find((l) => l.readout.significant[m]));
    result[m] = {
      finalCoverage: share(runs.map((looks) => covers(looks.at(-1)!.readout, m, TRUE_UPLIFT))),
      // Every look whose interval was given covered the truth (a null interval makes no claim).
      coverageEveryDay: share(runs.map((looks) => looks.every((l) => l.readout[m] === null || covers(l.readout, m, TRUE_UPLIFT)))),
      power: share(runs.map((looks) => looks.at(-1)!.readout.significant[m])),
      everSignificant: share(firstSignificant.map((l) => l !== undefined)),
      wrongWay: share(runs.map((looks) => looks.some((l) => (l.readout[m]?.ci95[1] ?? 1) < 0))),
      medianSessionsAtFirstSignificance: median(firstSignificant.flatMap((l) => (l ? [l.sessions] : []))),
      medianFinalEstimate: median(runs.map((looks) => looks.at(-1)!.readout[m]?.estimate ?? Number.NaN).filter(Number.isFinite)),
    };
  }
  // The read-out's estimate of sessions needed (headline: revenue per session), at the end of day 7.
  const day7 = runs.map((looks) => looks[6]!);
  const predicted = day7.flatMap((l) => (l.atTruth.sessionsNeeded !== null && !l.atTruth.significant.revenuePerSession ? [l.sessions + l.atTruth.sessionsNeeded] : []));
  // Honesty of that estimate: of the experiments whose predicted total falls within the horizon, the
  // share significant (revenue per session, read with mde = the true uplift) by the first look that reached it.
  const kept = runs.flatMap((looks) => {
    const l = looks[6]!;
    if (l.atTruth.sessionsNeeded === null || l.atTruth.significant.revenuePerSession) return [];
    const target = l.sessions + l.atTruth.sessionsNeeded;
    const reached = looks.find((x) => x.sessions >= target);
    return reached ? [looks.slice(0, reached.day).some((x) => x.atTruth.significant.revenuePerSession)] : [];
  });
  result.sessionsNeeded = {
    medianDay7ToSeePlus5: median(day7.flatMap((l) => (l.readout.sessionsNeeded !== null ? [l.readout.sessionsNeeded] : []))),
    medianDay7PredictedTotalToSeeTrueUplift: median(predicted),
    predictionsWithinHorizon: kept.length,
    significantByPredictedTotal: kept.length > 0 ? share(kept) : null,
    promised: 0.8,
  };
  return result;
}

function withoutUplift(runs: Look[][]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const m of METRICS) {
    result[m] = {
      everSignificant: share(runs.map((looks) => looks.some((l) => l.readout.significant[m]))),
      finalCoverage: share(runs.map((looks) => covers(looks.at(-1)!.readout, m, 0))),
      // What a fixed-horizon 95% test looked at daily would have claimed, for contrast (same data, same delta method).
      naiveEverSignificant: share(runs.map((looks) => looks.some((l) => l.naive[m]))),
      medianFinalEstimate: median(runs.map((looks) => looks.at(-1)!.readout[m]?.estimate ?? Number.NaN).filter(Number.isFinite)),
    };
  }
  result.eitherEverSignificant = share(runs.map((looks) => looks.some((l) => l.readout.significant.conversionRate || l.readout.significant.revenuePerSession)));
  return result;
}

export async function run(): Promise<Record<string, unknown>> {
  const started = performance.now();
  const a: Look[][] = [];
  const b: Look[][] = [];
  for (let i = 0; i < EXPERIMENTS; i++) a.push(simulate(TRUE_UPLIFT, 1_000 + i));
  for (let i = 0; i < EXPERIMENTS; i++) b.push(simulate(0, 5_000 + i));
  const finalSessions = a.map((looks) => looks.at(-1)!.sessions);
  const figures = {
    setup: {
      experiments: EXPERIMENTS,
      days: DAYS,
      sessionsPerDay: SESSIONS_PER_DAY,
      holdout: HOLDOUT,
      devices: Math.round((SESSIONS_PER_DAY * DAYS) / SESSIONS_PER_DEVICE),
      conversion: { control: CART * BUY_GIVEN_CART, treatment: CART * (1 + TRUE_UPLIFT) * BUY_GIVEN_CART },
      order: { medianMinor: ORDER_MEDIAN, sigma: ORDER_SIGMA, secondOrder: SECOND_ORDER },
      trueUplift: TRUE_UPLIFT,
      readOut: 'defaults: alpha 0.05, mde 0.05, tau tuned to the mde',
      medianFinalSessions: median(finalSessions),
    },
    withUplift: withUplift(a),
    noUplift: withoutUplift(b),
    seconds: +((performance.now() - started) / 1000).toFixed(1),
  };
  printTable(figures.withUplift, figures.noUplift);
  return figures;
}

function printTable(a: Record<string, unknown>, b: Record<string, unknown>): void {
  const pct = (x: unknown) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '—');
  const rows: Array<[string, string, string]> = [];
  for (const m of METRICS) {
    const am = a[m] as Record<string, number>;
    const bm = b[m] as Record<string, number>;
    rows.push([`${m}: (a) final 95% interval covers +10% (goal ≥ 95%)`, pct(am.finalCoverage), '']);
    rows.push([`${m}: (a) every daily interval covered +10%`, pct(am.coverageEveryDay), '']);
    rows.push([`${m}: (a) power (significant at day ${DAYS})`, pct(am.power), '']);
    rows.push([`${m}: (a) median sessions at first significance`, String(am.medianSessionsAtFirstSignificance ?? '—'), '']);
    rows.push([`${m}: (b) ever significant over ${DAYS} daily looks (goal ≤ 5%)`, pct(bm.everSignificant), `fixed-horizon z-test looked at daily: ${pct(bm.naiveEverSignificant)}`]);
  }
  const needed = a.sessionsNeeded as Record<string, number | null>;
  rows.push(['(a) day-7 sessionsNeeded to see +5% (median)', String(needed.medianDay7ToSeePlus5 ?? '—'), '']);
  rows.push(['(a) significant by the day-7 predicted total for +10% (promised 80%)', pct(needed.significantByPredictedTotal), `${needed.predictionsWithinHorizon} experiments`]);
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [label, value, note] of rows) console.log(`${label.padEnd(width)}  ${value.padStart(9)}  ${note}`);
}
