/**
 * On-device training against a real edge server: in a shop with `item_group_id` variants, for both shapes
 * of model the CLI makes (one trained with `--catalog`, whose items are group keys, and one trained without,
 * whose items are variant ids), and when an attempt runs. The page's real `Engine` in Node against a real
 * edge server on a loopback port with federated learning on (`createFederation`, memory storage, the
 * catalog uploaded through the admin API), training on the main thread on tfjs' CPU backend and uploading
 * through `POST /v1/updates` into the open round. Nothing is mocked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildArtifact } from '../../core/artifact/artifact.ts';
import { generateKeyFile } from '../../core/artifact/signing.ts';
import type { Product } from '../../core/catalog.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { initWeights } from '../../core/model/weights.ts';
import { serveNode, type NodeServer } from '../../edge-server/adapters/node/serve.ts';
import { createApp } from '../../edge-server/app.ts';
import { createFederation } from '../../edge-server/federated/federation.ts';
import { memoryRoundStore } from '../../edge-server/federated/store.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { publishArtifact } from '../../edge-server/models/registry.ts';
import { memoryWidget } from '../support/edge-server/fixtures.ts';
import type { Engine } from '../../widget/engine/engine.ts';

const TOKEN = 'training-variants-token-0123456789';
const product = (id: string, title: string, group?: string): Product => ({
  id,
  ...(group === undefined ? {} : { item_group_id: group }),
  title,
  link: `https://shop.example/p/${encodeURIComponent(id)}`,
  image_link: 'https://shop.example/i.png',
  price: 25,
  currency: 'EUR',
  availability: 'in_stock',
  product_type: 'Apparel',
});
/** A jacket in three sizes and a hat in two (their cards show size S and the small hat), and a mug. */
const CATALOG = {
  updatedAt: '2026-01-01T00:00:00.000Z',
  products: [
    product('jacket S', 'Jacket, size S', 'jacket'),
    product('jacket M', 'Jacket, size M', 'jacket'),
    product('jacket L', 'Jacket, size L', 'jacket'),
    product('hat 1', 'Hat, small', 'hat'),
    product('hat 2', 'Hat, large', 'hat'),
    product('mug', 'Mug'),
  ],
};

let server: NodeServer | undefined;
let engine: Engine | undefined;

afterEach(async () => {
  engine?.trainer?.dispose();
  await server?.close();
  server = engine = undefined;
});

/** The shop's edge server with a published model of `itemIds`, and the page's engine with its trainer attached. */
async function shop(itemIds: string[]): Promise<{ engine: Engine; pending: () => Promise<number> }> {
  const key = await generateKeyFile();
  const trustedKeys = [{ keyId: key.keyId, publicKey: key.publicKey }];
  const storage = createMemoryStorage();
  const config: ModelConfig = { numItems: itemIds.length, dim: 8, blocks: 1, heads: 1, maxLen: 10 };
  await publishArtifact(storage, await buildArtifact({ name: 'default', version: 'v1', config, itemIds, weights: initWeights(config, 5), quantization: 'float32' }, key), { trusted: trustedKeys });
  const rounds = memoryRoundStore();
  const federation = createFederation({ storage, rounds, signingKey: await generateKeyFile(), cohort: 1000, maxUpdatesPerDay: 1000 });
  const app = createApp({ storage, trustedKeys, widget: memoryWidget({}), adminTokens: [TOKEN], federated: { federation } });
  const upload = await app.request('/v1/admin/catalog', { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(CATALOG) });
  expect(upload.status, await upload.clone().text()).toBe(200);
  server = await serveNode({ port: 0, hostname: '127.0.0.1', app });
  // Development-build warnings on, so a failure would be told.
  (globalThis as { __EDGE_RECS_DEV__?: boolean }).__EDGE_RECS_DEV__ = true;
  const { Engine } = await import('../../widget/engine/engine.ts');
  // Storage consent (training needs it); without IndexedDB in Node the profile lives in memory.
  const started = (engine = new Engine({
    config: { server: server.url, model: 'default', trusted: trustedKeys, locale: 'en', consent: 'granted', assetBase: '/', backend: 'cpu' },
    warn: () => undefined,
    consent: { storage: true, analytics: true },
  }));
  // The engine loads its trainer only once the device holds 5 interest events; these tests train on fewer
  // (`trainNow`) and watch the threshold, so they attach the trainer as soon as the model runs.
  for (let i = 0; i < 400 && !(started.state.status === 'ready' && started.federatedLearning); i++) await new Promise((r) => setTimeout(r, 50));
  expect(started.federatedLearning, started.state.error).toBe(true);
  const { attachTraining } = await import('../../widget/training/index.ts');
  started.trainer = attachTraining(started);
  return { engine: started, pending: async () => (await rounds.load('default')).pending.length };
}

/**
 * The shopper looks at sizes only: four views that are, as groups, jacket, hat, jacket, hat. One fewer than
 * the trainer's `minEvents`, so the test's `trainNow` is the one training run.
 */
async function browseSizes(e: Engine): Promise<void> {
  for (const id of ['jacket L', 'hat 2', 'jacket M', 'hat 1']) await e.track('view_item', { items: [{ item_id: id }] });
}

describe('on-device training on variant groups', () => {
  it('trains a model of variant ids (trained without --catalog) on the sizes ranking asks it about, and uploads', { timeout: 60_000 }, async () => {
    const { engine: e, pending } = await shop(['jacket S', 'jacket L', 'jacket M', 'hat 1', 'mug']);
    await browseSizes(e);
    // As ranking asks the model: a group through the variant its card shows, where the model knows it.
    expect(['jacket L', 'hat 2', 'mug'].map(e.modelItem)).toEqual(['jacket S', 'hat 1', 'mug']);
    const outcome = await e.trainer!.trainNow();
    expect(outcome.status, JSON.stringify(outcome)).toBe('uploaded');
    expect(await pending()).toBe(1);
  });

  it('trains a model of group keys (trained with --catalog) on the groups, and uploads', { timeout: 60_000 }, async () => {
    const { engine: e, pending } = await shop(['jacket', 'hat', 'mug']);
    await browseSizes(e);
    expect(['jacket L', 'hat 2', 'mug'].map(e.modelItem)).toEqual(['jacket', 'hat', 'mug']);
    const outcome = await e.trainer!.trainNow();
    expect(outcome.status, JSON.stringify(outcome)).toBe('uploaded');
    expect(await pending()).toBe(1);
  });
});

describe('when the trainer runs', () => {
  it('trains for the event that reaches the threshold while an attempt that read fewer events is still running', { timeout: 60_000 }, async () => {
    const { engine: e, pending } = await shop(['jacket', 'hat', 'mug']);
    // Four of the five events the trainer waits for.
    await browseSizes(e);
    // Those events' own attempts (and any rerun they queued) are over, and one more found too few events.
    await e.trainer!.maybeTrain();
    expect((await e.trainer!.maybeTrain()).status).toBe('skipped');
    const outcomes: string[] = [];
    e.trainer!.addEventListener('outcome', (ev) => outcomes.push((ev as CustomEvent<{ status: string; reason?: string }>).detail.reason ?? (ev as CustomEvent<{ status: string }>).detail.status));
    // An attempt starts and reads the four; the fifth arrives before it ends (its change comes mid-attempt).
    const first = e.trainer!.maybeTrain();
    await e.track('view_item', { items: [{ item_id: 'mug' }] });
    expect((await first).status).toBe('skipped');
    await expect.poll(pending, { timeout: 30_000, interval: 100 }).toBe(1);
    expect(outcomes).toEqual(['too_few_events', 'uploaded']);
  });
});
