/**
 * `POST /v1/updates` with retries: exponential backoff with full jitter (Brooker, "Exponential Backoff
 * And Jitter", AWS Architecture Blog, 2015): the wait before retry n is uniform in [0, min(cap, base·2^n)],
 * so devices that failed together (a server restart) do not come back together. Every attempt waits for
 * an idle period first; nothing here blocks the page or throws into it.
 */
import { CLIENT_TOKEN_HEADER } from '../../core/federated/client-token.ts';
import { UPDATE_MEDIA_TYPE } from '../../core/federated/wire.ts';
import { idle } from './run.ts';

export interface UploadOptions {
  /**
   * Attempts after the first. Default 5: with the default delays that spans a few minutes, long enough to
   * outlast a deploy, short enough that a page left open does not keep a stale update for hours.
   * @example { retries: 2 }
   */
  retries: number;
  /** Base of the backoff in ms. Default 2000. @example { baseDelayMs: 500 } */
  baseDelayMs: number;
  /** Longest wait between attempts in ms, also the most a `Retry-After` is honoured. Default 120000. @example { maxDelayMs: 30000 } */
  maxDelayMs: number;
  /** Uniform source for the jitter. Default `Math.random`. */
  random: () => number;
  signal?: AbortSignal;
  /** The `Authorization` value of the admission token the upload spends (`admission.ts`); none where the server takes updates without one. */
  authorization?: string;
}

export const UPLOAD_DEFAULTS: UploadOptions = { retries: 5, baseDelayMs: 2000, maxDelayMs: 120_000, random: Math.random };

export type UploadResult =
  | { status: 'accepted'; attempts: number; body: { id: string; round: number; pending: number; cohort: number; duplicate: boolean } }
  /** Refused for good (4xx other than 408/429): retrying the same bytes cannot help. `code` is the server's error code. */
  | { status: 'refused'; attempts: number; httpStatus: number; code: string }
  | { status: 'gave_up'; attempts: number; error: string };

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/** Uploads one encoded update (the same bytes, so the same nonce, on every attempt: the server counts it once). */
export async function uploadUpdate(url: string, bytes: Uint8Array, clientToken: string, options: Partial<UploadOptions> = {}): Promise<UploadResult> {
  const o = { ...UPLOAD_DEFAULTS, ...options };
  let lastError = '';
  let attempts = 0;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    attempts = attempt + 1;
    let wait = 0;
    if (attempt > 0) wait = o.random() * Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
    let retryAfter: number | undefined;
    try {
      if (wait > 0) await sleep(wait, o.signal);
      await idle();
      o.signal?.throwIfAborted();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': UPDATE_MEDIA_TYPE, [CLIENT_TOKEN_HEADER]: clientToken, ...(o.authorization ? { Authorization: o.authorization } : {}) },
        body: bytes as Uint8Array<ArrayBuffer>,
        credentials: 'omit',
        // The page's URL (a product page) must never travel with the client token, whatever the shop's referrer policy.
        referrerPolicy: 'no-referrer',
        // Best effort only: an update needs a CORS preflight (its media type, X-Client-Token), which a
        // browser may not send once the page unloads. Nothing depends on it: uploads run at idle time, not
        // on leaving, and one lost to a navigation is trained and sent again on a later page view
        // (`trainedAt` moves only when the server accepts).
        keepalive: bytes.byteLength < 60_000,
        signal: o.signal,
      });
      if (res.ok) return { status: 'accepted', attempts: attempt + 1, body: await res.json() };
      const code = await res
        .json()
        .then((b: { error?: { code?: string } }) => b.error?.code ?? '')
        .catch(() => '');
      if (res.status !== 408 && res.status !== 429 && res.status < 500) return { status: 'refused', attempts: attempt + 1, httpStatus: res.status, code };
      lastError = `HTTP ${res.status}${code ? ` ${code}` : ''}`;
      const after = Number(res.headers.get('Retry-After'));
      if (Number.isFinite(after) && after > 0) retryAfter = after * 1000;
    } catch (e) {
      if (o.signal?.aborted) throw e;
      lastError = e instanceof Error ? e.message : String(e);
    }
    // A Retry-After past the longest wait means "not in this page view": stop rather than hold the update.
    if (retryAfter !== undefined && retryAfter > o.maxDelayMs) break;
    if (retryAfter !== undefined && attempt < o.retries) await sleep(retryAfter, o.signal);
  }
  return { status: 'gave_up', attempts, error: lastError };
}
