/**
 * Deltas between versions (`GET /v1/models/:name/deltas`): the stored delta of each published round on
 * the way from one version to another, composed into one when the chain is longer, served only when
 * smaller than the model. The last few composed deltas are kept.
 */
import { sha256Hex, type Bytes } from '../../core/artifact/bytes.ts';
import { decodeVersionDelta, encodeVersionDelta, type WeightDelta } from '../../core/federated/codec.ts';
import { composeDeltas } from '../../core/federated/delta.ts';
import type { Storage } from '../models/storage.ts';
import { FederationRefusal, unknownModel } from './errors.ts';
import type { ModelState } from './state.ts';
import type { RoundRecord } from './store.ts';
import type { Federation } from './types.ts';

/** `Federation.delta` over `storage` and the models' states. */
export function deltaReader(storage: Storage, stateOf: (model: string) => Promise<ModelState>): Federation['delta'] {
  const deltaCache = new Map<string, { bytes: Bytes; sha256: string }>();
  return async (model, from, to) => {
    const record = await storage.meta.getModel(model);
    if (!record) throw unknownModel(model);
    const target = to ?? record.current;
    const gone = (why: string): never => {
      throw new FederationRefusal('delta_unavailable', `no delta from ${model}@${from} to ${target} (${why}): download the full model`);
    };
    if (!record.versions.some((v) => v.version === target)) gone(`${target} is not a version of ${model}`);
    if (from === target) return { kind: 'current', version: target };
    if (!record.versions.some((v) => v.version === from)) gone(`${from} is not a version of ${model}`);
    const cacheKey = `${model}\n${from}\n${target}`;
    const cached = deltaCache.get(cacheKey);
    if (cached) return { kind: 'delta', from, to: target, ...cached };

    const st = await stateOf(model);
    const byVersion = new Map(st.rounds.filter((r) => r.status === 'published').map((r) => [r.version!, r]));
    const chain: RoundRecord[] = [];
    for (let v = target; v !== from; ) {
      const r = byVersion.get(v);
      if (!r || chain.length > st.rounds.length) return gone(`${v} was not made by a federated round from ${from}`);
      chain.unshift(r);
      v = r.baseVersion;
    }
    const blobs = await Promise.all(chain.map(async (r) => (r.deltaSha256 ? storage.blobs.get(r.deltaSha256) : null)));
    if (blobs.some((b) => !b)) gone('a delta blob is missing');
    let bytes: Bytes;
    if (blobs.length === 1) bytes = blobs[0]!;
    else {
      const deltas = blobs.map((b) => decodeVersionDelta(b!));
      const config = deltas[0]!.config;
      const sum = deltas.slice(1).reduce<WeightDelta>((acc, d) => composeDeltas(config.dim, acc, d), deltas[0]!);
      bytes = encodeVersionDelta({ model, fromVersion: from, toVersion: target, config, ...sum }) as Bytes;
    }
    const full = chain.at(-1)!.fullBytes ?? Infinity;
    if (bytes.byteLength >= full) gone(`the delta (${bytes.byteLength} bytes) is not smaller than the model (${full} bytes)`);
    const sha256 = await sha256Hex(bytes);
    if (deltaCache.size > 64) deltaCache.delete(deltaCache.keys().next().value!);
    deltaCache.set(cacheKey, { bytes, sha256 });
    return { kind: 'delta', bytes, from, to: target, sha256 };
  };
}
