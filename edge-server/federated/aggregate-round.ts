/**
 * A round's new version: the stored updates aggregated (clipped, summed, noised: `RoundAggregator`,
 * `core/federated/aggregate.ts`) and applied to the base version's weights, built into an artifact
 * signed with the federation's key, with the delta from the base that devices may apply instead.
 */
import { buildArtifact, loadArtifact, type Artifact } from '../../core/artifact/artifact.ts';
import { sha256Hex } from '../../core/artifact/bytes.ts';
import type { Manifest } from '../../core/artifact/manifest.ts';
import { signManifest } from '../../core/artifact/signing.ts';
import { RoundAggregator } from '../../core/federated/aggregate.ts';
import { decodeUpdate, encodeVersionDelta } from '../../core/federated/codec.ts';
import { applyDelta, diffWeights } from '../../core/federated/delta.ts';
import type { FederationContext } from './context.ts';

/** Round `round`'s version `fed-<round>` from the stored `updates` (each counted against its entry in `sources`) on `manifest`'s version. */
export async function aggregateRound(ctx: FederationContext, manifest: Manifest, updates: readonly Uint8Array[], sources: readonly string[], round: number) {
  const { storage, settings } = ctx;
  const baseArtifact = await loadArtifact(
    manifest,
    async (ref) => {
      const bytes = await storage.blobs.get(ref.sha256);
      if (!bytes) throw new Error(`blob ${ref.sha256} of ${manifest.name}@${manifest.version} is missing`);
      return bytes;
    },
    { unsigned: 'allow' }, // verified when it was published
  );
  const agg = new RoundAggregator(manifest.config, settings.aggregation);
  updates.forEach((bytes, i) => agg.add(decodeUpdate(bytes), sources[i]));
  const result = agg.finish(ctx.gauss);
  const version = `fed-${round}`;
  const federated = {
    round,
    baseVersion: manifest.version,
    updates: result.updates,
    clipNorm: settings.aggregation.clipNorm,
    noiseMultiplier: settings.aggregation.noiseMultiplier,
    epsilonDelta: settings.delta,
  };
  const unsigned: Artifact = await buildArtifact({
    name: manifest.name,
    version,
    config: manifest.config,
    itemIds: baseArtifact.itemIds,
    // The base version's chosen-next table, unchanged: device updates say nothing about what shoppers chose next.
    ...(baseArtifact.nextSteps && { nextSteps: baseArtifact.nextSteps }),
    // And its content features and held-out items, unchanged: what an item is made of is the catalog's.
    ...(baseArtifact.features && { features: baseArtifact.features, coldItems: baseArtifact.coldItems ?? [] }),
    weights: applyDelta(baseArtifact.weights, result.delta),
    quantization: manifest.quantization,
    training: { federated },
  });
  // The delta is between what devices hold: the decoded (quantized) base and new artifacts.
  const decoded = await loadArtifact(unsigned.manifest, async (ref) => unsigned.files.get(ref.path)!, { unsigned: 'allow' });
  const diff = diffWeights(manifest.config, baseArtifact.weights, decoded.weights, result.delta.rows.indices);
  const deltaBytes = encodeVersionDelta({ model: manifest.name, fromVersion: manifest.version, toVersion: version, config: manifest.config, ...diff });
  // The signed manifest names the delta (from, SHA-256, size): a device that applies the delta instead of
  // downloading the shards checks the bytes against it, so the delta is as trusted as the version.
  const deltaRef = { from: manifest.version, sha256: await sha256Hex(deltaBytes), bytes: deltaBytes.byteLength };
  const artifact: Artifact = {
    ...unsigned,
    manifest: await signManifest({ ...unsigned.manifest, training: { federated: { ...federated, delta: deltaRef } } }, ctx.key),
  };
  // Trending counts only what passed the evidence test, never the cover rows every item gets.
  const counts: Record<string, number> = {};
  for (const [row, excess] of result.trending.excess) counts[baseArtifact.itemIds[row - 1]!] = excess;
  const fullBytes = artifact.manifest.shards.reduce((n, s) => n + s.bytes, 0);
  return {
    artifact,
    deltaBytes,
    counts: result.trending.excess.size > 0 ? counts : null,
    record: {
      deltaSha256: deltaRef.sha256,
      deltaBytes: deltaBytes.byteLength,
      fullBytes,
      clipped: result.clipped,
      meanNorm: result.meanNorm,
      releasedRows: result.delta.rows.indices.length,
      ...(result.trimmed > 0 ? { trimmed: result.trimmed } : {}),
    },
  };
}
