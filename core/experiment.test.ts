import { describe, expect, it } from 'vitest';
import { SESSION_GAP_MS, advanceSession, drawArm, parseExperiment, parseExperimentCounters, parseExperimentRevenue, parseExperimentStart, type SessionInput, type SessionState } from './experiment.ts';

describe('parseExperimentStart', () => {
  it('accepts the documented body', () => {
    expect(parseExperimentStart({ name: 'spring-test', holdout: 0.1, control: 'bestsellers' })).toEqual({ name: 'spring-test', holdout: 0.1, control: 'bestsellers' });
  });
  it.each([
    [{ name: 'x', holdout: 0.6, control: 'none' }, /holdout/],
    [{ name: 'x', holdout: 0, control: 'none' }, /holdout/],
    [{ name: 'bad name', holdout: 0.1, control: 'none' }, /name/],
    [{ name: 'x', holdout: 0.1, control: 'random' }, /control/],
    [{ name: 'x', holdout: 0.1, control: 'none', user: 'u1' }, /unknown field "user"/],
    ['x', /expected/],
  ])('refuses %j with a clear error', (raw, message) => {
    expect(() => parseExperimentStart(raw)).toThrow(message);
  });
  it('reads a served experiment with its start time, and refuses one without', () => {
    expect(parseExperiment({ name: 'a', holdout: 0.2, control: 'none', startedAt: '2026-12-01T00:00:00Z' }).startedAt).toBe('2026-12-01T00:00:00Z');
    expect(() => parseExperiment({ name: 'a', holdout: 0.2, control: 'none' })).toThrow(/startedAt/);
  });
});

describe('drawArm', () => {
  it('puts about the holdout share of devices in control, the same device always in the same arm', () => {
    let control = 0;
    for (let i = 0; i < 20_000; i++) {
      const draw = (i * 0.6180339887) % 1;
      const arm = drawArm({ name: 'spring', holdout: 0.1 }, draw);
      expect(drawArm({ name: 'spring', holdout: 0.1 }, draw)).toBe(arm);
      if (arm === 'control') control++;
    }
    expect(control / 20_000).toBeGreaterThan(0.09);
    expect(control / 20_000).toBeLessThan(0.11);
  });
  it('draws afresh for another experiment name', () => {
    let same = 0;
    for (let i = 0; i < 10_000; i++) {
      const draw = (i * 0.7548776662) % 1;
      if (drawArm({ name: 'a', holdout: 0.5 }, draw) === drawArm({ name: 'b', holdout: 0.5 }, draw)) same++;
    }
    // Independent draws agree about half the time; the same draw would agree always.
    expect(same / 10_000).toBeGreaterThan(0.45);
    expect(same / 10_000).toBeLessThan(0.55);
  });
});

describe('advanceSession', () => {
  const run = (inputs: Array<[SessionInput, number]>) => {
    let state: SessionState | undefined;
    const total = { sessions: 0, cartSessions: 0, purchaseSessions: 0, orders: 0, amount: 0, squares: 0 };
    for (const [input, at] of inputs) {
      const r = advanceSession(state, input, at, 'exp', 'treatment');
      state = r.state;
      total.sessions += r.delta.sessions;
      total.cartSessions += r.delta.cartSessions;
      total.purchaseSessions += r.delta.purchaseSessions;
      total.orders += r.delta.orders;
      for (const v of r.delta.revenue) {
        total.amount += v.amount;
        total.squares += v.squares;
      }
    }
    return total;
  };
  it('counts a session once, its add-to-cart and purchase once, each order, and its revenue squared', () => {
    const t = run([
      [{ kind: 'exposure' }, 0],
      [{ kind: 'exposure' }, 1000],
      [{ kind: 'add_to_cart' }, 2000],
      [{ kind: 'add_to_cart' }, 3000],
      [{ kind: 'purchase', currency: 'EUR', amount: 1000 }, 4000],
      [{ kind: 'purchase', currency: 'EUR', amount: 500 }, 5000],
    ]);
    expect(t).toEqual({ sessions: 1, cartSessions: 1, purchaseSessions: 1, orders: 2, amount: 1500, squares: 1500 ** 2 });
  });
  it('starts a new session after the gap, and counts nothing before a session is exposed', () => {
    const t = run([
      [{ kind: 'add_to_cart' }, 0],
      [{ kind: 'purchase', currency: 'EUR', amount: 100 }, 1],
      [{ kind: 'exposure' }, 2],
      [{ kind: 'purchase', currency: 'EUR', amount: 200 }, 3],
      [{ kind: 'purchase', currency: 'EUR', amount: 300 }, 4 + SESSION_GAP_MS + 1],
      [{ kind: 'exposure' }, 5 + SESSION_GAP_MS + 1],
      [{ kind: 'purchase', currency: 'EUR', amount: 400 }, 6 + SESSION_GAP_MS + 1],
    ]);
    expect(t).toEqual({ sessions: 2, cartSessions: 0, purchaseSessions: 2, orders: 2, amount: 600, squares: 200 ** 2 + 400 ** 2 });
  });
  it('keeps a session going on any other shop event (activity), which counts nothing itself', () => {
    const step = SESSION_GAP_MS - 1000;
    const inputs: Array<[SessionInput, number]> = [[{ kind: 'exposure' }, 0]];
    // Browsing for longer than the gap without the widget on the page: still the same session.
    for (let i = 1; i <= 3; i++) inputs.push([{ kind: 'activity' }, i * step]);
    inputs.push([{ kind: 'purchase', currency: 'EUR', amount: 700 }, 4 * step]);
    expect(run(inputs)).toEqual({ sessions: 1, cartSessions: 0, purchaseSessions: 1, orders: 1, amount: 700, squares: 700 ** 2 });
    // Without the activity the purchase is in a new session, never exposed: nothing counts.
    expect(run([[{ kind: 'exposure' }, 0], [{ kind: 'purchase', currency: 'EUR', amount: 700 }, 4 * step]])).toEqual({ sessions: 1, cartSessions: 0, purchaseSessions: 0, orders: 0, amount: 0, squares: 0 });
  });
});

describe('metrics batch parts', () => {
  it('reads counters and revenue, and refuses extra fields, bad arms and impossible squares', () => {
    expect(parseExperimentCounters([{ experiment: 'e', arm: 'control', sessions: 1, cartSessions: 0, purchaseSessions: 0, orders: 0 }])).toHaveLength(1);
    expect(parseExperimentCounters(undefined)).toEqual([]);
    expect(() => parseExperimentCounters([{ experiment: 'e', arm: 'control', sessions: 1, cartSessions: 0, purchaseSessions: 0, orders: 0, device: 'd' }])).toThrow(/unknown field "device"/);
    expect(() => parseExperimentCounters([{ experiment: 'e', arm: 'both', sessions: 1, cartSessions: 0, purchaseSessions: 0, orders: 0 }])).toThrow(/arm/);
    expect(parseExperimentRevenue([{ experiment: 'e', arm: 'treatment', currency: 'EUR', amount: 100, squares: 10_000 }])).toHaveLength(1);
    expect(() => parseExperimentRevenue([{ experiment: 'e', arm: 'treatment', currency: 'EUR', amount: 100, squares: 10 }])).toThrow(/squares/);
  });
});
