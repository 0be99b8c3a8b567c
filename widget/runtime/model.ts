import { loadArtifact, type LoadedArtifact } from '../../core/artifact/artifact.ts';
import { utf8 } from '../../core/artifact/bytes.ts';
import { manifestFiles, parseManifest, type FileRef } from '../../core/artifact/manifest.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { isContentEtag } from '../../core/content-etag.ts';
import { ContractError } from '../../core/errors.ts';
import { FEDERATED_LEARNING_HEADER } from '../../core/federated/wire.ts';
import type { ModelCache } from '../storage/store.ts';
import { withTimeout } from './deadline.ts';

export interface ModelSource {
  /** Edge server base URL, no trailing slash (`""` = same origin). */
  server: string;
  /** Model name; the manifest is at `/v1/models/:name/manifest`. */
  model: string;
  /** Keys that may sign models; when empty the server's `/v1/keys` are used. */
  trusted: readonly TrustedKey[];
  /** Where manifests and files are kept between visits (IndexedDB); none: every visit downloads. */
  cache?: ModelCache;
  /**
   * This session's canary bucket, 0-99 (`canary.ts`), sent as `?bucket=` with manifest requests so
   * that while a canary runs the server keeps the shopper on one version for the session. Absent: the
   * server draws a bucket per request.
   */
  canaryBucket?: number;
  signal?: AbortSignal;
  /**
   * Awaited between the steps of a load and a start (parsing the manifest, checking each file, decoding,
   * starting the backend, building the model, warming it up): `yieldToPage` on the page's thread, so no
   * step adds to another's long task; none (a worker): no pause.
   */
  pause?: () => Promise<void>;
}

/** Where a model load got its bytes: for the bench, tests and `edgeRecs.state`. */
export interface LoadStats {
  /**
   * `network`: a 200 with the manifest; `revalidated`: a 304 and the cached copy; `offline`: the server
   * did not answer in time (down, slow, 5xx) and the cached copy was used, verified like any other.
   */
  manifest: 'network' | 'revalidated' | 'offline';
  filesFromCache: number;
  filesFetched: number;
  bytesFetched: number;
}

/** A verified model, where its bytes came from, and what the server said with its manifest. */
export type FetchedModel = LoadedArtifact & {
  stats: LoadStats;
  /**
   * The manifest's answer said this server takes federated updates (`FEDERATED_LEARNING_HEADER: on`).
   * False when it said `off`, said nothing, or did not answer (the cached copy ran): then no update is sent.
   */
  federatedLearning: boolean;
};

/**
 * How long a manifest revalidation may take when a verified copy is cached: past it the cached model runs,
 * so a slow or unreachable edge server never keeps a returning shopper from model-ranked cards.
 */
export const REVALIDATE_TIMEOUT_MS = 4000;

/**
 * How the HTTP cache may answer: `no-store` for what is not content-addressed (manifests, keys), since the
 * HTTP cache would revalidate on its own with whatever ETag or Last-Modified the server gave, a value it
 * could have made up per shopper; `force-cache` for blobs, whose address is their SHA-256, so any cached
 * copy is the right one and is never revalidated (and is verified anyway); `reload` to skip a bad copy.
 */
type CacheMode = 'no-store' | 'force-cache' | 'reload';

async function fetchOk(url: string, signal: AbortSignal | undefined, cache: CacheMode, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(url, { signal, credentials: 'omit', referrerPolicy: 'no-referrer', cache, headers });
  if (!res.ok && res.status !== 304) throw new ContractError('fetch_failed', `GET ${url}: HTTP ${res.status}`);
  return res;
}

/**
 * `files` in one request (`GET /v1/blobs?sha256=a,b,…`: their bytes one after another), cut by the
 * manifest's byte counts; `loadArtifact` then checks each piece's size and SHA-256 as it would a single
 * blob's. Undefined where the batch did not come (a server without the route, a network error, bytes that
 * do not add up): each file is then asked for on its own, as before.
 */
async function fetchBatch(server: string, files: readonly FileRef[], signal: AbortSignal | undefined, cache: CacheMode): Promise<Map<string, Uint8Array> | undefined> {
  try {
    const res = await fetchOk(`${server}/v1/blobs?sha256=${files.map((f) => f.sha256).join(',')}`, signal, cache);
    const body = new Uint8Array(await res.arrayBuffer());
    if (body.byteLength !== files.reduce((n, f) => n + f.bytes, 0)) return undefined;
    const out = new Map<string, Uint8Array>();
    let at = 0;
    for (const f of files) {
      out.set(f.sha256, body.slice(at, at + f.bytes));
      at += f.bytes;
    }
    return out;
  } catch (e) {
    if (signal?.aborted) throw e;
    return undefined;
  }
}

/** The keys the server says sign its models and catalog (`GET /v1/keys`), for a widget whose merchant pinned none. */
export async function serverKeys(server: string, signal?: AbortSignal): Promise<TrustedKey[]> {
  const body = (await (await fetchOk(`${server}/v1/keys`, signal, 'no-store')).json()) as { keys?: TrustedKey[] };
  return Array.isArray(body.keys) ? body.keys : [];
}

/**
 * Fetches the current manifest and its files and verifies them (signature first, then each file's size
 * and SHA-256) with the same `loadArtifact` the CLI uses.
 *
 * With a `cache`: the manifest is revalidated with `If-None-Match` (a 304 costs no body; only with the
 * content ETag of the cached bytes, `core/content-etag.ts`, never with one the server made up), and files are
 * read from IndexedDB by SHA-256 before the network is asked, so a repeat visit downloads no model bytes
 * and a new version downloads only the files that changed. Cached bytes are verified like downloaded
 * ones; if they fail (a corrupted cache: a file or the manifest), the load is retried once from the network. Files of older
 * versions are dropped once a version has loaded.
 */
export async function fetchModel(source: ModelSource): Promise<FetchedModel> {
  try {
    return await load(source, true);
  } catch (e) {
    // Whatever the cache held may be what is wrong: a file, or the manifest itself (unreadable JSON, a
    // signature that no longer verifies) behind an ETag the server still answers 304 to, which would
    // otherwise fail every visit. One retry from the network, ignoring the cache; a network failure is
    // not retried.
    if (!source.cache || !(e instanceof ContractError) || e.code === 'fetch_failed') throw e;
    return load(source, false);
  }
}

async function load(source: ModelSource, useCache: boolean): Promise<FetchedModel> {
  const { server, model, signal } = source;
  const cache = source.cache;
  const stats: LoadStats = { manifest: 'network', filesFromCache: 0, filesFetched: 0, bytesFetched: 0 };
  // The bucket as a query, not a header: a header of our own would cost a first visit a CORS preflight.
  const url = `${server}/v1/models/${encodeURIComponent(model)}/manifest${source.canaryBucket === undefined ? '' : `?bucket=${source.canaryBucket}`}`;
  // Trusted keys from the server, when none are pinned: asked beside the manifest, not after it.
  const keys = source.trusted.length === 0 ? serverKeys(server, signal) : undefined;
  keys?.catch(() => undefined);
  const cached = useCache ? await cache?.manifest(model) : undefined;
  // Only the content ETag of the cached bytes goes back: an ETag the server made up could be a per-shopper
  // identifier. Without one the manifest is fetched in full.
  const conditional: Record<string, string> = cached && (await isContentEtag(cached.etag, utf8.encode(cached.body))) ? { 'If-None-Match': cached.etag } : {};
  // Most revalidations answer 304: read the cached version's files from IndexedDB while the server is
  // asked. A version that changed reads what it needs below; a read not used costs only that read.
  const early = new Map<string, Promise<Uint8Array | undefined>>();
  if (cached && cache) {
    try {
      type Ref = { sha256?: unknown } | undefined;
      const previous = JSON.parse(cached.body) as { items?: Ref; nextSteps?: Ref; features?: Ref; shards?: Ref[] };
      for (const file of [previous.items, previous.nextSteps, previous.features, ...(previous.shards ?? [])]) {
        if (typeof file?.sha256 === 'string') early.set(file.sha256, cache.blob(file.sha256));
      }
    } catch {
      // An unreadable cached manifest fails below, where it is parsed for real.
    }
  }
  // `no-store`: the server sees every request, and a 304 carries no body.
  let res: Response | undefined;
  if (cached) {
    const timed = withTimeout(signal, REVALIDATE_TIMEOUT_MS);
    try {
      res = await fetch(url, { signal: timed.signal, credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store', headers: conditional });
      if (res.status >= 500) res = undefined;
    } catch (e) {
      if (signal?.aborted) throw e;
      // Down or slow: the cached manifest is verified below exactly as a downloaded one would be.
    } finally {
      timed.done();
    }
    if (res && !res.ok && res.status !== 304) throw new ContractError('fetch_failed', `GET ${url}: HTTP ${res.status}`);
  } else res = await fetchOk(url, signal, 'no-store');
  let body: string;
  if (!res && cached) {
    body = cached.body;
    stats.manifest = 'offline';
  } else if (res!.status === 304 && cached) {
    // Read to its (empty) end: an unread 304 is cancelled, which DevTools lists as a failed request.
    await res!.arrayBuffer().catch(() => undefined);
    body = cached.body;
    stats.manifest = 'revalidated';
  } else if (res!.status === 304) {
    throw new ContractError('fetch_failed', `GET ${url}: 304 without a cached manifest`);
  } else {
    body = await res!.text();
  }
  await source.pause?.();
  let manifest: unknown;
  try {
    manifest = JSON.parse(body);
  } catch {
    throw new ContractError('bad_manifest', `GET ${url}: not JSON`);
  }
  let trusted = source.trusted;
  if (keys) trusted = await keys;
  const fetched = new Map<string, Uint8Array>();
  const mode: CacheMode = useCache ? 'force-cache' : 'reload';
  const files = manifestFiles(parseManifest(manifest));
  // What the cache holds, looked up before the network is asked: the files it lacks come in one request.
  const kept = new Map<string, Uint8Array>();
  if (useCache && cache) {
    const hits = await Promise.all(files.map((f) => early.get(f.sha256) ?? cache.blob(f.sha256)));
    files.forEach((f, i) => hits[i]?.byteLength === f.bytes && kept.set(f.sha256, hits[i]!));
  }
  const missing = files.filter((f) => !kept.has(f.sha256));
  const batch = missing.length > 1 ? fetchBatch(server, missing, signal, mode) : undefined;
  const fetchFile = async (file: FileRef): Promise<Uint8Array> => {
    const hit = kept.get(file.sha256);
    if (hit) {
      stats.filesFromCache++;
      await source.pause?.();
      return hit;
    }
    const bytes = (await batch)?.get(file.sha256) ?? new Uint8Array(await (await fetchOk(`${server}/v1/blobs/${file.sha256}`, signal, mode)).arrayBuffer());
    stats.filesFetched++;
    stats.bytesFetched += bytes.byteLength;
    fetched.set(file.sha256, bytes);
    await source.pause?.();
    return bytes;
  };
  const artifact = await loadArtifact(manifest, fetchFile, { trusted });
  await source.pause?.();
  if (cache) {
    // Only verified bytes are cached. Written in the background: the model runs without waiting for the
    // commits, and storage errors are the cache's own business (see ModelCache). Old versions' files go
    // once the new ones are in.
    // The ETag is kept only where it is the content ETag of the manifest's bytes ('' otherwise: never sent).
    const etag = res?.headers.get('ETag');
    const kept = res?.status === 200 && (await isContentEtag(etag, utf8.encode(body))) ? etag! : '';
    // All started at once, so a page closed soon after loses as little as possible; a manifest kept
    // without its files only means those files are downloaded again.
    const writes = [...fetched].map(([sha, bytes]) => cache.putBlob(sha, bytes));
    if (res?.status === 200) writes.push(cache.putManifest(model, { etag: kept, body }));
    void Promise.all(writes)
      .then(() => cache.retain(new Set(manifestFiles(artifact.manifest).map((f) => f.sha256))))
      .catch(() => undefined);
  }
  return { ...artifact, stats, federatedLearning: res?.headers.get(FEDERATED_LEARNING_HEADER) === 'on' };
}
