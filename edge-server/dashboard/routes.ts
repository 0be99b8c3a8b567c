/**
 * `GET /dashboard`: a server-rendered admin page (model versions, the holdout experiment's read-out, CTR
 * and conversion by placement and copy variant, federated rounds and epsilon). Admins sign in with the bearer token in an Authorization
 * header, or through the login form, which sets an HttpOnly, SameSite=Strict session cookie scoped to
 * `/dashboard`, Secure whenever the client's connection is TLS (`peer`), which the logout form ends on
 * the server too. Wrong tokens count per network source (`AdminAuth.signIn`). Shoppers never get a
 * cookie from this server; only this admin page sets one.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { TOKEN } from '../../core/analytics.ts';
import { isRecord } from '../../core/errors.ts';
import { bearerToken, hasSession, SESSION_COOKIE, SESSION_SECONDS, type AdminAuth } from '../admin/auth.ts';
import { readExperimentReadout } from '../analytics/experiment-routes.ts';
import { readReadout } from '../analytics/readout-query.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
import { limitBody, readText } from '../middleware/body.ts';
import { ApiError } from '../middleware/errors.ts';
import { sourceKey, type PeerOf } from '../middleware/peer.ts';
import type { Storage } from '../models/storage.ts';
import { loginPage, dashboardPage, type PrivacyBudget, type Round } from './page.ts';

/** No script, no outside resources: the page is HTML, inline SVG and one style element. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface DashboardSettings {
  auth: AdminAuth;
  storage: Storage;
  analytics: AnalyticsStore;
  suppressBelow: number;
  /** Most cells per model and day (`analytics.maxCellsPerDay`), for the read-out to say when a day reached it. */
  maxCellsPerDay: number;
  /** The whole app's fetch, to read `GET /v1/admin/rounds` as any admin client would. */
  fetch: (request: Request, env: unknown) => Response | Promise<Response>;
  /** Who is asking: the network source wrong tokens count against, and whether the connection is TLS (the cookie's `Secure`). */
  peer: PeerOf;
}

function wantsHtml(c: Context): boolean {
  return /text\/html/.test(c.req.header('Accept') ?? '');
}

/**
 * The model a sign-in should open: a name of the model name syntax, else none. The redirect after it is
 * built here, always to `/dashboard` on this origin, so a form field can never send an admin elsewhere.
 */
function modelToOpen(value: string | null | undefined): string | undefined {
  return value && TOKEN.test(value) ? value : undefined;
}

const dashboardPath = (model: string | undefined): string => (model === undefined ? '/dashboard' : `/dashboard?model=${encodeURIComponent(model)}`);

function page(c: Context, html: string, status: 200 | 401 | 403 | 429 = 200): Response {
  return c.html(html, status, { 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
}

/** Rounds from the federation's `GET /v1/admin/rounds`; empty when it is absent or answers otherwise. */
async function readRounds(c: Context, fetch: DashboardSettings['fetch']): Promise<{ rounds: Round[]; available: boolean }> {
  const headers = new Headers();
  for (const name of ['Authorization', 'Cookie']) {
    const value = c.req.header(name);
    if (value) headers.set(name, value);
  }
  try {
    const res = await fetch(new Request(new URL('/v1/admin/rounds', c.req.url), { headers }), c.env);
    if (!res.ok) {
      await res.body?.cancel();
      return { rounds: [], available: false };
    }
    const body: unknown = await res.json();
    const list = isRecord(body) && Array.isArray(body.rounds) ? body.rounds : [];
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    const rounds = list.filter(isRecord).map(
      (r): Round => ({
        model: typeof r.model === 'string' ? r.model : '',
        round: num(r.round),
        closedAt: typeof r.closedAt === 'string' ? r.closedAt : null,
        updates: num(r.updates),
        sources: num(r.sources),
        epsilon: num(r.epsilon),
        totalEpsilon: num(r.totalEpsilon),
        version: typeof r.version === 'string' ? r.version : null,
      }),
    );
    return { rounds, available: true };
  } catch {
    return { rounds: [], available: false };
  }
}

/** The model's privacy budget from `GET /v1/admin/privacy-budget`; null when it is absent or answers otherwise. */
async function readBudget(c: Context, fetch: DashboardSettings['fetch'], model: string): Promise<PrivacyBudget | null> {
  const headers = new Headers();
  for (const name of ['Authorization', 'Cookie']) {
    const value = c.req.header(name);
    if (value) headers.set(name, value);
  }
  try {
    const res = await fetch(new Request(new URL(`/v1/admin/privacy-budget?model=${encodeURIComponent(model)}`, c.req.url), { headers }), c.env);
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const body: unknown = await res.json();
    const b = isRecord(body) && Array.isArray(body.budgets) ? body.budgets[0] : undefined;
    const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (!isRecord(b) || !num(b.totalEpsilon) || !num(b.epsilonBudget) || !num(b.todayEpsilon) || !num(b.epsilonPerDay) || !Array.isArray(b.resets)) return null;
    const resets = b.resets.filter(isRecord).map((r) => ({
      at: typeof r.at === 'string' ? r.at : '',
      by: typeof r.by === 'string' ? r.by : '',
      before: isRecord(r.before) && num(r.before.totalEpsilon) && num(r.before.todayEpsilon) ? { totalEpsilon: r.before.totalEpsilon, todayEpsilon: r.before.todayEpsilon } : { totalEpsilon: NaN, todayEpsilon: NaN },
    }));
    return { totalEpsilon: b.totalEpsilon, epsilonBudget: b.epsilonBudget, todayEpsilon: b.todayEpsilon, epsilonPerDay: b.epsilonPerDay, resets };
  } catch {
    return null;
  }
}

export function dashboardRoutes(settings: DashboardSettings): Hono {
  const { auth, storage, analytics, suppressBelow, maxCellsPerDay, fetch, peer } = settings;
  const source = (c: Context): string => sourceKey(peer(c).address);
  // Secure whenever the admin reached us over TLS (directly or through a trusted TLS proxy), so the
  // browser never sends the session over plain HTTP; not otherwise, or a plain-HTTP setup (a laptop,
  // a test) could not sign in at all.
  const cookieOptions = (c: Context) => ({ path: '/dashboard', httpOnly: true, sameSite: 'Strict', secure: peer(c).secure }) as const;
  const routes = new Hono();

  routes.use('*', async (c, next) => {
    if (!auth.enabled) throw new ApiError(404, 'admin_disabled', 'the dashboard is off: configure an admin token');
    return next();
  });

  routes.get('/', async (c) => {
    const token = bearerToken(c);
    if (token === null) throw new ApiError(401, 'unauthorized', 'the Authorization header must be "Bearer <token>"', { 'WWW-Authenticate': 'Bearer realm="edge-recs admin"' });
    if (token !== undefined) {
      if (!(await auth.signIn(token, source(c)))) throw new ApiError(403, 'forbidden', 'the admin token is not valid');
    } else if (!(await hasSession(c, auth))) {
      if (wantsHtml(c)) return page(c, loginPage(undefined, modelToOpen(c.req.query('model'))), 401);
      throw new ApiError(401, 'unauthorized', 'sign in at /dashboard or send Authorization: Bearer <token>', { 'WWW-Authenticate': 'Bearer realm="edge-recs admin"' });
    }
    const model = c.req.query('model') ?? 'default';
    if (!TOKEN.test(model)) throw new ApiError(400, 'bad_model', `?model= must name a model (got ${JSON.stringify(model)})`);
    // The same bounded read as GET /v1/admin/metrics: a range of days and one page of its finest groups.
    const query = { to: c.req.query('to'), days: c.req.query('days'), cursor: c.req.query('cursor') };
    const [record, metrics, rounds, budget, experiment] = await Promise.all([
      storage.meta.getModel(model),
      readReadout(analytics, model, query, suppressBelow, maxCellsPerDay),
      readRounds(c, fetch),
      readBudget(c, fetch, model),
      readExperimentReadout(analytics, model, undefined, suppressBelow),
    ]);
    const modelRounds = rounds.rounds.filter((r) => r.model === model || r.model === '');
    return page(c, dashboardPage({ model, record, metrics, rounds: modelRounds, roundsAvailable: rounds.available, budget, experiment }));
  });

  routes.post('/login', limitBody(4096), async (c) => {
    const form = new URLSearchParams(await readText(c));
    const token = (form.get('token') ?? '').trim();
    const model = modelToOpen(form.get('model'));
    let valid: boolean;
    try {
      valid = await auth.signIn(token, source(c));
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 429) throw err;
      const minutes = Math.ceil(Number(err.headers['Retry-After']) / 60);
      c.header('Retry-After', err.headers['Retry-After']!);
      return page(c, loginPage(`Too many wrong tokens from your network. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, model), 429);
    }
    if (!valid) return page(c, loginPage('That token is not valid.', model), 403);
    setCookie(c, SESSION_COOKIE, await auth.session(token), { ...cookieOptions(c), maxAge: SESSION_SECONDS });
    return c.redirect(dashboardPath(model), 303);
  });

  routes.post('/logout', async (c) => {
    // Ended on the server, so the cookie is refused from now on even where a copy of it survives.
    const value = getCookie(c, SESSION_COOKIE);
    if (value !== undefined) await auth.endSession(value);
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
    return c.redirect('/dashboard', 303);
  });

  return routes;
}
