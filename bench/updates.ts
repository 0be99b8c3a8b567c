/**
 * `npm run bench -- updates`: the federated update codec and a round on the server.
 *
 * - Encoded update bytes for the demo model (240 items, dim 32, 1 block) and a Beauty-size SASRec
 *   (12,101 items, dim 64, 2 blocks), by value encoding and dense density (top-k share).
 * - Encode / decode time per update.
 * - One round of K = 100 closed by the real engine (memory stores): time to aggregate, build, sign and
 *   publish, and the version delta's bytes beside the full weights'.
 * - Intake rate in process (`app.request`, memory round store: the codec, validation and engine, not the
 *   network or the disk; `bench/server` measures over HTTP).
 */
import { buildArtifact } from '../core/artifact/artifact.ts';
import { generateKeyFile } from '../core/artifact/signing.ts';
import { decodeUpdate, encodeUpdate, type EncodeOptions, type ModelUpdate } from '../core/federated/codec.ts';
import { paramShapes, type ModelConfig } from '../core/model/config.ts';
import { initWeights, size } from '../core/model/weights.ts';
import { normal, rng } from '../core/random.ts';
import { createApp } from '../edge-server/app.ts';
import { createFederation } from '../edge-server/federated/federation.ts';
import { memoryRoundStore } from '../edge-server/federated/store.ts';
import { deviceAddress, testPeer, TEST_PEER_HEADER } from '../test/support/edge-server/federated.ts';
import { tokenFor } from '../test/support/edge-server/tokens.ts';
import { createAdmission } from '../edge-server/federated/admission.ts';
import { nodeRsaRaw } from '../edge-server/adapters/node/rsa-raw.ts';
import { createMemoryStorage } from '../edge-server/models/memory-storage.ts';
import { publishArtifact } from '../edge-server/models/registry.ts';

const DEMO: ModelConfig = { numItems: 240, dim: 32, blocks: 1, heads: 1, maxLen: 50 };
const BEAUTY: ModelConfig = { numItems: 12101, dim: 64, blocks: 2, heads: 1, maxLen: 50 };

function update(config: ModelConfig, rows: number, seed: number, baseVersion = 'v1'): ModelUpdate {
  const g = normal(rng(seed));
  const dense = new Map<string, Float32Array>();
  for (const [name, shape] of paramShapes(config)) if (name !== 'item_emb') dense.set(name, Float32Array.from({ length: size(shape) }, () => g() * 0.001));
  const r = rng(seed + 1);
  const picked = new Set<number>();
  while (picked.size < rows) picked.add(1 + Math.floor(r() * config.numItems));
  const indices = Uint32Array.from([...picked].sort((a, b) => a - b));
  return {
    model: 'default',
    baseVersion,
    nonce: Uint8Array.from({ length: 16 }, (_, i) => (seed * 13 + i) & 0xff),
    config,
    dense,
    rows: { indices, values: Float32Array.from({ length: rows * config.dim }, () => g() * 0.001) },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(fn: () => void, reps: number): number {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return +median(times).toFixed(3);
}

export async function run(): Promise<Record<string, unknown>> {
  const sizes: Array<Record<string, unknown>> = [];
  const cases: Array<[string, ModelConfig, number, EncodeOptions]> = [
    ['demo', DEMO, 30, { values: 'int8' }],
    ['demo', DEMO, 30, { values: 'float16' }],
    ['beauty', BEAUTY, 50, { values: 'int8' }],
    ['beauty', BEAUTY, 50, { values: 'int8', density: 0.25 }],
    ['beauty', BEAUTY, 50, { values: 'int8', density: 0.15 }],
    ['beauty', BEAUTY, 50, { values: 'float16' }],
  ];
  for (const [model, config, rows, options] of cases) {
    const u = update(config, rows, 1);
    const bytes = encodeUpdate(u, options);
    sizes.push({
      model,
      rows,
      values: options.values,
      density: options.density ?? 1,
      bytes: bytes.byteLength,
      encodeMs: timeMs(() => encodeUpdate(u, options), 20),
      decodeMs: timeMs(() => decodeUpdate(bytes), 20),
    });
  }

  // One round of 100 on the demo-size model, uint8 artifact as the demo ships it.
  const key = await generateKeyFile();
  const fedKey = await generateKeyFile();
  const storage = createMemoryStorage();
  const trusted = [{ keyId: key.keyId, publicKey: key.publicKey }];
  const base = await buildArtifact(
    { name: 'default', version: 'v1', config: DEMO, itemIds: Array.from({ length: DEMO.numItems }, (_, i) => `sku-${i}`), weights: initWeights(DEMO, 1), quantization: 'uint8' },
    key,
  );
  await publishArtifact(storage, base, { trusted });
  const K = 100;
  const federation = createFederation({ storage, rounds: memoryRoundStore(), signingKey: fedKey, cohort: K, epsilonBudget: 1e9, epsilonPerDay: 1e9, maxUpdatesPerDay: 1e6 });
  // Each device from its own address (`testPeer` reads it from a header), as devices on the internet are.
  // Admission on, as in production; each device gets its token before the clock starts (a device holds it
  // before it uploads), so the intake figures are the intake's.
  const app = createApp({ storage, trustedKeys: trusted, widget: { get: async () => null }, federated: { federation, admission: createAdmission({ rsaRaw: nodeRsaRaw }) }, peer: testPeer });
  const bodies = Array.from({ length: 2 * K }, (_, i) => encodeUpdate(update(DEMO, 30, i + 10, i < K ? 'v1' : 'fed-1')));
  const tokens: string[] = [];
  for (let i = 0; i < 2 * K; i++) tokens.push(await tokenFor(app, deviceAddress(i)));
  const post = (i: number) =>
    app.request('/v1/updates', {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': `bench-device-${String(i).padStart(6, '0')}`, [TEST_PEER_HEADER]: deviceAddress(i), Authorization: tokens[i]! },
      body: bodies[i]!,
    });
  // K - 1 updates, then time the K-th, whose answer waits for the round to close.
  const intakeStart = performance.now();
  for (let i = 0; i < K - 1; i++) await post(i);
  const intakeMs = performance.now() - intakeStart;
  const closeStart = performance.now();
  const last = await post(K - 1);
  const closeMs = performance.now() - closeStart;
  if (last.status !== 202) throw new Error(`round close upload answered ${last.status}`);
  const [round] = await federation.rounds('default');
  const concurrentStart = performance.now();
  const answers = await Promise.all(Array.from({ length: K - 1 }, (_, i) => post(K + i)));
  const concurrentMs = performance.now() - concurrentStart;
  if (answers.some((r) => r.status !== 202)) throw new Error('a concurrent upload was refused');
  const stored = (await storage.meta.getModel('default'))!;
  const roundRecord = (await federation.rounds('default'))[0]!;
  const fullBytes = base.manifest.shards.reduce((n, s) => n + s.bytes, 0);
  const delta = await app.request('/v1/models/default/deltas?from=v1');
  return {
    updateBytes: sizes,
    round: {
      model: 'demo (240 items, dim 32, 1 block, uint8 artifact)',
      cohort: K,
      rowsPerUpdate: 30,
      closeMs: +closeMs.toFixed(1),
      epsilonPerRound: +round!.epsilon.toFixed(3),
      delta: 1e-6,
      versions: stored.versions.map((v) => v.version),
      status: roundRecord.status,
      deltaBytes: (await delta.arrayBuffer()).byteLength,
      fullWeightBytes: fullBytes,
    },
    intake: {
      sequentialPerSecond: Math.round(((K - 1) / intakeMs) * 1000),
      concurrentPerSecond: Math.round(((K - 1) / concurrentMs) * 1000),
      note: 'in process (app.request), memory round store: codec + validation + engine only',
    },
  };
}
