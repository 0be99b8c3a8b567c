/**
 * Keeping a device's copy of the model current with the cheapest download that is still verified.
 *
 * A device on version v asks `GET /v1/models/:name/deltas?from=v`:
 * - 204: v is current, nothing to do;
 * - 200: the aggregated change from v to the current version. It is applied only when the current
 *   **signed** manifest names exactly this delta: `training.federated.delta` = { from: v, sha256, bytes }
 *   of these bytes (the edge server puts it there before signing each federated version). The signature
 *   is checked with the same keys as every model load, so a delta is exactly as trusted as the version it
 *   produces, and a cache or CDN in between can neither alter it nor replay an old one;
 * - 410, or a delta no signed manifest vouches for (e.g. several rounds composed): the full model, through
 *   the same verified `fetchModel` the widget loads with (its files are content-addressed and cached).
 */
import type { LoadedArtifact } from '../../core/artifact/artifact.ts';
import { sha256Hex } from '../../core/artifact/bytes.ts';
import { parseManifest, type Manifest } from '../../core/artifact/manifest.ts';
import { verifyManifest, type TrustedKey } from '../../core/artifact/signing.ts';
import { ContractError, isRecord } from '../../core/errors.ts';
import { decodeVersionDelta } from '../../core/federated/codec.ts';
import { applyDelta } from '../../core/federated/delta.ts';
import { fetchModel, type ModelSource } from '../runtime/model.ts';

/** A device's model: verified manifest, item ids and host weights. */
export type DeviceModel = Pick<LoadedArtifact, 'manifest' | 'itemIds' | 'weights' | 'features' | 'coldItems'>;

interface Refreshed {
  model: DeviceModel;
  /** `current`: v was the latest; `delta`: v + verified delta; `full`: downloaded (410, or no signed delta). */
  via: 'current' | 'delta' | 'full';
  /** Bytes of the delta body when `via` is `delta`. */
  deltaBytes?: number;
}

/**
 * `no-store`, not `no-cache`: revalidating through the HTTP cache would send back whatever ETag the
 * server gave, an identifier a server could hand each shopper (docs/catalog.md#etags).
 */
async function get(url: string, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store', signal });
}

async function trustedKeys(source: ModelSource): Promise<readonly TrustedKey[]> {
  if (source.trusted.length > 0) return source.trusted;
  const res = await get(`${source.server}/v1/keys`, source.signal);
  const body = (await res.json()) as { keys?: TrustedKey[] };
  return Array.isArray(body.keys) ? body.keys : [];
}

/** The delta the signed manifest vouches for, if any. */
function signedDelta(manifest: Manifest): { from: string; sha256: string; bytes: number } | null {
  const fed = manifest.training?.federated;
  const d = isRecord(fed) ? fed.delta : undefined;
  if (!isRecord(d) || typeof d.from !== 'string' || typeof d.sha256 !== 'string' || typeof d.bytes !== 'number') return null;
  return { from: d.from, sha256: d.sha256, bytes: d.bytes };
}

/**
 * Brings `current` (or nothing: first load) up to the server's current version. Throws a ContractError
 * when what the server sent fails verification (a bad signature, a delta for another model): the caller
 * keeps its copy and tries again later, it never runs an unverified model.
 */
export async function refreshModel(current: DeviceModel | null, source: ModelSource): Promise<Refreshed> {
  const full = async (): Promise<Refreshed> => ({ model: await fetchModel(source), via: 'full' });
  if (!current) return full();
  const { server, model, signal } = source;
  const from = current.manifest.version;
  const res = await get(`${server}/v1/models/${encodeURIComponent(model)}/deltas?from=${encodeURIComponent(from)}`, signal);
  if (res.status === 204) return { model: current, via: 'current' };
  if (res.status === 410) return full();
  if (!res.ok) throw new ContractError('fetch_failed', `GET deltas?from=${from}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const manifestRes = await get(`${server}/v1/models/${encodeURIComponent(model)}/manifest`, signal);
  if (!manifestRes.ok) throw new ContractError('fetch_failed', `GET manifest: HTTP ${manifestRes.status}`);
  const manifest = parseManifest(await manifestRes.json());
  await verifyManifest(manifest, await trustedKeys(source));
  const vouched = signedDelta(manifest);
  const delta = decodeVersionDelta(bytes);
  if (
    !vouched ||
    vouched.from !== from ||
    delta.fromVersion !== from ||
    delta.toVersion !== manifest.version ||
    manifest.items.sha256 !== current.manifest.items.sha256 ||
    manifest.features?.sha256 !== current.manifest.features?.sha256 ||
    JSON.stringify(manifest.config) !== JSON.stringify(current.manifest.config)
  ) {
    // Not one signed step from our version (several rounds behind, a new engineer release): download it whole.
    return full();
  }
  if (vouched.bytes !== bytes.byteLength || vouched.sha256 !== (await sha256Hex(bytes))) {
    throw new ContractError('integrity', `delta ${from} -> ${manifest.version}: SHA-256 does not match the signed manifest`);
  }
  // A delta moves weights only: the items and their content features are the ones this device holds.
  const content = current.features ? { features: current.features, coldItems: current.coldItems ?? [] } : {};
  return { model: { manifest, itemIds: current.itemIds, weights: applyDelta(current.weights, delta), ...content }, via: 'delta', deltaBytes: bytes.byteLength };
}
