/**
 * The federated HTTP API under `/v1`: `POST /updates` (device updates in), `GET /models/:name/deltas`
 * (aggregated deltas out), and `GET /rounds` for the admin router (`/v1/admin/rounds`).
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { VERSION_LABEL } from '../../core/artifact/manifest.ts';
import { isRecord } from '../../core/errors.ts';
import { hasMethods, optionError, type Fail } from '../../core/options.ts';
import { DELTA_MEDIA_TYPE, UPDATE_MEDIA_TYPE } from '../../core/federated/codec.ts';
import { limitBody } from '../middleware/body.ts';
import { bearerToken } from '../admin/auth.ts';
import { ApiError } from '../middleware/errors.ts';
import { IMMUTABLE, noneMatch, quoteEtag } from '../middleware/http.ts';
import { securedResponse, withApiSecurity } from '../middleware/security.ts';
import { sourceKey, type PeerOf } from '../middleware/peer.ts';
import { createAdmission, type Admission } from './admission.ts';
import { admissionRoutes } from './admission-routes.ts';
import { CLIENT_TOKEN, CLIENT_TOKEN_HEADER } from '../../core/federated/client-token.ts';
import { tokenHash } from './client-token.ts';
import { FederationRefusal, type RefusalCode } from './errors.ts';
import type { Federation } from './types.ts';

export interface FederatedRouteOptions {
  /**
   * Largest update body accepted, in bytes; larger ones get 413 before any byte is parsed. Default
   * 256 KiB: a dense int8 update of a 2-block, dim-64 SASRec with 64 rows is ~60 KB, so honest devices
   * stay well inside it.
   * @example { maxUpdateBytes: 64 * 1024 }
   */
  maxUpdateBytes?: number;
  /**
   * Turns a client token into the form the federation stores and rate-limits by: the first 32 hex digits
   * of its SHA-256. Default `tokenHash` (`crypto.subtle`, every runtime). A runtime with a synchronous
   * SHA-256 passes it here: Node's `crypto.subtle.digest` goes through the thread pool and costs more
   * per call than the rest of an upload's validation (the Node adapter passes `createHash`). Must give
   * the same digest as `tokenHash`, since stored updates are matched by it across restarts.
   * @example { hashToken: (token) => createHash('sha256').update(token).digest('hex').slice(0, 32) }
   */
  hashToken?: (token: string) => string | Promise<string>;
  /**
   * Admission: each update must spend a Privacy Pass token (RFC 9577 `Authorization: PrivateToken
   * token=...`), issued at `/v1/federated/tokens` at most `tokensPerDay` times per network source per
   * day (`admission.ts`). Default: `createAdmission()` with keys in memory; the Node and Workers adapters
   * pass one with durable keys. `false` takes updates without tokens: UNSAFE, since one script with
   * made-up client tokens can then fill whole rounds; only for a closed test setup.
   * @example { admission: createAdmission({ store: await openDiskAdmissionStore(dir), tokensPerDay: 2 }) }
   */
  admission?: Admission | false;
}

const UPDATE_TYPES = [UPDATE_MEDIA_TYPE, 'application/octet-stream'];
const LATEST_CACHE = 'public, max-age=60, must-revalidate';
/** Built once: the same header object on every receipt, so the CORS grant is merged into it once. */
const RECEIPT_HEADERS = withApiSecurity({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });

/** The HTTP status of each refusal of the federation. */
const REFUSAL_STATUS: Record<RefusalCode, ContentfulStatusCode> = {
  federation_disabled: 404,
  unknown_model: 404,
  stale_version: 409,
  budget_exhausted: 409,
  epsilon_daily_cap: 429,
  rate_limited: 429,
  source_share_exceeded: 429,
  round_publishing: 503,
  round_unavailable: 503,
  delta_unavailable: 410,
};

/** A refusal of the federation as its HTTP answer (status, code, message, `Retry-After`); any other error as it is. */
function answerFor(err: unknown): unknown {
  if (!(err instanceof FederationRefusal)) return err;
  return new ApiError(REFUSAL_STATUS[err.code], err.code, err.message, err.retryAfter === undefined ? {} : { 'Retry-After': String(err.retryAfter) });
}

/** The federation's answer to a call, its refusal thrown as the HTTP answer. */
async function answered<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw answerFor(err);
  }
}

const fail: Fail = optionError('createApp');

/** `/updates` and `/models/:name/deltas`; `federation` undefined answers them as a server without federated learning. */
function updateRoutes(federation: Federation | undefined, options: FederatedRouteOptions, peer: PeerOf): Hono {
  const maxBytes = options.maxUpdateBytes ?? 256 * 1024;
  if (!Number.isInteger(maxBytes) || maxBytes < 1024) fail(`federated.maxUpdateBytes must be an integer >= 1024 (got ${String(maxBytes)})`);
  const hashToken = options.hashToken ?? tokenHash;
  const admission = options.admission || null;
  if (typeof hashToken !== 'function') fail('federated.hashToken must be a function (token) => hex digest');
  const routes = new Hono();

  routes.post(
    '/updates',
    (c, next) => {
      if (!federation) throw new ApiError(404, 'federation_disabled', 'this server does not take federated updates');
      const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!UPDATE_TYPES.includes(type)) {
        throw new ApiError(415, 'unsupported_media_type', `Content-Type must be one of ${UPDATE_TYPES.join(', ')} (got ${JSON.stringify(type || 'none')})`);
      }
      const token = c.req.header(CLIENT_TOKEN_HEADER);
      if (!token || !CLIENT_TOKEN.test(token)) {
        throw new ApiError(400, 'bad_client_token', `${CLIENT_TOKEN_HEADER} must be 16-128 characters of A-Z a-z 0-9 _ - (a random value the device rotates daily)`);
      }
      return next();
    },
    limitBody(maxBytes, `an update may be at most ${maxBytes} bytes`),
    async (c) => {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      if (bytes.byteLength > maxBytes) throw new ApiError(413, 'payload_too_large', `an update may be at most ${maxBytes} bytes`);
      // Spent before the update is looked at, so two requests with one token cannot both pass; given back
      // when the update is refused, so a token admits exactly one accepted update.
      const redemption = await admission?.redeem(c.req.header('Authorization'));
      let result;
      try {
        // The source the per-round share cap counts by (`maxSourceShare`): the client address, never stored.
        result = await federation!.submit({ bytes, tokenHash: await hashToken(c.req.header(CLIENT_TOKEN_HEADER)!), source: sourceKey(peer(c).address) });
      } catch (err) {
        await redemption?.release();
        throw answerFor(err);
      }
      if (result.duplicate) await redemption?.release();
      return securedResponse(JSON.stringify(result), result.duplicate ? 200 : 202, RECEIPT_HEADERS);
    },
  );

  routes.get('/models/:name/deltas', async (c) => {
    const name = c.req.param('name');
    const from = c.req.query('from');
    const to = c.req.query('to');
    for (const [field, v] of [['from', from], ['to', to]] as const) {
      if ((field === 'from' || v !== undefined) && (v === undefined || !VERSION_LABEL.test(v))) {
        throw new ApiError(400, 'bad_version', `?${field}= must be a version label matching ${VERSION_LABEL} (got ${JSON.stringify(v ?? null)})`);
      }
    }
    if (!federation) throw new ApiError(410, 'delta_unavailable', 'this server publishes no deltas: download the full model');
    const result = await answered(federation.delta(name, from!, to));
    if (result.kind === 'current') return c.body(null, 204, { 'Cache-Control': LATEST_CACHE, 'X-Model-Version': result.version });
    const etag = quoteEtag(result.sha256);
    // Pinned to both versions the bytes never change; "to the current version" changes with each round.
    const headers = { ETag: etag, 'Cache-Control': to ? IMMUTABLE : LATEST_CACHE, 'X-Model-Version': result.to, 'X-Delta-From': result.from };
    if (noneMatch(c.req.header('If-None-Match'), etag)) return c.body(null, 304, headers);
    return c.body(result.bytes, 200, { ...headers, 'Content-Type': DELTA_MEDIA_TYPE });
  });

  return routes;
}

/**
 * For the admin router (behind its guard): `GET /rounds` (`?model=NAME` for one model): `{ rounds: [...] }`,
 * oldest first; `GET /privacy-budget` (`?model=NAME`): `{ budgets: [...] }`, ε spent in total and today
 * against the caps with every reset; `POST /privacy-budget/:model/reset`: resets a model's budget and
 * answers the recorded reset (who: a hash prefix of the admin token used).
 */
export function roundsAdminRoutes(federation: Federation | undefined): Hono {
  const routes = new Hono();
  routes.get('/rounds', async (c) => {
    const model = c.req.query('model');
    c.header('Cache-Control', 'no-store');
    return c.json({ rounds: federation ? await answered(federation.rounds(model)) : [] });
  });
  routes.get('/privacy-budget', async (c) => {
    const model = c.req.query('model');
    c.header('Cache-Control', 'no-store');
    return c.json({ budgets: federation ? await answered(federation.budget(model)) : [] });
  });
  routes.post('/privacy-budget/:model/reset', async (c) => {
    if (!federation?.resetBudget) throw new ApiError(404, 'federation_disabled', 'this server runs no federated rounds');
    // The guard let only a bearer token through for a POST (a session cookie never authorizes a change).
    const token = bearerToken(c);
    if (typeof token !== 'string') throw new ApiError(401, 'unauthorized', 'resetting the privacy budget needs an admin bearer token: Authorization: Bearer <token>');
    const by = `admin:${(await tokenHash(token)).slice(0, 12)}`;
    const reset = await answered(federation.resetBudget(c.req.param('model'), by));
    c.header('Cache-Control', 'no-store');
    return c.json({ reset }, 200);
  });
  return routes;
}

/** The `federated` option of `createApp`: a federation (`createFederation`) and how its routes take updates. */
export type FederatedOptions = { federation: Federation } & FederatedRouteOptions;

/**
 * The federated feature: `/v1/federated/tokens` (admission), `POST /v1/updates`,
 * `GET /v1/models/:name/deltas`, and with a federation, behind the admin guard, `/v1/admin/rounds` and
 * `/v1/admin/privacy-budget`. Without `federated` the routes answer as a server without federated
 * learning. Checks its options once, here. `peer`: the source per-source limits count by.
 * @throws TypeError naming the first invalid option.
 */
export function federatedRoutes({ federated, peer }: { federated: FederatedOptions | undefined; peer: PeerOf }): Hono {
  if (federated !== undefined && !(isRecord(federated) && hasMethods(federated.federation, ['submit', 'delta', 'rounds']))) {
    fail('federated must be { federation: createFederation(...) }');
  }
  const admissionOption: unknown = federated?.admission;
  if (admissionOption !== undefined && admissionOption !== false && !hasMethods(admissionOption, ['directory', 'issue', 'redeem'])) {
    fail('federated.admission must be createAdmission(...) or false');
  }
  // Admission is on wherever federation is, unless the operator passed `admission: false`.
  const admission = federated ? (federated.admission === false ? null : (federated.admission ?? createAdmission())) : null;
  const routes = new Hono();
  routes.route('/v1', admissionRoutes(admission, peer, federated !== undefined));
  routes.route('/v1', updateRoutes(federated?.federation, { ...federated, admission: admission ?? false }, peer));
  // Absent without a federation, so the dashboard can say rounds are not available here.
  if (federated) routes.route('/v1/admin', roundsAdminRoutes(federated.federation));
  return routes;
}
