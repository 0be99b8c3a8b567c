/**
 * Attack (issue 14, must-have 7) on the admin dashboard's session, on Node behind the documented nginx
 * TLS front (`main.ts --trust-proxy 127.0.0.1`, nginx with `ssl`, clients speaking HTTPS from their
 * own loopback addresses) and on Workers (workerd through Miniflare, requests as Cloudflare's edge hands
 * them over: https, `CF-Connecting-IP`):
 * - the cookie a login sets: `Secure` behind TLS (Node saw plain HTTP from nginx and left it out), and
 *   not on a plain-HTTP connection straight to Node;
 * - reuse after logout: the old cookie on the dashboard and on the admin API (it opened the dashboard
 *   for 8 h after logout), while another admin's session goes on, also across a Node restart;
 * - brute force: wrong tokens from one source as fast as it can send them, with forged
 *   `X-Forwarded-For` headers, then the right token from that source, and an honest admin elsewhere.
 */
import { RUNTIMES, startRuntime, type RuntimeName } from '../support/abuse/runtimes.ts';
import { startMainProcess } from '../support/abuse/main-process.ts';
import { startNginxTls, type Answer } from '../support/abuse/nginx-tls.ts';
import { freePort } from '../support/free-port.ts';
import type { AbuseBenchmark } from '../support/abuse/benchmark.ts';

/** Wrong tokens the full run sends from one source. */
const FULL_SCALE = { attempts: 1000 } as const;

export interface DashboardSessionOptions {
  attempts: number;
  runtimes?: readonly RuntimeName[];
}

export interface RuntimeOutcome {
  loginStatus: number;
  cookie: { secure: boolean; httpOnly: boolean; sameSiteStrict: boolean };
  /** Node only: the cookie of a login straight to Node over plain HTTP. */
  plainHttpCookieSecure?: boolean;
  dashboardWithCookie: number;
  logoutStatus: number;
  dashboardAfterLogout: number;
  adminApiAfterLogout: number;
  otherSessionAfterLogout: number;
  /** Node only: after a restart, the other session and the logged-out one. */
  otherSessionAfterRestart?: number;
  loggedOutAfterRestart?: number;
  bruteForce: {
    attempts: number;
    /** Wrong tokens the server looked at (403); the rest were refused unseen (429). */
    checked: number;
    refused: number;
    retryAfterSeconds: number | null;
    rightTokenFromThatSource: number;
    honestAdminElsewhere: number;
  };
}

export type DashboardSessionOutcome = Partial<Record<RuntimeName, RuntimeOutcome>>;

type Send = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string; source: number }) => Promise<Answer>;

const setCookie = (a: Answer): string => {
  const raw = a.headers['set-cookie'];
  return (Array.isArray(raw) ? raw.join('\n') : (raw ?? '')).split('\n').find((c) => c.startsWith('edge_recs_admin=')) ?? '';
};

/** The journey and the attack, over `send`; `source` numbers pick distinct network sources. */
async function journey(send: Send, token: string, attempts: number, restart?: () => Promise<void>): Promise<RuntimeOutcome> {
  const ADMIN = 1;
  const OTHER_ADMIN = 2;
  const ATTACKER = 3;
  const HONEST = 4;
  const login = (t: string, source: number, extra: Record<string, string> = {}): Promise<Answer> =>
    send('/dashboard/login', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...extra }, body: `token=${encodeURIComponent(t)}`, source });
  const open = async (cookie: string, source: number, path = '/dashboard'): Promise<number> =>
    (await send(path, { headers: { Cookie: cookie, Accept: path === '/dashboard' ? 'text/html' : 'application/json' }, source })).status;

  const first = await login(token, ADMIN);
  const header = setCookie(first);
  const cookie = header.split(';')[0]!;
  const other = setCookie(await login(token, OTHER_ADMIN)).split(';')[0]!;
  const outcome: RuntimeOutcome = {
    loginStatus: first.status,
    cookie: { secure: /;\s*Secure/i.test(header), httpOnly: /;\s*HttpOnly/i.test(header), sameSiteStrict: /;\s*SameSite=Strict/i.test(header) },
    dashboardWithCookie: await open(cookie, ADMIN),
    logoutStatus: (await send('/dashboard/logout', { method: 'POST', headers: { Cookie: cookie }, source: ADMIN })).status,
    dashboardAfterLogout: await open(cookie, ADMIN),
    adminApiAfterLogout: await open(cookie, ADMIN, '/v1/admin/metrics?model=default'),
    otherSessionAfterLogout: await open(other, OTHER_ADMIN),
    bruteForce: { attempts, checked: 0, refused: 0, retryAfterSeconds: null, rightTokenFromThatSource: 0, honestAdminElsewhere: 0 },
  };
  if (restart) {
    await restart();
    outcome.otherSessionAfterRestart = await open(other, OTHER_ADMIN);
    outcome.loggedOutAfterRestart = await open(cookie, ADMIN);
  }
  const b = outcome.bruteForce;
  for (let i = 0; i < attempts; i++) {
    // A forged X-Forwarded-For per attempt: only a trusted proxy's is believed, so it changes nothing.
    const a = await login(`wrong-token-${i}-0123456789abcdef`, ATTACKER, { 'X-Forwarded-For': `198.51.100.${i % 250}` });
    if (a.status === 403) b.checked++;
    else if (a.status === 429) {
      b.refused++;
      const retry = Number(a.headers['retry-after']);
      if (b.retryAfterSeconds === null && Number.isFinite(retry)) b.retryAfterSeconds = retry;
    }
  }
  b.rightTokenFromThatSource = (await login(token, ATTACKER)).status;
  b.honestAdminElsewhere = (await login(token, HONEST)).status;
  return outcome;
}

async function onNode(attempts: number): Promise<RuntimeOutcome> {
  const token = 'abuse-dashboard-admin-token-0123456789';
  const port = await freePort();
  const node = await startMainProcess({ args: ['--admin-token', token, '--trust-proxy', '127.0.0.1'], port });
  try {
    const nginx = await startNginxTls({ storeDir: `${node.dataDir}/store`, upstream: `127.0.0.1:${port}` });
    try {
      // Source n is loopback address 127.0.0.(n + 1): nginx sees it as the client and tells Node.
      const send: Send = (path, { source, ...init }) => nginx.request(path, { ...init, from: `127.0.0.${source + 1}` });
      const restart = async (): Promise<void> => {
        await node.restart();
        for (let i = 0; (await nginx.request('/healthz').then((a) => a.status, () => 0)) !== 200; i++) {
          if (i > 400) throw new Error('the restarted server does not answer through nginx');
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      const outcome = await journey(send, token, attempts, restart);
      const plain = await fetch(`${node.url}/dashboard/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${token}`, redirect: 'manual' });
      outcome.plainHttpCookieSecure = /;\s*Secure/i.test(plain.headers.getSetCookie().join('\n'));
      return outcome;
    } finally {
      await nginx.stop();
    }
  } finally {
    await node.stop();
  }
}

async function onWorkers(attempts: number): Promise<RuntimeOutcome> {
  const runtime = await startRuntime('workers');
  try {
    const send: Send = async (path, { source, ...init }) => {
      const res = await runtime.fetch(path, { ...init, headers: { ...init.headers, ...runtime.source(source) } });
      const headers: Answer['headers'] = {};
      res.headers.forEach((value, name) => (headers[name] = value));
      headers['set-cookie'] = res.headers.getSetCookie();
      return { status: res.status, headers, body: await res.text() };
    };
    return await journey(send, runtime.adminToken, attempts);
  } finally {
    await runtime.close();
  }
}

export async function dashboardSession(options: DashboardSessionOptions): Promise<DashboardSessionOutcome> {
  const outcome: DashboardSessionOutcome = {};
  for (const name of options.runtimes ?? RUNTIMES) outcome[name] = name === 'node' ? await onNode(options.attempts) : await onWorkers(options.attempts);
  return outcome;
}

/** `npm run bench -- abuse`: this attack at `FULL_SCALE`. */
export const benchmark: AbuseBenchmark = { scale: FULL_SCALE, run: () => dashboardSession(FULL_SCALE) };
