import { loadArtifact, type LoadedArtifact } from '../../core/artifact/artifact.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { ContractError } from '../../core/errors.ts';

export interface ModelSource {
  /** Edge server base URL, no trailing slash (`""` = same origin). */
  server: string;
  /** Model name; the manifest is at `/v1/models/:name/manifest`. */
  model: string;
  /** Keys that may sign models; when empty the server's `/v1/keys` are used. */
  trusted: readonly TrustedKey[];
  signal?: AbortSignal;
}

async function fetchOk(url: string, signal?: AbortSignal): Promise<Response> {
  const res = await fetch(url, { signal, credentials: 'omit' });
  if (!res.ok) throw new ContractError('fetch_failed', `GET ${url}: HTTP ${res.status}`);
  return res;
}

/**
 * Fetches the current manifest and its blobs and verifies them (signature first, then each file's SHA-256)
 * with the same `loadArtifact` the CLI uses. Blobs are immutable and content-addressed, so the browser's
 * HTTP cache serves repeat visits without a byte of model data crossing the network.
 */
export async function fetchModel(source: ModelSource): Promise<LoadedArtifact> {
  const { server, model, signal } = source;
  const manifest: unknown = await (await fetchOk(`${server}/v1/models/${encodeURIComponent(model)}/manifest`, signal)).json();
  let trusted = source.trusted;
  if (trusted.length === 0) {
    const body = (await (await fetchOk(`${server}/v1/keys`, signal)).json()) as { keys?: TrustedKey[] };
    trusted = Array.isArray(body.keys) ? body.keys : [];
  }
  return loadArtifact(
    manifest,
    async (file) => new Uint8Array(await (await fetchOk(`${server}/v1/blobs/${file.sha256}`, signal)).arrayBuffer()),
    { trusted },
  );
}
