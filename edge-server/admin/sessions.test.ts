import { describe, expect, it } from 'vitest';
import { rateLimiter } from '../middleware/rate-limit.ts';
import { adminAuth } from './auth.ts';
import { SESSION_LIMITS, SessionTable } from './sessions.ts';

const TOKEN = 'sessions-test-token-0123456789';

describe('admin sessions', () => {
  it('keeps at most the limit of live sessions, ending those closest to expiry first', () => {
    const now = 1_000;
    const table = new SessionTable([], 3, () => now);
    table.add('expired', now - 1);
    for (const [id, expires] of [['a', now + 10], ['b', now + 30], ['c', now + 20], ['d', now + 40]] as const) table.add(id, expires);
    expect([...table.entries.keys()].sort()).toEqual(['b', 'c', 'd']);
    expect(table.has('a')).toBe(false);
    expect(SESSION_LIMITS.sessions).toBe(1000);
  });

  it('logout ends the one session it names; a forged or foreign cookie ends nothing', async () => {
    const auth = adminAuth([TOKEN]);
    const one = await auth.session(TOKEN);
    const two = await auth.session(TOKEN);
    await auth.endSession(`${two.slice(0, -1)}${two.endsWith('A') ? 'B' : 'A'}`);
    await auth.endSession(await adminAuth([`${TOKEN}-other`]).session(`${TOKEN}-other`));
    expect(await auth.checkSession(two)).toBe(true);
    await auth.endSession(one);
    expect(await auth.checkSession(one)).toBe(false);
    expect(await auth.checkSession(two)).toBe(true);
  });

  it('counts wrong tokens per source and refuses a source over its limit before looking at the token', async () => {
    const auth = adminAuth([TOKEN]);
    for (let i = 0; i < SESSION_LIMITS.attempts.burst; i++) expect(await auth.signIn('wrong-token-0123456789', '203.0.113.9')).toBe(false);
    await expect(auth.signIn(TOKEN, '203.0.113.9')).rejects.toMatchObject({ status: 429, code: 'too_many_attempts', headers: { 'Retry-After': '60' } });
    expect(await auth.signIn(TOKEN, '203.0.113.10')).toBe(true);
    // Right tokens are not counted: an admin may sign in as often as they like.
    for (let i = 0; i < 3 * SESSION_LIMITS.attempts.burst; i++) expect(await auth.signIn(TOKEN, '203.0.113.11')).toBe(true);
  });
});

describe('rateLimiter.peek', () => {
  it('answers as take would, without taking', () => {
    let t = 0;
    const limiter = rateLimiter({ perSecond: 1, burst: 2, sources: 10 }, () => t);
    expect(limiter.peek('a')).toEqual({ ok: true });
    expect(limiter.size).toBe(0);
    limiter.take('a');
    limiter.take('a');
    expect(limiter.peek('a')).toEqual({ ok: false, retryAfter: 1 });
    t = 1000;
    expect(limiter.peek('a')).toEqual({ ok: true });
    expect(limiter.peek('a')).toEqual({ ok: true });
  });
});
