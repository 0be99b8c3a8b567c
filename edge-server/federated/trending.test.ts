/**
 * What "trending" means, end to end: devices train real padded updates (`trainClientUpdate`: the shopper's
 * own items, then uniform cover up to 64 rows), upload them to the real app, the real round aggregator
 * closes the round and reports to the real popularity store, and `GET /v1/popular` answers. On the demo's
 * scale (240 items, rounds of 50) cover alone gives every item about 13 devices a round, above the
 * "trending" floor of 10: only items counted well above cover and noise may trend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePopular, TRENDING_MIN_SCORE } from '../../core/analytics.ts';
import { buildArtifact } from '../../core/artifact/artifact.ts';
import { encodeClientUpdate, trainClientUpdate } from '../../core/federated/client.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { initWeights } from '../../core/model/weights.ts';
import { normal, rng } from '../../core/random.ts';
// Gradients are registered by the Node backend setup, as in the CLI.
import { useTestBackend } from '../../test/support/tf-backend.ts';
import { createMemoryAnalytics } from '../analytics/memory.ts';
import { createApp } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { publishArtifact } from '../models/registry.ts';
import { memoryWidget, signer } from '../../test/support/edge-server/fixtures.ts';
import { nodeRsaRaw } from '../adapters/node/rsa-raw.ts';
import { createAdmission } from './admission.ts';
import { createFederation } from './federation.ts';
import { memoryRoundStore } from './store.ts';
import { clientToken, deviceAddress, testPeer, TEST_PEER_HEADER } from '../../test/support/edge-server/federated.ts';
import { tokenFor } from '../../test/support/edge-server/tokens.ts';

const CONFIG: ModelConfig = { numItems: 240, dim: 8, blocks: 1, heads: 1, maxLen: 4 };
const ITEM_IDS = Array.from({ length: CONFIG.numItems }, (_, i) => `sku-${String(i + 1).padStart(4, '0')}`);
const COHORT = 50;
/** The demo's round settings (`demo/main.ts`), at a cohort of 50. */
const DEMO_AGGREGATION = { clipNorm: 0.1, rowClipNorm: 0.05, noiseMultiplier: 0.5, countNoiseMultiplier: 0.5, releaseThreshold: 2 };

beforeAll(async () => {
  await useTestBackend('cpu');
});

/** Runs one round of `COHORT` devices with these histories (model indices) and returns the trending list. */
async function trendingAfterRound(history: (device: number) => number[], seed: number): Promise<Array<{ id: string; score: number }>> {
  const { key, trusted } = await signer();
  const { key: fedKey } = await signer();
  const storage = createMemoryStorage();
  const weights = initWeights(CONFIG, seed);
  const base = await buildArtifact({ name: 'default', version: 'v1', config: CONFIG, itemIds: ITEM_IDS, weights, quantization: 'float32', createdAt: '2026-01-01T00:00:00.000Z' }, key);
  await publishArtifact(storage, base, { trusted });
  const federation = createFederation({ storage, rounds: memoryRoundStore(), signingKey: fedKey, cohort: COHORT, aggregation: DEMO_AGGREGATION, epsilonBudget: 1000, normal: normal(rng(seed)) });
  // Each device its own network source, with its own admission token.
  const app = createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), analytics: { store: createMemoryAnalytics() }, federated: { federation, admission: createAdmission({ rsaRaw: nodeRsaRaw }) }, peer: testPeer });

  for (let device = 1; device <= COHORT; device++) {
    const update = await trainClientUpdate({ config: CONFIG, weights }, history(device), { steps: 1, random: rng(seed * 1000 + device) });
    expect(update.delta.rows.indices).toHaveLength(64); // padded: own items, then cover
    const body = encodeClientUpdate(update.delta, { model: 'default', baseVersion: 'v1', config: CONFIG });
    const res = await app.request('/v1/updates', { method: 'POST', headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': clientToken(device), [TEST_PEER_HEADER]: deviceAddress(device), Authorization: await tokenFor(app, deviceAddress(device)) }, body });
    expect(res.status).toBe(202);
  }
  expect((await federation.rounds('default')).map((r) => r.status)).toEqual(['published']);
  return parsePopular(await (await app.request('/v1/popular?model=default&limit=50')).json()).trending;
}

describe('trending after a federated round of padded updates', () => {
  it('lists exactly the items the devices chose when their own items concentrate on 3, not the cover', async () => {
    const hot = [17, 101, 230];
    for (const seed of [1, 2]) {
      const trending = await trendingAfterRound((device) => [hot[device % 3]!, hot[(device + 1) % 3]!, hot[(device + 2) % 3]!], seed);
      expect(trending.map((t) => t.id).sort()).toEqual(hot.map((i) => ITEM_IDS[i - 1]!).sort());
      // Every device carried the 3, so each is counted as about 50 shoppers less the cover's share.
      for (const t of trending) expect(t.score).toBeGreaterThanOrEqual(TRENDING_MIN_SCORE);
      for (const t of trending) expect(t.score).toBeLessThanOrEqual(COHORT);
    }
  });

  it('lists nothing after a round of pure cover: own items as spread as the cover itself', async () => {
    for (const seed of [3, 4]) {
      const pick = rng(seed);
      const spread = (): number[] => {
        const items = new Set<number>();
        while (items.size < 3) items.add(1 + Math.floor(pick() * CONFIG.numItems));
        return [...items];
      };
      expect(await trendingAfterRound(spread, seed)).toEqual([]);
    }
  });
});
