/**
 * Admin authentication: bearer tokens (RFC 6750) compared in constant time, wrong ones counted per
 * network source (`SESSION_LIMITS.attempts`: past the limit a source gets 429 before its token is even
 * looked at), and, for the dashboard, a session cookie: a random session id and its expiry, signed with
 * an HMAC keyed by the admin token that signed in, and recorded as live in `AdminSessions` until it
 * expires or its admin logs out. The signature lets a forged or stale cookie be refused without a
 * lookup; the record is what a logout removes, so the cookie is refused afterwards everywhere.
 * Web-standard crypto only.
 *
 * Tokens are compared as SHA-256 digests with a loop that always visits every byte of every configured
 * token, so neither the position of the first differing byte nor which token matched shows in the time
 * an answer takes.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { utf8 } from '../../core/artifact/bytes.ts';
import { show } from '../../core/errors.ts';
import { optionError, type Fail } from '../../core/options.ts';
import { ApiError } from '../middleware/errors.ts';
import { sourceKey, type PeerOf } from '../middleware/peer.ts';
import { checkAdminSessions, memoryAdminSessions, type AdminSessions } from './sessions.ts';

/** RFC 6750 `b64token` syntax; at least 16 characters so a guessable word is never an admin token. */
const TOKEN_SYNTAX = /^[A-Za-z0-9\-._~+/]{16,512}=*$/;
export const SESSION_COOKIE = 'edge_recs_admin';
/** A dashboard login lasts a working day. */
export const SESSION_SECONDS = 8 * 60 * 60;
const REALM = 'Bearer realm="edge-recs admin"';

const fail: Fail = optionError('createApp');

/**
 * Validates `adminTokens` when the app is built.
 * @throws TypeError naming the bad entry and the syntax expected.
 */
function checkAdminTokens(tokens: unknown): string[] {
  if (!Array.isArray(tokens)) fail('adminTokens must be an array of strings');
  return tokens.map((token: unknown, i) => {
    if (typeof token !== 'string' || !TOKEN_SYNTAX.test(token)) {
      fail(
        `adminTokens[${i}] must be 16-512 characters of A-Z a-z 0-9 - . _ ~ + / (e.g. from \`openssl rand -hex 24\`; got ${typeof token === 'string' ? `${token.length} characters` : show(token)})`,
      );
    }
    return token;
  });
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text)));
}

/** Equal-length byte strings compared without an early exit. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const base64url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export interface AdminAuth {
  /** False when no token is configured: the admin API and dashboard are then off. */
  enabled: boolean;
  /** Whether `token` is one of the configured tokens. */
  checkToken(token: string): Promise<boolean>;
  /**
   * Whether `token`, presented by network source `source` (`sourceKey`), is one of the configured
   * tokens; a wrong one counts against the source's limit.
   * @throws ApiError 429 `too_many_attempts` (with Retry-After) while the source is over its limit, whatever the token.
   */
  signIn(token: string, source: string): Promise<boolean>;
  /** Starts a session for a verified `token`, live for `SESSION_SECONDS` from `nowSeconds`: the cookie value. */
  session(token: string, nowSeconds?: number): Promise<string>;
  /** Whether a session cookie value is one this server issued, not expired and not logged out. */
  checkSession(value: string, nowSeconds?: number): Promise<boolean>;
  /** Ends the session a cookie value names, if it is one this server issued (logout). */
  endSession(value: string): Promise<void>;
}

/** `id.expires.mac`: 16 random bytes, Unix seconds, HMAC-SHA-256 (all base64url but the expiry). */
const SESSION_VALUE = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * @param sessions where live sessions and wrong-token counts are kept. Default: this process's memory
 *   (`memoryAdminSessions`); adapters pass a durable store shared by every process or isolate.
 */
export function adminAuth(tokens: readonly string[], sessions: AdminSessions = memoryAdminSessions()): AdminAuth {
  // Digests and HMAC keys are made once, on first use (createApp is synchronous; WebCrypto is not).
  let digests: Promise<Uint8Array[]> | undefined;
  let keys: Promise<CryptoKey[]> | undefined;
  const tokenDigests = (): Promise<Uint8Array[]> => (digests ??= Promise.all(tokens.map(digest)));
  const hmacKeys = (): Promise<CryptoKey[]> =>
    (keys ??= Promise.all(tokens.map((t) => crypto.subtle.importKey('raw', utf8.encode(t), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']))));
  const mac = async (key: CryptoKey, id: string, expires: number): Promise<Uint8Array> =>
    new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(`edge-recs admin session ${id} until ${expires}`)));
  /** The session id of a cookie value signed by one of the tokens and not expired, else null. */
  const signedId = async (value: string, nowSeconds: number): Promise<string | null> => {
    const m = SESSION_VALUE.exec(value);
    if (!m) return null;
    const [, id, expiresText, presentedMac] = m as unknown as [string, string, string, string];
    const expires = Number(expiresText);
    if (expires <= nowSeconds || expires > nowSeconds + SESSION_SECONDS) return null;
    const presented = utf8.encode(presentedMac);
    let ok = false;
    for (const key of await hmacKeys()) ok = sameBytes(presented, utf8.encode(base64url(await mac(key, id, expires)))) || ok;
    return ok ? id : null;
  };
  const checkToken = async (token: string): Promise<boolean> => {
    const presented = await digest(token);
    let ok = false;
    for (const known of await tokenDigests()) ok = sameBytes(presented, known) || ok;
    return ok;
  };

  return {
    enabled: tokens.length > 0,
    checkToken,
    async signIn(token, source) {
      const wait = await sessions.attemptWait(source);
      if (wait > 0) {
        throw new ApiError(429, 'too_many_attempts', `too many wrong admin tokens from this network; try again in ${wait} s`, { 'Retry-After': String(wait) });
      }
      if (await checkToken(token)) return true;
      await sessions.attemptFailed(source);
      return false;
    },
    async session(token, nowSeconds = Math.floor(Date.now() / 1000)) {
      const index = tokens.indexOf(token);
      if (index < 0) throw new Error('session() needs a verified token');
      const expires = nowSeconds + SESSION_SECONDS;
      const id = base64url(crypto.getRandomValues(new Uint8Array(16)));
      await sessions.add(id, expires);
      return `${id}.${expires}.${base64url(await mac((await hmacKeys())[index]!, id, expires))}`;
    },
    async checkSession(value, nowSeconds = Math.floor(Date.now() / 1000)) {
      const id = await signedId(value, nowSeconds);
      return id !== null && (await sessions.has(id));
    },
    async endSession(value) {
      const id = await signedId(value, Math.floor(Date.now() / 1000));
      if (id !== null) await sessions.delete(id);
    },
  };
}

/** The bearer token of a request: `undefined` when there is no Authorization header, `null` when it is not a bearer one. */
export function bearerToken(c: Context): string | null | undefined {
  const header = c.req.header('Authorization');
  if (header === undefined) return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m ? m[1]! : null;
}

/** Whether the request carries a valid dashboard session cookie. Only safe methods may use one (see `requireAdmin`). */
export async function hasSession(c: Context, auth: AdminAuth): Promise<boolean> {
  const value = getCookie(c, SESSION_COOKIE);
  return value !== undefined && (await auth.checkSession(value));
}

/**
 * Guards `/v1/admin/*`: a valid bearer token, or for GET and HEAD a dashboard session cookie (the
 * cookie is SameSite=Strict and never authorizes a change, so another site cannot make an admin's
 * browser change anything). Missing credentials: 401 with `WWW-Authenticate`; a wrong token: 403; too
 * many wrong tokens from the client's network source (`peer`): 429; no token configured: 404, the
 * admin API being off.
 */
export function requireAdmin(auth: AdminAuth, peer: PeerOf): MiddlewareHandler {
  return async (c, next) => {
    if (!auth.enabled) {
      throw new ApiError(404, 'admin_disabled', 'the admin API is off: configure an admin token (adminTokens; --admin-token or EDGE_RECS_ADMIN_TOKENS on Node, ADMIN_TOKENS on Workers)');
    }
    const token = bearerToken(c);
    if (token === undefined) {
      if ((c.req.method === 'GET' || c.req.method === 'HEAD') && (await hasSession(c, auth))) return next();
      throw new ApiError(401, 'unauthorized', 'an admin bearer token is required: Authorization: Bearer <token>', { 'WWW-Authenticate': REALM });
    }
    if (token === null) {
      throw new ApiError(401, 'unauthorized', 'the Authorization header must be "Bearer <token>"', { 'WWW-Authenticate': `${REALM}, error="invalid_request"` });
    }
    if (!(await auth.signIn(token, sourceKey(peer(c).address)))) throw new ApiError(403, 'forbidden', 'the admin token is not valid');
    c.header('Cache-Control', 'no-store');
    return next();
  };
}

/** Who may use the admin API and dashboard: the `createApp` options. */
export interface AdminAccessOptions {
  /**
   * Bearer tokens that unlock `/v1/admin/*` and `/dashboard`, compared in constant time. Default `[]`:
   * the admin API and dashboard answer 404, so a server nobody set up for administration has none.
   * Each 16-512 characters of A-Z a-z 0-9 - . _ ~ + / (RFC 6750 syntax); several allow a rotation.
   * @example [process.env.EDGE_RECS_ADMIN_TOKEN] // e.g. made by `openssl rand -hex 24`
   */
  adminTokens?: readonly string[];
  /**
   * Where dashboard sessions and wrong admin tokens per source are kept: a logout ends its session for
   * every process or isolate that shares this store. Default: this process's memory (a restart ends
   * every session). Node's `main.ts` keeps sessions in the data directory (`openDiskAdminSessions`),
   * Workers in a Durable Object (`durableAdminSessions`).
   * @example adminSessions: await openDiskAdminSessions('.edge-recs/admin-sessions')
   */
  adminSessions?: AdminSessions;
}

/**
 * The admin guard's `AdminAuth` from the `createApp` options, checked once, here: the tokens, then the
 * sessions store. @throws TypeError naming the first invalid option.
 */
export function adminAccess(options: AdminAccessOptions): AdminAuth {
  return adminAuth(checkAdminTokens(options.adminTokens ?? []), checkAdminSessions(options.adminSessions));
}
