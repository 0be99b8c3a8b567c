/**
 * Node side of the on-device training browser tests (`training.browser.test.ts`), loaded by
 * `web-test-runner.config.mjs` for requests under `/fed/`: the real edge server (`createApp`, memory
 * storage) with federated learning on — `createFederation` with a round of 2 updates — and a tiny signed
 * model published as `v1`. Nothing is mocked: updates go through the real intake and rounds.
 *
 * Test-only routes beside the app: `POST /fed/__reset` (a fresh server; `?tokensPerDay=N` sets its
 * admission tokens per source and day, default 1000: the test browser is one source for many trainers;
 * `?features=1` publishes a model with content features, those of `FED_PRODUCTS`), `GET /fed/__state` (the
 * updates pending in the open round and the rounds closed) and `GET /fed/__last` (what the last pending
 * update moves: its item rows and, by name, its feature rows).
 */
import { buildArtifact } from '../../../core/artifact/artifact.ts';
import { generateKeyFile } from '../../../core/artifact/signing.ts';
import { decodeUpdate } from '../../../core/federated/codec.ts';
import type { ModelConfig } from '../../../core/model/config.ts';
import { buildItemFeatures, productFeatureNames } from '../../../core/model/features.ts';
import { initWeights } from '../../../core/model/weights.ts';
import { normal, rng } from '../../../core/random.ts';
import { nodeRsaRaw } from '../../../edge-server/adapters/node/rsa-raw.ts';
import { createApp } from '../../../edge-server/app.ts';
import { createAdmission } from '../../../edge-server/federated/admission.ts';
import { createFederation } from '../../../edge-server/federated/federation.ts';
import { memoryRoundStore } from '../../../edge-server/federated/store.ts';
import { createMemoryStorage } from '../../../edge-server/models/memory-storage.ts';
import { publishArtifact } from '../../../edge-server/models/registry.ts';
import { FED_ITEMS, FED_PRODUCTS } from '../fed-catalog.ts';

const MODEL: ModelConfig = { numItems: FED_ITEMS.length, dim: 8, blocks: 1, heads: 1, maxLen: 10 };

async function build(tokensPerDay = 1000, features = false): Promise<{ fetch(r: Request): Promise<Response>; state(): Promise<unknown>; last(): Promise<unknown> }> {
  const key = await generateKeyFile();
  const fedKey = await generateKeyFile();
  const trustedKeys = [{ keyId: key.keyId, publicKey: key.publicKey }];
  const storage = createMemoryStorage();
  const itemFeatures = features ? buildItemFeatures(FED_PRODUCTS.slice(0, FED_ITEMS.length).map((p) => productFeatureNames(p))) : undefined;
  const config: ModelConfig = itemFeatures ? { ...MODEL, numFeatures: itemFeatures.names.length } : MODEL;
  const artifact = await buildArtifact(
    { name: 'default', version: 'v1', config, itemIds: FED_ITEMS, weights: initWeights(config, 3), quantization: 'float32', ...(itemFeatures && { features: itemFeatures }) },
    key,
  );
  await publishArtifact(storage, artifact, { trusted: trustedKeys });
  const rounds = memoryRoundStore();
  const federation = createFederation({
    storage,
    rounds,
    signingKey: fedKey,
    cohort: 2,
    // Small noise and every row released: the test checks the delta moves the weights, not privacy.
    aggregation: { noiseMultiplier: 0.01, countNoiseMultiplier: 0.01, releaseThreshold: 'all' },
    epsilonBudget: 1e9,
    epsilonPerDay: 1e9,
    // The test browser is one network source for every trainer: it may fill a round.
    maxSourceShare: 1,
    minSources: 1,
    normal: normal(rng(1)),
  });
  // Real admission tokens; the test browser is one network source for many trainers, hence the daily allowance.
  const admission = createAdmission({ rsaRaw: nodeRsaRaw, tokensPerDay });
  const app = createApp({ storage, trustedKeys, widget: { get: async () => null }, federated: { federation, admission } });
  return {
    fetch: async (request) => app.fetch(request),
    state: async () => {
      const loaded = await rounds.load('default');
      return { pending: loaded.pending.length, rounds: loaded.rounds.map((r) => ({ round: r.round, updates: r.updates, version: r.version, status: r.status })) };
    },
    last: async () => {
      const update = (await rounds.load('default')).pending.at(-1);
      if (!update) return null;
      const { rows, dense, config } = decodeUpdate(update.bytes);
      // Its item rows, and the feature table's rows it moves, by feature name.
      return { rows: [...rows.indices], featureRows: featureRowsOf(dense.get('feat_emb'), config.dim).map((row) => itemFeatures!.names[row - 1]) };
    },
  };
}

/** Rows of a `[rows, dim]` tensor with any non-zero value. */
function featureRowsOf(values: Float32Array | undefined, dim: number): number[] {
  const rows: number[] = [];
  for (let r = 1; values && (r + 1) * dim <= values.length; r++) if (values.subarray(r * dim, (r + 1) * dim).some((v) => v !== 0)) rows.push(r);
  return rows;
}

/** The `/fed/*` handler: strips the prefix and answers from the current server. */
export async function startFederatedTestServer(): Promise<{ fetch(request: Request): Promise<Response> }> {
  let server = await build();
  return {
    async fetch(request) {
      const url = new URL(request.url);
      url.pathname = url.pathname.replace(/^\/fed/, '');
      if (url.pathname === '/__reset') {
        const perDay = url.searchParams.get('tokensPerDay');
        server = await build(perDay ? Number(perDay) : undefined, url.searchParams.has('features'));
        return new Response(null, { status: 204 });
      }
      if (url.pathname === '/__state') return Response.json(await server.state(), { headers: { 'cache-control': 'no-store' } });
      if (url.pathname === '/__last') return Response.json(await server.last(), { headers: { 'cache-control': 'no-store' } });
      const res = await server.fetch(new Request(url, request));
      // Each test resets the server (new keys, a fresh v1): the browser must not answer from a manifest or
      // key list it cached (max-age=60) from an earlier test's server. Blobs are content-addressed: safe.
      if (!url.pathname.startsWith('/v1/blobs/')) {
        const fresh = new Response(res.body, res);
        fresh.headers.set('cache-control', 'no-store');
        return fresh;
      }
      return res;
    },
  };
}
