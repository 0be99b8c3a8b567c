/**
 * The read-out of a holdout experiment: the relative uplift of the treatment arm (recommendations) over
 * the control arm in conversion rate and revenue per session, with intervals that stay valid however often
 * the merchant looks, and a plain-language verdict.
 *
 * Method (docs/benchmarks.md, "Holdout experiments: how the uplift interval is computed"):
 * - Each metric is a ratio of arm means; its log, `theta = log(mean_T) - log(mean_C)`, is estimated by the
 *   plug-in `theta_hat` with the delta-method variance `V = s_T^2 / (n_T m_T^2) + s_C^2 / (n_C m_C^2)`
 *   (s^2 the per-session variance of the arm: p(1 - p) for conversion, from the sum and the sum of squares
 *   of session revenue for revenue per session). The delta method for a relative lift is what
 *   experimentation platforms document (Statsig, GrowthBook); the log keeps the interval of a ratio
 *   positive and symmetric between the arms.
 * - The interval is the normal-mixture confidence sequence (Robbins 1970; Howard, Ramdas, McAuliffe and
 *   Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence sequences", Annals of Statistics 2021,
 *   the two-sided normal mixture boundary), which is the interval form of the mixture sequential
 *   probability ratio test of Johari, Koomen, Pekelis and Walsh, "Always Valid Inference: Continuous
 *   Monitoring of A/B Tests", Operations Research 2022: with a N(0, tau^2) mixture over theta the
 *   likelihood ratio `sqrt(V / (V + tau^2)) exp(tau^2 theta_hat^2 / (2 V (V + tau^2)))` is a martingale
 *   under theta = 0, so by Ville's inequality the set
 *   `theta_hat ± sqrt(V (V + tau^2) / tau^2 * (log((V + tau^2) / V) + 2 log(1 / alpha)))`
 *   covers theta at every look at once with probability >= 1 - alpha (asymptotically, as the arm means
 *   become normal). Looking every day, or every minute, does not inflate false positives.
 * - tau (the mixture's spread) sets where the boundary is tightest: `mixtureTau2` tunes it to the minimum
 *   detectable effect (`mde`), so the sessions needed to see an uplift of `mde` are as few as the method
 *   allows.
 */

/** What the server summed over one arm's sessions of an experiment (one currency for revenue). */
export interface ArmTotals {
  /** Sessions with the widget on a page. */
  sessions: number;
  /** Sessions with a purchase (`purchaseSessions`). */
  conversions: number;
  orders: number;
  /** Revenue in minor units. */
  revenue: number;
  /** Sum over sessions of each session's revenue squared, in minor units squared. */
  revenueSquares: number;
}

/** A relative uplift of treatment over control: 0.05 is +5%. */
export interface Interval {
  estimate: number;
  /** The always-valid interval at level 1 - alpha (95% by default). */
  ci95: [number, number];
}

export interface Readout {
  /** null where an arm is too small, or the counts leave nothing to compute an interval from. */
  conversionRate: Interval | null;
  /** null as `conversionRate`, and where an arm has no revenue (the shop sends no order values). */
  revenuePerSession: Interval | null;
  /** Whether the interval excludes 0 (no uplift). */
  significant: { conversionRate: boolean; revenuePerSession: boolean };
  /** Plain language for the merchant, e.g. "Recommendations raise revenue per session by 8% (95% interval +2% to +14%)." */
  verdict: string;
  /**
   * More sessions, both arms together (split between them as so far), until an uplift of `mde` in the
   * headline metric (revenue per session where known, else conversion rate) would be seen with 80%
   * probability, at the current rates and variances: 0 where the data already suffice, null where nothing
   * is significant to wait for (the headline is already significant), an arm is too small to estimate
   * from, or more than 10^12 sessions would be needed.
   */
  sessionsNeeded: number | null;
}

export interface ReadoutOptions {
  /** Error level of the intervals: 0.05 (the default) gives 95% intervals. In (0, 0.5]. */
  alpha?: number;
  /**
   * Minimum detectable effect, a relative uplift (default 0.05, +5%): the uplift the verdict counts
   * sessions to, and the one the mixture is tuned to detect soonest. In (0, 10].
   */
  mde?: number;
  /**
   * Standard deviation of the mixture over the log uplift; default `sqrt(mixtureTau2(mde, alpha))`. Larger
   * values make the interval tighter on big samples and wider on small ones. Positive.
   */
  tau?: number;
}

const READOUT_DEFAULTS = { alpha: 0.05, mde: 0.05 } as const;

/**
 * Smallest arm that gets an interval. The intervals rest on the arm means being close to normal: with
 * few purchases the conversion rate's log is skewed (and with none undefined), and a few large orders
 * dominate revenue per session. Optimizely's Stats Engine waits for the same: 100 visitors and 25
 * conversions in each variation.
 */
export const MIN_ARM = { sessions: 100, conversions: 25 } as const;

/** The probability with which `sessionsNeeded` promises to see an uplift of `mde` (the usual 80% power). */
const POWER = 0.8;
/** Standard normal quantile of `POWER`. */
const Z_POWER = 0.8416212335729143;

/**
 * Half-width of the normal-mixture confidence sequence on theta_hat's scale (Howard et al. 2021, two-sided
 * normal mixture; Johari et al. 2022, mSPRT): `sqrt(V (V + tau2) / tau2 * (log(1 + tau2 / V) + 2 log(1/alpha)))`.
 */
export function mixtureHalfWidth(variance: number, tau2: number, alpha: number): number {
  return Math.sqrt(variance * (1 + variance / tau2) * (Math.log1p(tau2 / variance) + 2 * Math.log(1 / alpha)));
}

/**
 * The mixture variance tuned to `mde`. Writing r = tau^2 / V, the half-width is `sqrt(V) g(r)` with
 * `g(r) = sqrt((1 + 1/r)(log(1 + r) + 2 log(1/alpha)))`; an uplift delta = log(1 + mde) is seen with
 * probability `POWER` once `sqrt(V) (g(r) + z_POWER) <= delta`. The largest V (fewest sessions) that does it
 * takes r* = argmin g (about 8 at alpha = 0.05), so tau^2 = r* delta^2 / (g(r*) + z_POWER)^2 (about
 * (0.73 delta)^2): the boundary is tightest where the merchant's minimum effect becomes visible. A mixture
 * prior matched to the effects one expects is Johari et al.'s own recommendation (section 5).
 */
export function mixtureTau2(mde: number, alpha: number): number {
  const g = (r: number) => Math.sqrt((1 + 1 / r) * (Math.log1p(r) + 2 * Math.log(1 / alpha)));
  // g is unimodal in log r: golden-section search.
  let lo = Math.log(1e-3);
  let hi = Math.log(1e6);
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 100; i++) {
    const a = hi - phi * (hi - lo);
    const b = lo + phi * (hi - lo);
    if (g(Math.exp(a)) < g(Math.exp(b))) hi = b;
    else lo = a;
  }
  const r = Math.exp((lo + hi) / 2);
  const delta = Math.log1p(mde);
  return (r * delta * delta) / (g(r) + Z_POWER) ** 2;
}

/** The log ratio of the arm means and its delta-method variance as `a_T / n_T + a_C / n_C` (a: per-session squared coefficient of variation). */
interface LogRatio {
  theta: number;
  cvT: number;
  cvC: number;
  nT: number;
  nC: number;
}

function variance(r: LogRatio, scale = 1): number {
  return (r.cvT / r.nT + r.cvC / r.nC) / scale;
}

function conversionRatio(t: ArmTotals, c: ArmTotals): LogRatio | null {
  const pT = t.conversions / t.sessions;
  const pC = c.conversions / c.sessions;
  return logRatio(pT, (1 - pT) / pT, pC, (1 - pC) / pC, t.sessions, c.sessions);
}

function revenueRatio(t: ArmTotals, c: ArmTotals): LogRatio | null {
  if (t.revenue <= 0 || c.revenue <= 0) return null;
  const cv = (a: ArmTotals) => {
    const mean = a.revenue / a.sessions;
    // Sample variance from the sums; rounding can leave a tiny negative where every session had the same revenue.
    const v = Math.max(0, (a.revenueSquares - a.revenue * mean) / (a.sessions - 1));
    return v / (mean * mean);
  };
  return logRatio(t.revenue / t.sessions, cv(t), c.revenue / c.sessions, cv(c), t.sessions, c.sessions);
}

function logRatio(mT: number, cvT: number, mC: number, cvC: number, nT: number, nC: number): LogRatio | null {
  const r = { theta: Math.log(mT) - Math.log(mC), cvT, cvC, nT, nC };
  const v = variance(r);
  // No spread at all (every session converted, in both arms): the normal approximation has nothing to stand on.
  return Number.isFinite(r.theta) && Number.isFinite(v) && v > 0 ? r : null;
}

function interval(r: LogRatio | null, tau2: number, alpha: number): Interval | null {
  if (!r) return null;
  const w = mixtureHalfWidth(variance(r), tau2, alpha);
  const out: Interval = { estimate: Math.expm1(r.theta), ci95: [Math.expm1(r.theta - w), Math.expm1(r.theta + w)] };
  // An interval too wide for a double (e^709) says nothing a null does not; JSON has no Infinity.
  return [out.estimate, ...out.ci95].every(Number.isFinite) ? out : null;
}

/**
 * More sessions (both arms, current split) until `sqrt(V) z_POWER + halfWidth(V) <= log(1 + mde)`: then
 * a true uplift of `mde` puts theta_hat above the boundary with probability `POWER` at that look alone
 * (earlier looks only add chances, so this errs towards more sessions). V shrinks as 1 / sessions.
 */
function sessionsToSee(r: LogRatio, mde: number, tau2: number, alpha: number): number | null {
  const delta = Math.log1p(mde);
  const enough = (k: number) => {
    const v = variance(r, k);
    return Z_POWER * Math.sqrt(v) + mixtureHalfWidth(v, tau2, alpha) <= delta;
  };
  if (enough(1)) return 0;
  let lo = 1;
  let hi = 2;
  while (!enough(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) return null;
  }
  for (let i = 0; i < 60 && hi - lo > 1e-6 * lo; i++) {
    const mid = (lo + hi) / 2;
    if (enough(mid)) hi = mid;
    else lo = mid;
  }
  const more = Math.ceil((hi - 1) * (r.nT + r.nC));
  return more <= 1e12 ? more : null;
}

/** "+8%", "−6%", "+0.4%": whole percents from 10% up, else enough decimals (up to 2 significant) that a non-zero uplift never reads as 0. */
export function formatUplift(x: number): string {
  const p = x * 100;
  const abs = Math.abs(p);
  let digits = abs >= 9.5 ? 0 : 1;
  while (digits < 6 && abs > 0 && Number(abs.toFixed(digits)) === 0) digits++;
  const text = abs.toFixed(digits).replace(/\.0+$/, '');
  if (Number(text) === 0) return '0%';
  return `${p > 0 ? '+' : '−'}${text}%`;
}

/** "41,000": two significant digits, rounded up (an estimate of sessions needed should not promise too few), grouped by thousands. */
export function formatCount(n: number): string {
  const step = n >= 100 ? 10 ** (Math.floor(Math.log10(n)) - 1) : 1;
  return group(Math.ceil(n / step) * step);
}

/** "1,234": an exact count grouped by thousands. */
function group(n: number): string {
  return Math.round(n).toLocaleString('en-US', { useGrouping: true, maximumFractionDigits: 0 });
}

function counts(a: ArmTotals): string {
  return `${group(a.sessions)} session${a.sessions === 1 ? '' : 's'}, ${group(a.conversions)} purchase${a.conversions === 1 ? '' : 's'}`;
}

function consistent(a: ArmTotals): boolean {
  const fields = [a.sessions, a.conversions, a.orders, a.revenue, a.revenueSquares];
  return fields.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0) && a.conversions <= a.sessions;
}

function validOptions(options: ReadoutOptions): { alpha: number; mde: number; tau2: number } {
  const alpha = options.alpha ?? READOUT_DEFAULTS.alpha;
  const mde = options.mde ?? READOUT_DEFAULTS.mde;
  if (!(alpha > 0 && alpha <= 0.5)) throw new RangeError(`readOut: alpha must be in (0, 0.5], e.g. 0.05 for 95% intervals (got ${alpha})`);
  if (!(mde > 0 && mde <= 10)) throw new RangeError(`readOut: mde must be a relative uplift in (0, 10], e.g. 0.05 for +5% (got ${mde})`);
  if (options.tau !== undefined && !(options.tau > 0 && Number.isFinite(options.tau))) throw new RangeError(`readOut: tau must be a positive number, e.g. 0.04 (got ${options.tau})`);
  return { alpha, mde, tau2: options.tau !== undefined ? options.tau ** 2 : mixtureTau2(mde, alpha) };
}

const NAMES = { conversionRate: 'conversion rate', revenuePerSession: 'revenue per session' } as const;

/**
 * Reads out an experiment from its arms' totals: the relative uplift of `treatment` over `control` in
 * conversion rate and revenue per session, each with an always-valid interval (module comment), whether it
 * excludes no uplift, a verdict and the sessions still needed to see an uplift of `mde`.
 * Never returns NaN or Infinity: what cannot be computed is null. @throws RangeError on invalid options.
 */
export function readOut(treatment: ArmTotals, control: ArmTotals, options: ReadoutOptions = {}): Readout {
  const { alpha, mde, tau2 } = validOptions(options);
  const level = `${formatLevel(1 - alpha)} interval`;
  const nothing = (verdict: string): Readout => ({ conversionRate: null, revenuePerSession: null, significant: { conversionRate: false, revenuePerSession: false }, verdict, sessionsNeeded: null });
  if (!consistent(treatment) || !consistent(control)) {
    return nothing('The experiment’s counts are inconsistent (negative, not a number, or more purchases than sessions), so no read-out can be given.');
  }
  if ([treatment, control].some((a) => a.sessions < MIN_ARM.sessions || a.conversions < MIN_ARM.conversions)) {
    return nothing(
      `Too few sessions to say anything yet: each arm needs at least ${MIN_ARM.sessions} sessions with the widget and ${MIN_ARM.conversions} purchases ` +
        `(recommendations: ${counts(treatment)}; control: ${counts(control)}).`,
    );
  }
  const ratios = { conversionRate: conversionRatio(treatment, control), revenuePerSession: revenueRatio(treatment, control) };
  const conversionRate = interval(ratios.conversionRate, tau2, alpha);
  const revenuePerSession = interval(ratios.revenuePerSession, tau2, alpha);
  const excludes0 = (i: Interval | null) => i !== null && (i.ci95[0] > 0 || i.ci95[1] < 0);
  const significant = { conversionRate: excludes0(conversionRate), revenuePerSession: excludes0(revenuePerSession) };
  const intervals = { conversionRate, revenuePerSession };

  const headline: keyof typeof NAMES = revenuePerSession ? 'revenuePerSession' : 'conversionRate';
  const other: keyof typeof NAMES = headline === 'revenuePerSession' ? 'conversionRate' : 'revenuePerSession';
  const main = intervals[headline];
  if (!main) return nothing('The counts leave no variation to compute an interval from yet (every session in both arms converted).');
  const describe = (m: keyof typeof NAMES) => {
    const i = intervals[m]!;
    return `${NAMES[m]} ${formatUplift(i.estimate)} (${level} ${formatUplift(i.ci95[0])} to ${formatUplift(i.ci95[1])})`;
  };
  const claim = (m: keyof typeof NAMES) => {
    const i = intervals[m]!;
    const verb = i.estimate > 0 ? 'raise' : 'lower';
    return `Recommendations ${verb} ${NAMES[m]} by ${formatUplift(Math.abs(i.estimate)).slice(1)} (${level} ${formatUplift(i.ci95[0])} to ${formatUplift(i.ci95[1])})`;
  };
  const also = intervals[other] ? ` ${capitalize(describe(other))}${significant[other] ? '' : ', not yet clear'}.` : '';

  if (significant[headline]) return { conversionRate, revenuePerSession, significant, verdict: `${claim(headline)}.${also}`, sessionsNeeded: null };

  const needed = sessionsToSee(ratios[headline]!, mde, tau2, alpha);
  const target = formatUplift(mde);
  let verdict: string;
  if (significant[other]) {
    verdict = `${claim(other)}; ${NAMES[headline]} is not clear yet: ${describe(headline).slice(NAMES[headline].length + 1)}.`;
  } else if (needed === 0) {
    verdict = `No clear difference: ${describe(headline)}.${main.ci95[1] < mde ? ` An uplift of ${target} or more is ruled out.` : ''}${also}`;
  } else {
    verdict = `No difference large enough to see yet: ${describe(headline)}.${also}`;
  }
  if (needed !== null && needed > 0) {
    verdict += ` About ${formatCount(needed)} more sessions (both arms together, split as now) to see ${target} in ${NAMES[headline]}.`;
  }
  return { conversionRate, revenuePerSession, significant, verdict, sessionsNeeded: needed };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "95%", "99.9%". */
function formatLevel(level: number): string {
  return `${Number((level * 100).toFixed(2))}%`;
}
