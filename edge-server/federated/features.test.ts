/**
 * Federated rounds on a model with content features (issue 18), end to end through the real app: devices
 * train real updates (`trainClientUpdate`) on histories that include a product new to the model (in the
 * shop's catalog, not in the model: ranked by its features alone, as the widget does), upload them
 * (format 2 frames, with the feature table's rows), and the round publishes a version whose feature
 * table moved, with the features still in the artifact. The new product, scored as the widget scores it,
 * climbs for the shoppers who chose it: it improved through its features, with no id row and no central
 * retraining.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact, itemTableOptions, loadArtifact, type LoadedArtifact } from '../../core/artifact/artifact.ts';
import { encodeClientUpdate, trainClientUpdate } from '../../core/federated/client.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { appendItemFeatures, buildItemFeatures, encodeItemFeatures, type ItemFeatures } from '../../core/model/features.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import { initWeights } from '../../core/model/weights.ts';
import { normal, rng } from '../../core/random.ts';
import { useTestBackend } from '../../test/support/tf-backend.ts';
import { createMemoryAnalytics } from '../analytics/memory.ts';
import { createApp } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { currentManifest, publishArtifact } from '../models/registry.ts';
import { memoryWidget, signer } from '../../test/support/edge-server/fixtures.ts';
import { nodeRsaRaw } from '../adapters/node/rsa-raw.ts';
import { createAdmission } from './admission.ts';
import { createFederation } from './federation.ts';
import { memoryRoundStore } from './store.ts';
import { clientToken, deviceAddress, testPeer, TEST_PEER_HEADER } from '../../test/support/edge-server/federated.ts';
import { tokenFor } from '../../test/support/edge-server/tokens.ts';

const NUM_ITEMS = 60;
const ITEM_IDS = Array.from({ length: NUM_ITEMS }, (_, i) => `sku-${i + 1}`);
/** Six categories, five brands; every item one of each. */
const NAMES = Array.from({ length: NUM_ITEMS }, (_, i) => [`category:${i % 6}`, `brand:${i % 5}`]);
const FEATURES = buildItemFeatures(NAMES, 2);
const CONFIG: ModelConfig = { numItems: NUM_ITEMS, dim: 8, blocks: 1, heads: 1, maxLen: 4, numFeatures: FEATURES.names.length };
/** A product added to the catalog after training: category 2, brand 4 (the widget appends it after the model's items). */
const NEW_PRODUCT = NUM_ITEMS + 1;
const WITH_NEW: ItemFeatures = appendItemFeatures(FEATURES, encodeItemFeatures(FEATURES.names, [['category:2', 'brand:4']]));
const COHORT = 20;
/** Little noise: the test reads what the devices' updates did, not the DP noise (other tests cover that). */
const QUIET = { clipNorm: 1, rowClipNorm: 1, noiseMultiplier: 0.05, countNoiseMultiplier: 0.05, releaseThreshold: 1 };

beforeAll(async () => {
  await useTestBackend('cpu');
});

/** Rank (1 = first) of `item` among every item the widget ranks (the model's and the new one) after `history`. */
async function rankOf(artifact: Pick<LoadedArtifact, 'weights' | 'itemIds' | 'features' | 'coldItems'>, history: number[], item: number): Promise<number> {
  const model = SasRec.fromWeights(CONFIG, artifact.weights, { ...itemTableOptions(artifact), features: WITH_NEW });
  try {
    const scores = await model.scoreBatch([history]);
    const mine = scores[item]!;
    let rank = 1;
    for (let i = 1; i <= NUM_ITEMS + 1; i++) if (i !== item && !history.includes(i) && scores[i]! > mine) rank++;
    return rank;
  } finally {
    model.dispose();
  }
}

describe('a federated round on a model with content features', () => {
  it('moves the feature table, keeps the features in the published artifact, and a new product climbs for the shoppers who chose it', async () => {
    const { key, trusted } = await signer();
    const { key: fedKey } = await signer();
    const storage = createMemoryStorage();
    const weights = initWeights(CONFIG, 7);
    const base = await buildArtifact({ name: 'default', version: 'v1', config: CONFIG, itemIds: ITEM_IDS, features: FEATURES, weights, quantization: 'float32', createdAt: '2026-01-01T00:00:00.000Z' }, key);
    await publishArtifact(storage, base, { trusted });
    const federation = createFederation({ storage, rounds: memoryRoundStore(), signingKey: fedKey, cohort: COHORT, aggregation: QUIET, epsilonBudget: 1e9, normal: normal(rng(3)) });
    const app = createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), analytics: { store: createMemoryAnalytics() }, federated: { federation, admission: createAdmission({ rsaRaw: nodeRsaRaw }) }, peer: testPeer });

    // Shoppers who view item 3 (category 3, brand 3) then choose the new product.
    const history = [3, NEW_PRODUCT];
    const before = await rankOf({ weights, itemIds: ITEM_IDS, features: FEATURES }, [3], NEW_PRODUCT);
    for (let device = 1; device <= COHORT; device++) {
      const update = await trainClientUpdate({ config: CONFIG, weights, features: WITH_NEW }, history, { steps: 5, learningRate: 0.5, rows: 'sequence', random: rng(100 + device) });
      expect(update.featureRows).toBeGreaterThan(0);
      expect([...update.delta.rows.indices]).not.toContain(NEW_PRODUCT);
      const body = encodeClientUpdate(update.delta, { model: 'default', baseVersion: 'v1', config: CONFIG });
      expect(body[3]).toBe(2); // format 2: the shape names numFeatures
      const res = await app.request('/v1/updates', {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': clientToken(device), [TEST_PEER_HEADER]: deviceAddress(device), Authorization: await tokenFor(app, deviceAddress(device)) },
        body,
      });
      expect(res.status, `device ${device}: ${await res.clone().text()}`).toBe(202);
    }
    expect((await federation.rounds('default')).map((r) => r.status)).toEqual(['published']);

    const current = (await currentManifest(storage, 'default'))!;
    expect(current.manifest.version).toBe('fed-1');
    const published = await loadArtifact(current.manifest, async (ref) => (await storage.blobs.get(ref.sha256))!, { trusted: [{ keyId: fedKey.keyId, publicKey: fedKey.publicKey }] });
    expect(published.manifest.config).toEqual(CONFIG);
    expect(published.features).toEqual(FEATURES);
    // The new product's features' rows moved (category 2, brand 4), and so its vector did.
    const moved = (name: string): number => {
      const row = FEATURES.names.indexOf(name) + 1;
      const a = weights.get('feat_emb')!.values.subarray(row * CONFIG.dim, (row + 1) * CONFIG.dim);
      const b = published.weights.get('feat_emb')!.values.subarray(row * CONFIG.dim, (row + 1) * CONFIG.dim);
      return Math.hypot(...a.map((v, c) => v - b[c]!));
    };
    expect(moved('category:2')).toBeGreaterThan(1e-3);
    expect(moved('brand:4')).toBeGreaterThan(1e-3);
    const after = await rankOf(published, [3], NEW_PRODUCT);
    // From 26th of 61 to 2nd on this seed.
    expect(after).toBeLessThan(before);
    expect(after).toBeLessThanOrEqual(3);
    tf.disposeVariables();
  });
});
