/**
 * The shop's catalog (`GET /v1/catalog`), kept on the device: the last copy that parsed is stored (with
 * storage consent), revalidated on each page view, and used as is when the edge server is down or slow, so
 * a returning shopper keeps getting cards long after the catalog's 60 s HTTP cache has expired.
 *
 * ETags cannot identify the shopper: the browser's HTTP cache is bypassed (it would repeat any ETag or date
 * the server chose), and `If-None-Match` is sent only with the content ETag of the stored bytes
 * (`core/content-etag.ts`), which names the catalog, not the shopper. Any other ETag is never sent back; the
 * catalog is then fetched in full.
 */
import type { Bytes } from '../../core/artifact/bytes.ts';
import { utf8 } from '../../core/artifact/bytes.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { verifyCatalog } from '../../core/catalog-signature.ts';
import { parseCatalog, type Catalog } from '../../core/catalog.ts';
import { isContentEtag } from '../../core/content-etag.ts';
import { ContractError } from '../../core/errors.ts';
import { withTimeout } from '../runtime/deadline.ts';
import { REVALIDATE_TIMEOUT_MS, serverKeys } from '../runtime/model.ts';
import type { CachedCatalog, ModelCache } from '../storage/store.ts';

/** With no copy on the device there is nothing to fall back to: wait longer before giving up. */
export const CATALOG_TIMEOUT_MS = 15_000;

/**
 * `network`: a 200 from the server; `revalidated`: a 304 and the stored copy; `offline`: the server failed
 * (unreachable, no answer within `REVALIDATE_TIMEOUT_MS`, 5xx) and the stored copy was used.
 */
export type CatalogLoad = 'network' | 'revalidated' | 'offline';

export interface CatalogSource {
  /** Edge server base URL, no trailing slash (`""` = same origin). */
  server: string;
  /** Where the last good catalog is kept (IndexedDB); none: every visit needs the server. */
  cache?: Pick<ModelCache, 'catalog' | 'putCatalog'>;
  /**
   * Use the catalog only with a valid signature (`core/catalog-signature.ts`) by one of `trusted` (by one of
   * the server's `/v1/keys` when `trusted` is empty): `data-require-signed-catalog`. Default false.
   */
  requireSigned?: boolean;
  /** Keys the merchant pinned (`data-public-key`). Default: none, the server's `/v1/keys`. */
  trusted?: readonly TrustedKey[];
  signal?: AbortSignal;
  /** Awaited between reading, parsing and checking the catalog (`yieldToPage` on the page's thread); none: no pause. */
  pause?: () => Promise<void>;
}

/** `body` as a catalog, or undefined where `parseCatalog` (or JSON) rejects it. */
function parsed(body: string): Catalog | undefined {
  try {
    return parseCatalog(JSON.parse(body));
  } catch {
    return undefined;
  }
}

/**
 * Fetches the catalog, revalidating the stored copy when there is one. Rejects when there is no usable
 * catalog: the server failed and nothing parseable is stored, a 4xx, a 200 whose body does not parse
 * (`bad_catalog`: a broken server answer is reported, not hidden behind an old copy), or, with
 * `requireSigned`, a catalog without a valid signature (`unsigned`, `untrusted_key`, `bad_signature`).
 */
export async function fetchCatalog(source: CatalogSource): Promise<{ catalog: Catalog; load: CatalogLoad }> {
  const keys = source.requireSigned ? (source.trusted?.length ? Promise.resolve(source.trusted) : serverKeys(source.server, source.signal)) : undefined;
  keys?.catch(() => undefined);
  const check = async (catalog: Catalog): Promise<void> => {
    if (keys) await verifyCatalog(catalog, await keys);
  };
  try {
    return await load(source, true, check);
  } catch (e) {
    // A stored copy that fails the signature check (signed before a key rotation, or altered on the
    // device) behind an ETag the server still answers 304 to would fail every visit: once more, without it.
    if (!source.cache || !(e instanceof ContractError) || !['unsigned', 'untrusted_key', 'bad_signature'].includes(e.code) || source.signal?.aborted) throw e;
    return load(source, false, check);
  }
}

async function load(
  source: CatalogSource,
  useStored: boolean,
  check: (catalog: Catalog) => Promise<void>,
): Promise<{ catalog: Catalog; load: CatalogLoad }> {
  const { server, cache, signal } = source;
  const url = `${server}/v1/catalog`;
  const stored = useStored ? await cache?.catalog(url) : undefined;
  if (stored) await source.pause?.();
  // A stored copy the parser rejects (another script, a disk error, an older parser's leniency) is never
  // used, and no ETag is sent for it: a 304 would point at it.
  const fallback = stored && parsed(stored.body);
  // Only the content ETag of the stored bytes goes back: an ETag the server made up could be a
  // per-shopper identifier.
  const conditional = fallback && (await isContentEtag(stored.etag, utf8.encode(stored.body))) ? stored.etag : undefined;
  const timed = withTimeout(signal, fallback ? REVALIDATE_TIMEOUT_MS : CATALOG_TIMEOUT_MS);
  let status: number;
  let etag: string | null;
  let bytes: Bytes | undefined;
  try {
    // `no-store`: the HTTP cache would revalidate on its own with whatever ETag or Last-Modified it kept.
    const headers: Record<string, string> = conditional ? { 'If-None-Match': conditional } : {};
    const res = await fetch(url, { signal: timed.signal, credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store', headers });
    status = res.status;
    etag = res.headers.get('ETag');
    // Read to its end either way: an unread 304 is cancelled, which DevTools lists as a failed request.
    const read = new Uint8Array(await res.arrayBuffer());
    if (res.ok) bytes = read;
  } catch (e) {
    if (!fallback || signal?.aborted) throw e;
    await check(fallback);
    return { catalog: fallback, load: 'offline' };
  } finally {
    timed.done();
  }
  if (fallback && (status >= 500 || status === 304)) {
    await check(fallback);
    return { catalog: fallback, load: status === 304 ? 'revalidated' : 'offline' };
  }
  if (bytes === undefined) throw new ContractError('fetch_failed', `GET ${url}: HTTP ${status}`);
  await source.pause?.();
  const body = new TextDecoder().decode(bytes);
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new ContractError('bad_catalog', `GET ${url}: not JSON`);
  }
  await source.pause?.();
  const catalog = parseCatalog(raw);
  await source.pause?.();
  await check(catalog);
  // Kept only once it passed every check. Written in the background; storage errors are the cache's own
  // business. The ETag is kept only where it is the content ETag of these bytes ('' otherwise: never sent).
  const kept = (await isContentEtag(etag, bytes)) ? etag! : '';
  if (cache && (kept !== stored?.etag || body !== stored?.body)) void cache.putCatalog(url, { etag: kept, body } satisfies CachedCatalog);
  return { catalog, load: 'network' };
}
