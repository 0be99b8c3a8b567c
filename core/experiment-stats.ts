/**
 * STUB (helper B's branch only, NOT to ship): stands in for helper A's `core/experiment-stats.ts` with
 * the exact signature of the team contract, so the edge server's read-out can be built and tested before
 * A's file lands. The lead takes A's real file when merging; nothing here is an always-valid interval.
 */
export interface ArmTotals {
  sessions: number;
  conversions: number /* purchaseSessions */;
  orders: number;
  revenue: number /* minor units */;
  revenueSquares: number /* minor units^2 */;
}
export interface Interval {
  estimate: number;
  ci95: [number, number];
}
export interface Readout {
  conversionRate: Interval | null;
  revenuePerSession: Interval | null;
  significant: { conversionRate: boolean; revenuePerSession: boolean };
  verdict: string;
  sessionsNeeded: number | null;
}

/** STUB: a fixed-horizon delta-method interval for a ratio of means (NOT always valid). */
function relative(t: { n: number; mean: number; variance: number }, c: { n: number; mean: number; variance: number }): Interval | null {
  if (t.n < 2 || c.n < 2 || c.mean <= 0) return null;
  const estimate = t.mean / c.mean - 1;
  const se = (t.mean / c.mean) * Math.sqrt(t.variance / t.n / Math.max(t.mean, 1e-12) ** 2 + c.variance / c.n / c.mean ** 2);
  return { estimate, ci95: [estimate - 1.96 * se, estimate + 1.96 * se] };
}

export function readOut(treatment: ArmTotals, control: ArmTotals, options: { alpha?: number; mde?: number } = {}): Readout {
  void options;
  const rate = (a: ArmTotals) => {
    const p = a.sessions > 0 ? a.conversions / a.sessions : 0;
    return { n: a.sessions, mean: p, variance: p * (1 - p) };
  };
  const rps = (a: ArmTotals) => {
    const mean = a.sessions > 0 ? a.revenue / a.sessions : 0;
    return { n: a.sessions, mean, variance: a.sessions > 1 ? Math.max(0, (a.revenueSquares - a.sessions * mean * mean) / (a.sessions - 1)) : 0 };
  };
  const conversionRate = relative(rate(treatment), rate(control));
  const revenuePerSession = relative(rps(treatment), rps(control));
  const sig = (i: Interval | null): boolean => i !== null && (i.ci95[0] > 0 || i.ci95[1] < 0);
  const significant = { conversionRate: sig(conversionRate), revenuePerSession: sig(revenuePerSession) };
  const verdict = significant.revenuePerSession
    ? `recommendations change revenue per session by ${(revenuePerSession!.estimate * 100).toFixed(1)}% (stub)`
    : 'not enough data yet (stub)';
  return { conversionRate, revenuePerSession, significant, verdict, sessionsNeeded: null };
}
