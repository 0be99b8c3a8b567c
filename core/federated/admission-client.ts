/**
 * The device side of federated admission: obtain one Privacy Pass token (RFC 9578 token type 0x0002,
 * Blind RSA 2048) from the edge server's issuer, to spend on one `POST /v1/updates` as
 * `Authorization: PrivateToken token=...` (RFC 9577). All cryptography is `@cloudflare/privacypass-ts`'s:
 * the device blinds a random token input, the issuer signs it without seeing it, and the device unblinds
 * the signature, so the token it later spends cannot be matched to this request (RFC 9576 §3.3).
 *
 * One implementation, used by the widget (imported lazily, only by a device about to upload), by the
 * tests and by the benchmarks. Web-standard APIs only.
 */
import { AuthorizationHeader, publicVerif, TokenChallenge } from '@cloudflare/privacypass-ts';
import { fromBase64 } from '../artifact/bytes.ts';

/** Where the issuer directory (`GET`) and token issuance (`POST`) are, on the edge server. */
export const TOKEN_ISSUER_PATH = '/v1/federated/tokens';
/** `Content-Type` of an issuance request and response body (RFC 9578 §5.1, §5.2). */
export const TOKEN_REQUEST_MEDIA_TYPE = 'application/private-token-request';
export const TOKEN_RESPONSE_MEDIA_TYPE = 'application/private-token-response';

export type TokenOutcome =
  /** `authorization` is the whole `Authorization` header value to send with one update. */
  | { ok: true; authorization: string }
  /** The issuer said no (`code`: `token_limit` when this network source had its tokens today) or could not be reached. */
  | { ok: false; status: number; code: string };

/** What `obtainToken` needs from `fetch`; tests pass one that adds headers or calls `app.request`. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

const fromBase64Url = (text: string): Uint8Array => fromBase64(text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '='));

async function errorCode(res: Response): Promise<string> {
  return res
    .json()
    .then((b: { error?: { code?: string } }) => b.error?.code ?? '')
    .catch(() => '');
}

/**
 * Reads the issuer directory at `server` and runs one issuance. Never throws for an HTTP refusal
 * (that is `{ ok: false }`); network errors and aborts propagate.
 * @example const t = await obtainToken('https://recs.shop.example'); if (t.ok) headers.Authorization = t.authorization;
 */
export async function obtainToken(server: string, fetchFn: FetchLike = fetch, signal?: AbortSignal): Promise<TokenOutcome> {
  // Under the server's base path, as every other widget request (`${server}/v1/...`).
  const url = `${server.replace(/\/+$/, '')}${TOKEN_ISSUER_PATH}`;
  const common: RequestInit = { credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store', ...(signal ? { signal } : {}) };
  const dir = await fetchFn(url, { ...common, method: 'GET' });
  if (!dir.ok) return { ok: false, status: dir.status, code: await errorCode(dir) };
  const directory = (await dir.json()) as { challenge?: unknown; 'token-keys'?: Array<{ 'token-type'?: unknown; 'token-key'?: unknown }> };
  const key = directory['token-keys']?.find((k) => k['token-type'] === 2)?.['token-key'];
  if (typeof directory.challenge !== 'string' || typeof key !== 'string') return { ok: false, status: dir.status, code: 'bad_directory' };
  const client = new publicVerif.Client(publicVerif.BlindRSAMode.PSS);
  const request = await client.createTokenRequest(TokenChallenge.deserialize(fromBase64Url(directory.challenge)), fromBase64Url(key));
  const res = await fetchFn(url, { ...common, method: 'POST', headers: { 'Content-Type': TOKEN_REQUEST_MEDIA_TYPE }, body: request.serialize() as Uint8Array<ArrayBuffer> });
  if (!res.ok) return { ok: false, status: res.status, code: await errorCode(res) };
  const token = await client.finalize(client.deserializeTokenResponse(new Uint8Array(await res.arrayBuffer())));
  return { ok: true, authorization: new AuthorizationHeader(token).toString() };
}
