import { describe, expect, expectTypeOf, it } from 'vitest';
import { thrownContractError } from '../../test/support/contract-error.ts';
import { paramShapes, type ModelConfig } from '../model/config.ts';
import { size } from '../model/weights.ts';
import { normal, rng } from '../random.ts';
import { deltaNorm } from './delta.ts';
import {
  checkUpdate,
  decodeUpdate,
  decodeVersionDelta,
  encodeUpdate,
  encodeVersionDelta,
  peekUpdate,
  type ModelUpdate,
  type ValueEncoding,
  type VersionDelta,
} from './codec.ts';

const CONFIG: ModelConfig = { numItems: 200, dim: 8, blocks: 1, heads: 1, maxLen: 5 };

function randomUpdate(config: ModelConfig, rows: number[], seed = 1, scale = 0.01): ModelUpdate {
  const g = normal(rng(seed));
  const dense = new Map<string, Float32Array>();
  for (const [name, shape] of paramShapes(config)) {
    if (name !== 'item_emb') dense.set(name, Float32Array.from({ length: size(shape) }, () => g() * scale));
  }
  return {
    model: 'default',
    baseVersion: 'v1',
    nonce: Uint8Array.from({ length: 16 }, (_, i) => i),
    config,
    dense,
    rows: { indices: Uint32Array.from(rows), values: Float32Array.from({ length: rows.length * config.dim }, () => g() * scale) },
  };
}

function maxAbsError(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

describe('update codec', () => {
  it.each<[ValueEncoding, number]>([
    ['int8', 0.5 / 127],
    ['float16', 1 / 1024],
    ['float32', 1e-7],
  ])('round-trips an update with %s values within the encoding precision', (values, relative) => {
    const update = randomUpdate(CONFIG, [1, 7, 8, 150, 200]);
    const decoded = decodeUpdate(encodeUpdate(update, { values }));
    expect(decoded.model).toBe('default');
    expect(decoded.baseVersion).toBe('v1');
    expect(decoded.nonce).toEqual(update.nonce);
    expect(decoded.config).toEqual(CONFIG);
    expect(decoded.encoding).toBe(values);
    expect([...decoded.rows.indices]).toEqual([1, 7, 8, 150, 200]);
    expect([...decoded.dense.keys()].sort()).toEqual([...update.dense.keys()].sort());
    for (const [name, v] of update.dense) expect(maxAbsError(decoded.dense.get(name)!, v)).toBeLessThanOrEqual(maxAbs(v) * relative * 1.001);
    for (let r = 0; r < 5; r++) {
      const a = update.rows.values.subarray(r * 8, r * 8 + 8);
      const b = decoded.rows.values.subarray(r * 8, r * 8 + 8);
      expect(maxAbsError(a, b)).toBeLessThanOrEqual(maxAbs(a) * relative * 1.001);
    }
  });

  it('sends only the largest values of each dense tensor at a density below 1, and the rest decode as zero', () => {
    const update = randomUpdate({ ...CONFIG, dim: 32, maxLen: 50 }, [3]);
    const full = encodeUpdate(update);
    const sparse = encodeUpdate(update, { density: 0.1 });
    expect(sparse.byteLength).toBeLessThan(full.byteLength * 0.3);
    const decoded = decodeUpdate(sparse);
    for (const [name, original] of update.dense) {
      const d = decoded.dense.get(name)!;
      const kept = [...d].filter((v) => v !== 0).length;
      expect(kept).toBeLessThanOrEqual(Math.ceil(original.length * 0.1));
      // Every kept coordinate is at least as large as every dropped one.
      const smallestKept = Math.min(...[...original].filter((_, i) => d[i] !== 0).map(Math.abs));
      const largestDropped = Math.max(0, ...[...original].filter((_, i) => d[i] === 0).map(Math.abs));
      expect(smallestKept).toBeGreaterThanOrEqual(largestDropped);
    }
  });

  it('omits all-zero dense tensors and absent ones decode as absent', () => {
    const update = randomUpdate(CONFIG, []);
    update.dense.set('pos_emb', new Float32Array(5 * 8));
    update.dense.delete('final_ln.beta');
    const decoded = decodeUpdate(encodeUpdate(update));
    expect(decoded.dense.has('pos_emb')).toBe(false);
    expect(decoded.dense.has('final_ln.beta')).toBe(false);
    expect(decoded.rows.indices.length).toBe(0);
  });

  it('keeps a typical update of the demo model (dim 32, 1 block, 40 rows) under 20 KB at int8', () => {
    const demo: ModelConfig = { numItems: 240, dim: 32, blocks: 1, heads: 1, maxLen: 50 };
    const rows = Array.from({ length: 40 }, (_, i) => 1 + i * 6);
    expect(encodeUpdate(randomUpdate(demo, rows)).byteLength).toBeLessThan(20 * 1024);
  });

  it('round-trips a version delta, float16 by default', () => {
    const u = randomUpdate(CONFIG, [2, 4]);
    const delta: VersionDelta = { model: 'default', fromVersion: 'v1', toVersion: 'fed-1', config: CONFIG, dense: u.dense, rows: u.rows };
    const bytes = encodeVersionDelta(delta);
    const decoded = decodeVersionDelta(bytes);
    expect(decoded.fromVersion).toBe('v1');
    expect(decoded.toVersion).toBe('fed-1');
    expect(maxAbsError(decoded.rows.values, u.rows.values)).toBeLessThan(1e-4);
    expectTypeOf(decoded).toEqualTypeOf<VersionDelta>();
    thrownContractError(() => decodeUpdate(bytes), 'bad_update');
    thrownContractError(() => decodeVersionDelta(encodeUpdate(u)), 'bad_update');
  });

  it('peeks at the model and base version without decoding values', () => {
    expect(peekUpdate(encodeUpdate(randomUpdate(CONFIG, [1])))).toEqual({ model: 'default', baseVersion: 'v1' });
  });

  describe('refuses malformed frames with bad_update naming the field', () => {
    const good = encodeUpdate(randomUpdate(CONFIG, [5, 9]));
    const cases: Array<[string, (b: Uint8Array) => Uint8Array, RegExp]> = [
      ['empty bytes', () => new Uint8Array(0), /magic/],
      ['another magic', (b) => Uint8Array.from(b, (v, i) => (i === 0 ? 0x50 : v)), /magic/],
      ['a future format', (b) => Uint8Array.from(b, (v, i) => (i === 3 ? 9 : v)), /format/],
      ['an unknown value encoding', (b) => Uint8Array.from(b, (v, i) => (i === 4 ? 7 : v)), /valueEncoding/],
      ['a truncated frame', (b) => b.slice(0, b.length - 3), /truncated/],
      ['trailing bytes', (b) => Uint8Array.from([...b, 0]), /trailing/],
    ];
    it.each(cases)('%s', (_, mutate, message) => {
      const err = thrownContractError(() => decodeUpdate(mutate(good)), 'bad_update');
      expect(err.message).toMatch(message);
    });

    it('a row index outside the item table, an invalid model name, the row limit', () => {
      const u = randomUpdate(CONFIG, [5]);
      const bytes = encodeUpdate(u);
      // The single row's index gap sits right before its int8 block (scale f32 + 8 codes).
      const rowIndexAt = bytes.length - (4 + 8) - 1;
      expect(bytes[rowIndexAt]).toBe(5);
      const zero = bytes.slice();
      zero[rowIndexAt] = 0;
      expect(thrownContractError(() => decodeUpdate(zero), 'bad_update').message).toMatch(/rows\.indices/);
      const past = bytes.slice();
      past[rowIndexAt] = 0x7f; // 127 is inside; make the numItems smaller instead:
      expect(decodeUpdate(past).rows.indices[0]).toBe(127);
      expect(thrownContractError(() => decodeUpdate(encodeUpdate(randomUpdate(CONFIG, [1, 2, 3])), { maxRows: 2 }), 'bad_update').message).toMatch(
        /rowCount.*at most 2/,
      );
      expect(thrownContractError(() => encodeUpdate({ ...u, model: 'Bad Name' }), 'bad_update').message).toMatch(/model/);
      expect(thrownContractError(() => encodeUpdate({ ...u, nonce: new Uint8Array(3) }), 'bad_update').message).toMatch(/nonce/);
    });

    it('a non-finite float value and a negative int8 scale', () => {
      const u = randomUpdate(CONFIG, [5]);
      u.rows.values[0] = Infinity;
      const err = thrownContractError(() => decodeUpdate(encodeUpdate(u, { values: 'float32' })), 'bad_update');
      expect(err.message).toMatch(/rows\[5\].*non-finite/);
      const ok = randomUpdate(CONFIG, [5]);
      const bytes = encodeUpdate(ok);
      const view = new DataView(bytes.buffer);
      view.setFloat32(bytes.length - 12, -1, true);
      expect(thrownContractError(() => decodeUpdate(bytes), 'bad_update').message).toMatch(/rows\[5\] has scale -1/);
      // Finite, yet code 127 × 3e38 overflows float32: the decoder would hand out Infinity (found by the fuzzer).
      view.setFloat32(bytes.length - 12, 3e38, true);
      for (const read of [decodeUpdate, checkUpdate]) {
        expect(thrownContractError(() => read(bytes), 'bad_update').message).toMatch(/rows\[5\] has scale 3\.0*\d*e\+38; .*127 × scale finite/);
      }
    });

    it('a dense tensor of the wrong size on encode', () => {
      const u = randomUpdate(CONFIG, []);
      u.dense.set('pos_emb', new Float32Array(3));
      expect(thrownContractError(() => encodeUpdate(u), 'bad_update').message).toMatch(/pos_emb/);
      u.dense.delete('pos_emb');
      u.dense.set('item_emb', new Float32Array(201 * 8));
      expect(thrownContractError(() => encodeUpdate(u), 'bad_update').message).toMatch(/item_emb/);
    });
  });
});

describe('checkUpdate (intake validation without decoding values)', () => {
  it.each([
    ['int8', 1],
    ['int8', 0.3],
    ['float16', 1],
    ['float32', 0.3],
  ] as Array<[ValueEncoding, number]>)('reports the labels, shape and the norm decodeUpdate + deltaNorm give (%s, density %s)', (values, density) => {
    const bytes = encodeUpdate(randomUpdate(CONFIG, [3, 40, 199], 7, 0.05), { values, density });
    const full = decodeUpdate(bytes);
    const summary = checkUpdate(bytes);
    const { norm, ...labels } = summary;
    expect(labels).toEqual({ model: full.model, baseVersion: full.baseVersion, nonce: full.nonce, config: full.config, encoding: values, rowCount: 3 });
    // int8 codes are summed as exact integers, then scaled: the float32 path's rounding apart, the same norm.
    if (values === 'int8') expect(Math.abs(norm / deltaNorm(full) - 1)).toBeLessThan(1e-6);
    else expect(norm).toBe(deltaNorm(full));
  });

  it('refuses every malformed frame decodeUpdate refuses, with the same message', () => {
    const good = encodeUpdate(randomUpdate(CONFIG, [5, 9]));
    const negativeScale = good.slice();
    new DataView(negativeScale.buffer).setFloat32(negativeScale.length - 12, -1, true);
    const code128 = good.slice();
    code128[code128.length - 1] = 0x80;
    const nonFinite = randomUpdate(CONFIG, [5]);
    nonFinite.rows.values[0] = NaN;
    const bad: Array<[Uint8Array, { maxRows?: number }]> = [
      [new Uint8Array(0), {}],
      [good.slice(0, good.length - 3), {}],
      [Uint8Array.from([...good, 0]), {}],
      [negativeScale, {}],
      [code128, {}],
      [encodeUpdate(nonFinite, { values: 'float32' }), {}],
      [good, { maxRows: 1 }],
      [encodeVersionDelta({ ...randomUpdate(CONFIG, [5]), fromVersion: 'v1', toVersion: 'v2' }), {}],
    ];
    for (const [bytes, limits] of bad) {
      const expected = thrownContractError(() => decodeUpdate(bytes, limits), 'bad_update').message;
      expect(thrownContractError(() => checkUpdate(bytes, limits), 'bad_update').message).toBe(expected);
    }
    expect(thrownContractError(() => checkUpdate(code128), 'bad_update').message).toMatch(/rows\[9\] holds int8 code -128/);
  });

  it('agrees with decodeUpdate whichever byte of a frame is 0x80 (code -128 at every offset of a 4-byte read, and in block tails)', () => {
    // dim 7: row blocks of 7 codes (one 4-byte read and a 3-code tail); dense blocks of every length.
    const good = encodeUpdate(randomUpdate({ ...CONFIG, dim: 7 }, [2, 9, 40]));
    let refused = 0;
    for (let at = 0; at < good.length; at++) {
      const bytes = good.slice();
      bytes[at] = 0x80;
      let expected: string | null = null;
      let decoded: ReturnType<typeof decodeUpdate> | undefined;
      try {
        decoded = decodeUpdate(bytes);
      } catch (err) {
        expected = (err as Error).message;
      }
      if (expected === null) expect(Math.abs(checkUpdate(bytes).norm / deltaNorm(decoded!) - 1)).toBeLessThan(1e-6);
      else expect(thrownContractError(() => checkUpdate(bytes), 'bad_update').message).toBe(expected);
      if (expected?.includes('code -128')) refused++;
    }
    // Most bytes of a frame are value codes.
    expect(refused).toBeGreaterThan(good.length / 2);
  });
});

describe('a model with content features (format 2)', () => {
  const FEATURES: ModelConfig = { ...CONFIG, numFeatures: 12 };

  it('carries numFeatures in the shape and its feature rows as a sparse dense tensor; a model without features stays format 1', () => {
    const update = randomUpdate(FEATURES, [3, 40]);
    const featureRows = new Float32Array((12 + 1) * FEATURES.dim);
    featureRows.fill(0.25, 5 * FEATURES.dim, 6 * FEATURES.dim);
    update.dense.set('feat_emb', featureRows);
    const bytes = encodeUpdate(update, { density: 0.05, whole: ['feat_emb'] });
    expect(bytes[3]).toBe(2);
    const back = decodeUpdate(bytes);
    expect(back.config).toEqual(FEATURES);
    // Kept whole whatever the density: every non-zero value of its one moved row.
    expect(maxAbsError(back.dense.get('feat_emb')!, featureRows)).toBeLessThan(0.25 / 127);
    expect(checkUpdate(bytes).norm).toBeCloseTo(deltaNorm(back), 4);
    // The same update without `whole`: the density cuts the feature rows too.
    const cut = decodeUpdate(encodeUpdate(update, { density: 0.05 }));
    expect(cut.dense.get('feat_emb')!.filter((v) => v !== 0).length).toBeLessThan(FEATURES.dim);
    expect(encodeUpdate(randomUpdate(CONFIG, [3, 40]))[3]).toBe(1);
    const delta = decodeVersionDelta(encodeVersionDelta({ model: 'default', fromVersion: 'v1', toVersion: 'v2', config: FEATURES, dense: update.dense, rows: update.rows }));
    expect(delta.config.numFeatures).toBe(12);
  });

  it('refuses a format 2 frame whose numFeatures is 0, and a format 1 frame that sends feat_emb', () => {
    const bytes = encodeUpdate(randomUpdate(FEATURES, [3]));
    // numFeatures is the last shape varint: right after maxLen (5), before denseCount.
    const at = bytes.indexOf(12, bytes.indexOf(5, 8 + 16));
    const zero = bytes.slice();
    zero[at] = 0;
    expect(thrownContractError(() => decodeUpdate(zero), 'bad_update').message).toMatch(/numFeatures must be positive/);
    const asFormat1 = bytes.slice();
    asFormat1[3] = 1;
    expect(() => decodeUpdate(asFormat1)).toThrow();
  });
});
