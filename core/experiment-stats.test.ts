import { describe, expect, it } from 'vitest';
import { MIN_ARM, formatCount, formatUplift, mixtureHalfWidth, mixtureTau2, readOut, type ArmTotals, type Readout } from './experiment-stats.ts';

/** An arm of `sessions` sessions, `conversions` of them with one order each of exactly `order` minor units. */
function arm(sessions: number, conversions: number, order = 5000): ArmTotals {
  return { sessions, conversions, orders: conversions, revenue: conversions * order, revenueSquares: conversions * order * order };
}

/** An arm from explicit per-session revenues (0: no purchase). */
function armOf(revenues: number[]): ArmTotals {
  const bought = revenues.filter((r) => r > 0);
  return {
    sessions: revenues.length,
    conversions: bought.length,
    orders: bought.length,
    revenue: revenues.reduce((a, b) => a + b, 0),
    revenueSquares: revenues.reduce((a, b) => a + b * b, 0),
  };
}

function numbers(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(numbers);
  return [];
}

function expectFinite(readout: Readout): void {
  for (const x of numbers(readout)) expect(Number.isFinite(x)).toBe(true);
  expect(readout.verdict).not.toMatch(/NaN|Infinity|undefined/);
}

const Z80 = 0.8416212335729143;

describe('mixtureHalfWidth', () => {
  it('matches the normal-mixture boundary computed by hand', () => {
    // V = 0.01, tau^2 = 0.01, alpha = 0.05: sqrt(0.01 * 2 * (ln 2 + 2 ln 20)) = sqrt(0.02 * 6.684612) = 0.365639
    expect(mixtureHalfWidth(0.01, 0.01, 0.05)).toBeCloseTo(0.365639, 5);
    // Howard et al.'s form on the sum scale, t = 1/V, rho = 1/tau^2: sqrt((t + rho) ln((t + rho) / (rho alpha^2))) / t
    const [v, tau2, alpha] = [0.0004, 0.002, 0.1];
    const [t, rho] = [1 / v, 1 / tau2];
    expect(mixtureHalfWidth(v, tau2, alpha)).toBeCloseTo(Math.sqrt((t + rho) * Math.log((t + rho) / (rho * alpha * alpha))) / t, 12);
  });
  it('is wider than the fixed-horizon interval, and narrows as the variance falls', () => {
    const tau2 = mixtureTau2(0.05, 0.05);
    for (const v of [1e-2, 1e-3, 1e-4, 1e-5]) expect(mixtureHalfWidth(v, tau2, 0.05)).toBeGreaterThan(1.96 * Math.sqrt(v));
    expect(mixtureHalfWidth(1e-4, tau2, 0.05)).toBeLessThan(mixtureHalfWidth(1e-3, tau2, 0.05));
  });
});

describe('mixtureTau2', () => {
  it('puts the tightest boundary at the minimum detectable effect (grid search over tau^2)', () => {
    const delta = Math.log(1.05);
    // Largest V at which z_0.8 sqrt(V) + halfWidth(V) <= delta, for a given tau^2 (bisection in log V).
    const largestV = (tau2: number) => {
      let [lo, hi] = [1e-12, 1];
      for (let i = 0; i < 200; i++) {
        const mid = Math.sqrt(lo * hi);
        if (Z80 * Math.sqrt(mid) + mixtureHalfWidth(mid, tau2, 0.05) <= delta) lo = mid;
        else hi = mid;
      }
      return lo;
    };
    const tuned = mixtureTau2(0.05, 0.05);
    let best = 0;
    let bestV = 0;
    for (let k = -400; k <= 400; k++) {
      const tau2 = tuned * Math.exp(k / 100);
      const v = largestV(tau2);
      if (v > bestV) [best, bestV] = [tau2, v];
    }
    expect(tuned / best).toBeGreaterThan(0.97);
    expect(tuned / best).toBeLessThan(1.03);
    // About (0.74 log 1.05)^2.
    expect(Math.sqrt(tuned) / delta).toBeCloseTo(0.739, 2);
  });
});

describe('readOut intervals', () => {
  it('computes the conversion-rate interval from the delta method and the mixture boundary', () => {
    const t = arm(10_000, 330);
    const c = arm(10_000, 300);
    const out = readOut(t, c);
    const theta = Math.log(0.033 / 0.03);
    const v = (1 - 0.033) / 0.033 / 10_000 + (1 - 0.03) / 0.03 / 10_000;
    const w = mixtureHalfWidth(v, mixtureTau2(0.05, 0.05), 0.05);
    expect(out.conversionRate!.estimate).toBeCloseTo(0.1, 12);
    expect(out.conversionRate!.ci95[0]).toBeCloseTo(Math.exp(theta - w) - 1, 12);
    expect(out.conversionRate!.ci95[1]).toBeCloseTo(Math.exp(theta + w) - 1, 12);
    expect(out.significant.conversionRate).toBe(false);
  });

  it('reads the revenue variance from the sum of squares of session revenue', () => {
    // Treatment: 400 sessions, 40 with an order of 30.00 or 90.00; control: 400 sessions, 40 with 40.00 or 60.00.
    const revT = Array.from({ length: 400 }, (_, i) => (i < 20 ? 3000 : i < 40 ? 9000 : 0));
    const revC = Array.from({ length: 400 }, (_, i) => (i < 20 ? 4000 : i < 40 ? 6000 : 0));
    const out = readOut(armOf(revT), armOf(revC), { tau: 0.1 });
    const moments = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return [m, xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)] as const;
    };
    const [mT, sT] = moments(revT);
    const [mC, sC] = moments(revC);
    const v = sT / (400 * mT * mT) + sC / (400 * mC * mC);
    const w = mixtureHalfWidth(v, 0.01, 0.05);
    expect(out.revenuePerSession!.estimate).toBeCloseTo(mT / mC - 1, 12);
    expect(out.revenuePerSession!.ci95[0]).toBeCloseTo((mT / mC) * Math.exp(-w) - 1, 10);
    expect(out.revenuePerSession!.ci95[1]).toBeCloseTo((mT / mC) * Math.exp(w) - 1, 10);
  });

  it('gives no uplift and an interval symmetric on the log scale for identical arms', () => {
    const out = readOut(arm(50_000, 1500), arm(50_000, 1500));
    for (const i of [out.conversionRate!, out.revenuePerSession!]) {
      expect(i.estimate).toBe(0);
      expect((1 + i.ci95[0]) * (1 + i.ci95[1])).toBeCloseTo(1, 12);
    }
    expect(out.significant).toEqual({ conversionRate: false, revenuePerSession: false });
  });

  it('mirrors when the arms swap: the uplift of C over T is the inverse ratio', () => {
    const t = armOf(Array.from({ length: 3000 }, (_, i) => (i % 25 === 0 ? 4000 + (i % 7) * 900 : 0)));
    const c = armOf(Array.from({ length: 2000 }, (_, i) => (i % 30 === 0 ? 3500 + (i % 11) * 700 : 0)));
    const ab = readOut(t, c);
    const ba = readOut(c, t);
    for (const key of ['conversionRate', 'revenuePerSession'] as const) {
      expect((1 + ab[key]!.estimate) * (1 + ba[key]!.estimate)).toBeCloseTo(1, 12);
      expect((1 + ab[key]!.ci95[0]) * (1 + ba[key]!.ci95[1])).toBeCloseTo(1, 12);
      expect((1 + ab[key]!.ci95[1]) * (1 + ba[key]!.ci95[0])).toBeCloseTo(1, 12);
    }
  });

  it('uses the tau option, and the default (tuned to the mde) needs the fewest sessions', () => {
    const t = arm(20_000, 640, 6000);
    const c = arm(20_000, 600, 6000);
    const tuned = Math.sqrt(mixtureTau2(0.05, 0.05));
    const needed = (tau?: number) => readOut(t, c, tau === undefined ? {} : { tau }).sessionsNeeded!;
    expect(needed()).toBe(needed(tuned));
    expect(needed()).toBeLessThan(needed(tuned * 2));
    expect(needed()).toBeLessThan(needed(tuned / 2));
    expect(readOut(t, c, { tau: 1 }).conversionRate!.ci95).not.toEqual(readOut(t, c).conversionRate!.ci95);
  });

  it('gives 99% intervals wider than 95% ones for alpha = 0.01', () => {
    const [t, c] = [arm(100_000, 3300), arm(100_000, 3000)];
    const i95 = readOut(t, c).conversionRate!.ci95;
    const i99 = readOut(t, c, { alpha: 0.01 }).conversionRate!.ci95;
    expect(i99[0]).toBeLessThan(i95[0]);
    expect(i99[1]).toBeGreaterThan(i95[1]);
    expect(readOut(t, c, { alpha: 0.01 }).verdict).toContain('99% interval');
  });
});

describe('readOut sessionsNeeded', () => {
  it('is the sessions at which a true +5% would clear the boundary by z_0.8 standard errors', () => {
    const t = arm(20_000, 630);
    const c = arm(20_000, 600); // exactly +5%
    const out = readOut(t, c);
    const more = out.sessionsNeeded!;
    expect(more).toBeGreaterThan(0);
    // At the same rates with `more` sessions added (split as now), theta_hat = log 1.05 sits z_0.8 sqrt(V) above the boundary.
    const k = (40_000 + more) / 40_000;
    const later = readOut(arm(20_000 * k, 630 * k), arm(20_000 * k, 600 * k));
    const v = (1 - 0.0315) / 0.0315 / (20_000 * k) + (1 - 0.03) / 0.03 / (20_000 * k);
    expect(later.significant.conversionRate).toBe(true);
    expect(Math.log(1 + later.conversionRate!.ci95[0]) / Math.sqrt(v)).toBeCloseTo(Z80, 3);
    expect(later.sessionsNeeded).toBeNull(); // significant: nothing left to wait for
    // 5% fewer sessions: not yet.
    const k2 = (40_000 + 0.95 * more) / 40_000;
    const earlier = readOut(arm(20_000 * k2, 630 * k2), arm(20_000 * k2, 600 * k2));
    expect(Math.log(1 + earlier.conversionRate!.ci95[0]) / Math.sqrt(v * (k / k2))).toBeLessThan(Z80);
  });

  it('counts sessions in both arms when they are unequal (a 10% holdout)', () => {
    const balanced = readOut(arm(50_000, 1500), arm(50_000, 1500)).sessionsNeeded!;
    const holdout = readOut(arm(90_000, 2700), arm(10_000, 300)).sessionsNeeded!;
    // V is (1/0.9 + 1/0.1) / (1/0.5 + 1/0.5) = 2.78 times larger per session at a 10% holdout.
    expect((holdout + 100_000) / (balanced + 100_000)).toBeCloseTo(2.78, 1);
  });
});

describe('readOut verdicts', () => {
  it('says how much recommendations raise revenue per session when the interval excludes 0', () => {
    const out = readOut(arm(200_000, 6600), arm(200_000, 6000));
    expect(out.significant).toEqual({ conversionRate: true, revenuePerSession: true });
    expect(out.verdict).toMatch(/^Recommendations raise revenue per session by 10% \(95% interval \+[\d.]+% to \+[\d.]+%\)\. Conversion rate \+10% \(95% interval/);
    expect(out.sessionsNeeded).toBeNull();
  });

  it('says they lower it in the loss case', () => {
    const out = readOut(arm(200_000, 5400), arm(200_000, 6000));
    expect(out.significant.revenuePerSession).toBe(true);
    expect(out.verdict).toMatch(/^Recommendations lower revenue per session by 10% \(95% interval −[\d.]+% to −[\d.]+%\)/);
  });

  it('says no difference is visible yet and how many more sessions would show +5%', () => {
    const out = readOut(arm(5000, 160), arm(5000, 150));
    expect(out.significant).toEqual({ conversionRate: false, revenuePerSession: false });
    expect(out.verdict).toMatch(/^No difference large enough to see yet: revenue per session \+6\.7% \(95% interval −\d+% to \+\d+%\)\./);
    expect(out.verdict).toContain(`About ${formatCount(out.sessionsNeeded!)} more sessions (both arms together, split as now) to see +5% in revenue per session.`);
    expect(readOut(arm(5000, 160), arm(5000, 150), { mde: 0.1 }).verdict).toMatch(/to see \+10% in revenue per session/);
  });

  it('says an uplift of the mde is ruled out once the interval is narrow and below it', () => {
    const out = readOut(arm(5_000_000, 150_300), arm(5_000_000, 150_000));
    expect(out.sessionsNeeded).toBe(0);
    expect(out.verdict).toMatch(/^No clear difference: revenue per session \+0\.2% \(95% interval −[\d.]+% to \+[\d.]+%\)\. An uplift of \+5% or more is ruled out\./);
  });

  it('leads with conversion rate when only it is significant', () => {
    // Conversion +20%, but orders are smaller and vary a lot: revenue per session unclear.
    const t = armOf(Array.from({ length: 20_000 }, (_, i) => (i < 1200 ? (i % 2 ? 1000 : 12000) : 0)));
    const c = armOf(Array.from({ length: 20_000 }, (_, i) => (i < 1000 ? (i % 2 ? 1500 : 12000) : 0)));
    const out = readOut(t, c);
    expect(out.significant).toEqual({ conversionRate: true, revenuePerSession: false });
    expect(out.verdict).toMatch(/^Recommendations raise conversion rate by 20% \(95% interval \+\d+% to \+\d+%\); revenue per session is not clear yet: \+[\d.]+% \(95% interval −[\d.]+% to \+\d+%\)\./);
    expect(out.sessionsNeeded).toBeGreaterThan(0);
  });

  it('falls back to conversion rate where the shop sends no order values', () => {
    const t = { ...arm(200_000, 6600), revenue: 0, revenueSquares: 0 };
    const c = { ...arm(200_000, 6000), revenue: 0, revenueSquares: 0 };
    const out = readOut(t, c);
    expect(out.revenuePerSession).toBeNull();
    expect(out.verdict).toMatch(/^Recommendations raise conversion rate by 10% \(95% interval \+[\d.]+% to \+[\d.]+%\)\.$/);
  });

  it.each([
    ['no sessions at all', arm(0, 0), arm(0, 0)],
    ['an arm under 100 sessions', arm(99, 30), arm(5000, 150)],
    ['an arm under 25 purchases', arm(5000, 150), arm(5000, 24)],
    ['zero conversions in an arm', arm(5000, 0), arm(5000, 150)],
  ])('says too few sessions for %s', (_, t, c) => {
    const out = readOut(t, c);
    expect(out).toMatchObject({ conversionRate: null, revenuePerSession: null, significant: { conversionRate: false, revenuePerSession: false }, sessionsNeeded: null });
    expect(out.verdict).toMatch(new RegExp(`^Too few sessions to say anything yet: each arm needs at least ${MIN_ARM.sessions} sessions with the widget and ${MIN_ARM.conversions} purchases`));
    expect(out.verdict).toContain(`recommendations: ${t.sessions.toLocaleString('en-US')} session`);
    expectFinite(out);
  });

  it('refuses inconsistent counts without NaN', () => {
    for (const bad of [{ ...arm(1000, 50), sessions: Number.NaN }, { ...arm(1000, 50), revenue: -1 }, arm(100, 500), { ...arm(1000, 50), revenueSquares: Infinity }]) {
      const out = readOut(bad, arm(1000, 50));
      expect(out.conversionRate).toBeNull();
      expect(out.verdict).toMatch(/counts are inconsistent/);
      expectFinite(out);
    }
  });
});

describe('readOut degenerate data', () => {
  it('gives null, not NaN, where every session converted in both arms', () => {
    const out = readOut(arm(500, 500), arm(500, 500));
    expect(out.conversionRate).toBeNull();
    expect(out.revenuePerSession).toBeNull();
    expect(out.verdict).toMatch(/no variation/);
    expectFinite(out);
  });

  it('keeps conversion rate where one arm converted fully and revenue has no spread in one arm only', () => {
    const out = readOut(arm(500, 500), arm(500, 250));
    expect(out.conversionRate!.estimate).toBeCloseTo(1, 12);
    expectFinite(out);
  });

  it('stays finite on huge counts', () => {
    const big = (p: number): ArmTotals => ({ sessions: 1e15, conversions: p * 1e15, orders: p * 1e15, revenue: p * 1e15 * 1e9, revenueSquares: p * 1e15 * 1e18 * 3 });
    const out = readOut(big(0.031), big(0.03));
    expectFinite(out);
    expect(out.significant.revenuePerSession).toBe(true);
    expect(out.revenuePerSession!.estimate).toBeCloseTo(0.031 / 0.03 - 1, 9);
  });

  it('gives null rather than Infinity for an interval wider than a double', () => {
    const out = readOut(arm(1000, 50, 1), arm(1000, 50, 1), { tau: 1e-200 });
    expect(readOut(arm(1000, 50, 1), arm(1000, 50, 1)).conversionRate).not.toBeNull();
    expect(out.conversionRate).toBeNull();
    expectFinite(out);
  });

  it('refuses invalid options with the valid range', () => {
    expect(() => readOut(arm(100, 10), arm(100, 10), { alpha: 0 })).toThrow(/alpha must be in \(0, 0\.5\]/);
    expect(() => readOut(arm(100, 10), arm(100, 10), { mde: -0.1 })).toThrow(/mde must be/);
    expect(() => readOut(arm(100, 10), arm(100, 10), { tau: Number.NaN })).toThrow(/tau must be/);
  });
});

describe('formatting', () => {
  it.each([
    [0.08, '+8%'],
    [0.1, '+10%'],
    [0.1449, '+14%'],
    [-0.061, '−6.1%'],
    [0.004, '+0.4%'],
    [0.00004, '+0.004%'],
    [-0.00004, '−0.004%'],
    [0, '0%'],
  ])('writes the uplift %d as %s', (x, text) => {
    expect(formatUplift(x)).toBe(text);
  });
  it('rounds sessions needed up to two significant digits', () => {
    expect(formatCount(4_314_280)).toBe('4,400,000');
    expect(formatCount(4100)).toBe('4,100');
    expect(formatCount(87)).toBe('87');
  });
});
