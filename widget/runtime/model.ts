import { loadArtifact, type LoadedArtifact } from '../../core/artifact/artifact.ts';
import type { FileRef } from '../../core/artifact/manifest.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { ContractError } from '../../core/errors.ts';
import type { ModelCache } from '../store.ts';

export interface ModelSource {
  /** Edge server base URL, no trailing slash (`""` = same origin). */
  server: string;
  /** Model name; the manifest is at `/v1/models/:name/manifest`. */
  model: string;
  /** Keys that may sign models; when empty the server's `/v1/keys` are used. */
  trusted: readonly TrustedKey[];
  /** Where manifests and files are kept between visits (IndexedDB); none: every visit downloads. */
  cache?: ModelCache;
  signal?: AbortSignal;
}

/** Where a model load got its bytes: for the bench, tests and `edgeRecs.state`. */
export interface LoadStats {
  /** `network`: a 200 with the manifest; `revalidated`: a 304 and the cached copy. */
  manifest: 'network' | 'revalidated';
  filesFromCache: number;
  filesFetched: number;
  bytesFetched: number;
}

async function fetchOk(url: string, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(url, { signal, credentials: 'omit', headers });
  if (!res.ok && res.status !== 304) throw new ContractError('fetch_failed', `GET ${url}: HTTP ${res.status}`);
  return res;
}

/**
 * Fetches the current manifest and its files and verifies them (signature first, then each file's size
 * and SHA-256) with the same `loadArtifact` the CLI uses.
 *
 * With a `cache`: the manifest is revalidated with `If-None-Match` (a 304 costs no body), and files are
 * read from IndexedDB by SHA-256 before the network is asked, so a repeat visit downloads no model bytes
 * and a new version downloads only the files that changed. Cached bytes are verified like downloaded
 * ones; if they fail (a corrupted cache), the load is retried once from the network. Files of older
 * versions are dropped once a version has loaded.
 */
export async function fetchModel(source: ModelSource): Promise<LoadedArtifact & { stats: LoadStats }> {
  try {
    return await load(source, true);
  } catch (e) {
    if (!source.cache || !(e instanceof ContractError) || e.code !== 'integrity') throw e;
    return load(source, false);
  }
}

async function load(source: ModelSource, useCache: boolean): Promise<LoadedArtifact & { stats: LoadStats }> {
  const { server, model, signal } = source;
  const cache = source.cache;
  const stats: LoadStats = { manifest: 'network', filesFromCache: 0, filesFetched: 0, bytesFetched: 0 };
  const url = `${server}/v1/models/${encodeURIComponent(model)}/manifest`;
  const cached = useCache ? await cache?.manifest(model) : undefined;
  // A request with If-None-Match bypasses the HTTP cache (Fetch standard), so the server sees it and a 304
  // carries no body.
  const res = await fetchOk(url, signal, cached ? { 'If-None-Match': cached.etag } : {});
  let body: string;
  if (res.status === 304 && cached) {
    body = cached.body;
    stats.manifest = 'revalidated';
  } else if (res.status === 304) {
    throw new ContractError('fetch_failed', `GET ${url}: 304 without a cached manifest`);
  } else {
    body = await res.text();
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(body);
  } catch {
    throw new ContractError('bad_manifest', `GET ${url}: not JSON`);
  }
  let trusted = source.trusted;
  if (trusted.length === 0) {
    const keys = (await (await fetchOk(`${server}/v1/keys`, signal)).json()) as { keys?: TrustedKey[] };
    trusted = Array.isArray(keys.keys) ? keys.keys : [];
  }
  const fetched = new Map<string, Uint8Array>();
  const fetchFile = async (file: FileRef): Promise<Uint8Array> => {
    const hit = useCache ? await cache?.blob(file.sha256) : undefined;
    if (hit && hit.byteLength === file.bytes) {
      stats.filesFromCache++;
      return hit;
    }
    const bytes = new Uint8Array(await (await fetchOk(`${server}/v1/blobs/${file.sha256}`, signal)).arrayBuffer());
    stats.filesFetched++;
    stats.bytesFetched += bytes.byteLength;
    fetched.set(file.sha256, bytes);
    return bytes;
  };
  const artifact = await loadArtifact(manifest, fetchFile, { trusted });
  if (cache) {
    // Only verified bytes are cached. Storage errors are the cache's own business (see ModelCache).
    for (const [sha, bytes] of fetched) await cache.putBlob(sha, bytes);
    const etag = res.headers.get('ETag');
    if (res.status === 200 && etag) await cache.putManifest(model, { etag, body });
    await cache.retain(new Set([artifact.manifest.items.sha256, ...artifact.manifest.shards.map((s) => s.sha256)]));
  }
  return { ...artifact, stats };
}
