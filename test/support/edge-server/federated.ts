/** Fixtures for the federated tests: real encoded updates for the tiny test model. */
import { encodeUpdate, type EncodeOptions } from '../../../core/federated/codec.ts';
import { paramShapes, type ModelConfig } from '../../../core/model/config.ts';
import { size } from '../../../core/model/weights.ts';
import { normal, rng } from '../../../core/random.ts';
import type { PeerOf } from '../../../edge-server/middleware/peer.ts';
import { TINY } from './fixtures.ts';

export interface TinyUpdate {
  model?: string;
  baseVersion?: string;
  /** Item rows moved (1..5). Default [1, 2]. */
  rows?: number[];
  /** Seed of the values and, unless `nonce` is given, of the nonce. */
  seed?: number;
  nonce?: Uint8Array;
  /** Every value's standard deviation. Default 0.01. */
  scale?: number;
  config?: ModelConfig;
}

/** An encoded update for the tiny test model (`TINY`), deterministic per seed. */
export function tinyUpdate(options: TinyUpdate = {}, encode: EncodeOptions = {}): Uint8Array<ArrayBuffer> {
  const config = options.config ?? TINY;
  const seed = options.seed ?? 1;
  const g = normal(rng(seed));
  const scale = options.scale ?? 0.01;
  const dense = new Map<string, Float32Array>();
  for (const [name, shape] of paramShapes(config)) {
    if (name !== 'item_emb') dense.set(name, Float32Array.from({ length: size(shape) }, () => g() * scale));
  }
  const rows = options.rows ?? [1, 2];
  return encodeUpdate(
    {
      model: options.model ?? 'default',
      baseVersion: options.baseVersion ?? 'v1',
      nonce: options.nonce ?? Uint8Array.from({ length: 16 }, (_, i) => (seed * 31 + i) & 0xff),
      config,
      dense,
      rows: { indices: Uint32Array.from(rows), values: Float32Array.from({ length: rows.length * config.dim }, () => g() * scale) },
    },
    encode,
  );
}

/** A valid client token per device number. */
export const clientToken = (n: number): string => `device-${String(n).padStart(4, '0')}-token-abcdef`;

/** Header the test peer reads the client address from (`testPeer`). */
export const TEST_PEER_HEADER = 'x-test-peer';

/**
 * A `PeerOf` for `app.request` tests: the client address is the `x-test-peer` header (none: no address,
 * the `unknown` source), so a test can send from as many network sources as it needs.
 */
export const testPeer: PeerOf = (c) => ({ address: c.req.header(TEST_PEER_HEADER) ?? null, secure: false });

/** A distinct IPv4 address per device number (10.x.y.z), so each test device is its own network source. */
export const deviceAddress = (n: number): string => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
