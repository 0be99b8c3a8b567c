import { describe, expect, it } from 'vitest';
import { dashboardSession } from './dashboard-session.ts';

describe('the dashboard session under attack (issue 14, must-have 7)', () => {
  it('is Secure behind TLS, ends for good at logout, and limits token guessing per source, on Node behind nginx and on Workers', async () => {
    const outcome = await dashboardSession({ attempts: 30 });
    for (const runtime of ['node', 'workers'] as const) {
      const o = outcome[runtime]!;
      expect(o.loginStatus, runtime).toBe(303);
      expect(o.cookie, runtime).toEqual({ secure: true, httpOnly: true, sameSiteStrict: true });
      expect(o.dashboardWithCookie, runtime).toBe(200);
      expect(o.logoutStatus, runtime).toBe(303);
      // The old cookie opens nothing after logout; another admin's session goes on.
      expect(o.dashboardAfterLogout, runtime).toBe(401);
      expect(o.adminApiAfterLogout, runtime).toBe(401);
      expect(o.otherSessionAfterLogout, runtime).toBe(200);
      // 10 wrong tokens are looked at, then one a minute: the rest get 429 with Retry-After, the right
      // token from that source too (a guess is not even checked), while an admin elsewhere signs in.
      expect(o.bruteForce, runtime).toEqual({ attempts: 30, checked: 10, refused: 20, retryAfterSeconds: 60, rightTokenFromThatSource: 429, honestAdminElsewhere: 303 });
    }
    // Plain HTTP straight to Node gets no Secure (it could not sign in otherwise); a restart keeps
    // sessions and logouts alike.
    expect(outcome.node!.plainHttpCookieSecure).toBe(false);
    expect(outcome.node!.otherSessionAfterRestart).toBe(200);
    expect(outcome.node!.loggedOutAfterRestart).toBe(401);
  }, 180_000);
});
