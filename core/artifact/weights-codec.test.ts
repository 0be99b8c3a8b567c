import { describe, expect, it } from 'vitest';
import { ContractError } from '../errors.ts';
import type { NamedWeights } from '../model/weights.ts';
import { decodeWeights, encodeWeights, fromFloat16, specBytes, toFloat16 } from './weights-codec.ts';
import { thrownContractError } from '../../test/support/contract-error.ts';

/** Deterministic values spread over many magnitudes, both signs. */
function spread(n: number, seed = 1): Float32Array {
  let s = seed;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() < 0.5 ? -1 : 1) * 2 ** (next() * 40 - 20) * (1 + next());
  return out;
}

const contractError = (fn: () => unknown): ContractError => thrownContractError(fn);

const half = (x: number): number => fromFloat16(toFloat16(Float32Array.of(x)))[0]!;
const bits = (x: number): number => toFloat16(Float32Array.of(x))[0]!;

describe('float32 weights', () => {
  it('round-trip bit for bit, including float32 subnormals and extremes', () => {
    const values = spread(257);
    values.set([0, -0, 1.4e-45, -3.4028234663852886e38, 3.4028234663852886e38, 1e-40], 0);
    const weights: NamedWeights = new Map([
      ['a', { shape: [257], values }],
      ['b', { shape: [3, 2], values: Float32Array.of(1, 2, 3, 4, 5, 6) }],
    ]);
    const { specs, data } = encodeWeights(weights, 'float32');

    expect(specs).toEqual([
      { name: 'a', shape: [257], dtype: 'float32' },
      { name: 'b', shape: [3, 2], dtype: 'float32' },
    ]);
    expect(data.byteLength).toBe((257 + 6) * 4);
    const back = decodeWeights(specs, data);
    expect([...back.keys()]).toEqual(['a', 'b']);
    expect(new Uint32Array(back.get('a')!.values.buffer)).toEqual(new Uint32Array(values.buffer));
    expect(back.get('b')).toEqual({ shape: [3, 2], values: Float32Array.of(1, 2, 3, 4, 5, 6) });
  });

  it('encodes only the bytes of a typed-array view, not the rest of its buffer', () => {
    const backing = Float32Array.of(9, 9, 1, 2, 3, 9, 9);
    const view = backing.subarray(2, 5);
    const { specs, data } = encodeWeights(new Map([['v', { shape: [3], values: view }]]), 'float32');

    expect(data.byteLength).toBe(12);
    expect(decodeWeights(specs, data).get('v')!.values).toEqual(Float32Array.of(1, 2, 3));
  });
});

describe('float16 weights', () => {
  it('encode exactly representable values to their IEEE 754 half-precision bit patterns', () => {
    expect(bits(1)).toBe(0x3c00);
    expect(bits(-2)).toBe(0xc000);
    expect(bits(0.5)).toBe(0x3800);
    expect(bits(65504)).toBe(0x7bff); // largest finite half
    expect(bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(bits(1023 * 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(bits(0)).toBe(0x0000);
    expect(bits(-0)).toBe(0x8000);
  });

  it('decode exactly representable values back to the same number, keeping the sign of zero', () => {
    for (const x of [1, -2, 0.5, 65504, -65504, 2 ** -14, 2 ** -24, -(2 ** -24), 3 * 2 ** -24, 1023 * 2 ** -24]) expect(half(x)).toBe(x);
    expect(Object.is(half(-0), -0)).toBe(true);
    expect(Object.is(half(0), 0)).toBe(true);
  });

  it('keep ±Infinity and NaN, and overflow past the largest half to Infinity', () => {
    expect(bits(Infinity)).toBe(0x7c00);
    expect(bits(-Infinity)).toBe(0xfc00);
    expect(half(Infinity)).toBe(Infinity);
    expect(half(-Infinity)).toBe(-Infinity);
    const nan = bits(NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x03ff).not.toBe(0);
    expect(half(NaN)).toBeNaN();
    expect(half(1e6)).toBe(Infinity);
    expect(half(-1e6)).toBe(-Infinity);
    // 65520 is halfway between 65504 (odd mantissa) and 65536 (= Infinity): ties to even go up.
    expect(half(65520)).toBe(Infinity);
    expect(half(65519)).toBe(65504);
  });

  it('round halfway cases to the nearest even mantissa', () => {
    const ulp = 2 ** -10; // spacing of halves in [1, 2)
    expect(bits(1 + ulp / 2)).toBe(0x3c00); // between 0x3c00 (even) and 0x3c01: down
    expect(bits(1 + (3 * ulp) / 2)).toBe(0x3c02); // between 0x3c01 and 0x3c02 (even): up
    expect(bits(1 + ulp / 2 + 2 ** -20)).toBe(0x3c01); // just above halfway: up
    expect(bits(1 + ulp / 2 - 2 ** -20)).toBe(0x3c00); // just below halfway: down
    expect(bits(-(1 + (3 * ulp) / 2))).toBe(0xbc02);
  });

  it('round halfway cases among subnormals to even, and underflow below half the smallest subnormal to zero', () => {
    expect(bits(2 ** -25)).toBe(0x0000); // halfway between 0 (even) and 2^-24
    expect(bits(3 * 2 ** -25)).toBe(0x0002); // halfway between 0x0001 and 0x0002 (even)
    expect(bits(5 * 2 ** -25)).toBe(0x0002); // halfway between 0x0002 (even) and 0x0003
    expect(bits(1.5 * 2 ** -25)).toBe(0x0001); // above halfway
    expect(bits(2 ** -26)).toBe(0x0000);
    expect(bits(-(2 ** -30))).toBe(0x8000);
    expect(bits(2 ** -15)).toBe(0x0200); // float32 normal that is a half subnormal
    // Halfway between the largest subnormal (odd) and the smallest normal: rounds up into the normals.
    expect(bits(2 ** -14 - 2 ** -25)).toBe(0x0400);
  });

  it('round-trip every tensor within half an ulp of half precision', () => {
    const values = spread(4000, 7);
    const { specs, data } = encodeWeights(new Map([['w', { shape: [40, 100], values }]]), 'float16');

    expect(specs).toEqual([{ name: 'w', shape: [40, 100], dtype: 'float32', quantization: { dtype: 'float16' } }]);
    expect(data.byteLength).toBe(8000);
    const back = decodeWeights(specs, data).get('w')!.values;
    let checked = 0;
    values.forEach((x, i) => {
      const a = Math.abs(x);
      if (a > 65504) return expect(back[i]).toBe(x > 0 ? Infinity : -Infinity);
      // Half an ulp: 2^(e-11) for normals (e = exponent of x), 2^-25 for subnormals.
      const bound = a >= 2 ** -14 ? 2 ** (Math.floor(Math.log2(a)) - 11) : 2 ** -25;
      expect(Math.abs(back[i]! - x)).toBeLessThanOrEqual(bound);
      checked++;
    });
    expect(checked).toBeGreaterThan(3000);
  });
});

describe('uint8 per-row affine weights', () => {
  const rows = 6;
  const cols = 33;
  function table(): Float32Array {
    const values = spread(rows * cols, 3);
    for (let c = 0; c < cols; c++) {
      values[c] = 0.3712; // row 0: constant
      values[cols + c] = ((c % 7) - 3) * 1e-4; // row 1: tiny norm
      values[2 * cols + c] = ((c * 37) % 101) - 50; // row 2: large range
    }
    return values;
  }

  it('quantize only the item table row-wise and store the other tensors as float16', () => {
    const weights: NamedWeights = new Map([
      ['item_emb', { shape: [rows, cols], values: table() }],
      ['pos_emb', { shape: [2, 3], values: Float32Array.of(1, 2, 3, 4, 5, 6) }],
    ]);
    const { specs, data } = encodeWeights(weights, 'uint8');

    expect(specs).toEqual([
      { name: 'item_emb', shape: [rows, cols], dtype: 'float32', quantization: { dtype: 'uint8', scheme: 'per-row-affine' } },
      { name: 'pos_emb', shape: [2, 3], dtype: 'float32', quantization: { dtype: 'float16' } },
    ]);
    expect(specBytes(specs[0]!)).toBe(rows * cols + 8 * rows);
    expect(data.byteLength).toBe(rows * cols + 8 * rows + 6 * 2);
    expect(decodeWeights(specs, data).get('pos_emb')!.values).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6));
  });

  it('decode every entry within half its own row\'s step, so small rows keep their precision', () => {
    const values = table();
    const { specs, data } = encodeWeights(new Map([['item_emb', { shape: [rows, cols], values }]]), 'uint8');
    const back = decodeWeights(specs, data).get('item_emb')!;

    expect(back.shape).toEqual([rows, cols]);
    for (let r = 0; r < rows; r++) {
      const row = values.subarray(r * cols, (r + 1) * cols);
      const scale = (Math.max(...row) - Math.min(...row)) / 255;
      let worst = 0;
      for (let c = 0; c < cols; c++) worst = Math.max(worst, Math.abs(back.values[r * cols + c]! - row[c]!));
      // float32 arithmetic in the decoder adds a rounding error far below the step.
      expect(worst, `row ${r}`).toBeLessThanOrEqual(scale / 2 + Math.max(...row.map(Math.abs)) * 2 ** -22);
    }
    // The tiny row's error is bounded by its own range, not by the large row's.
    let tiny = 0;
    for (let c = 0; c < cols; c++) tiny = Math.max(tiny, Math.abs(back.values[cols + c]! - values[cols + c]!));
    expect(tiny).toBeLessThan(1.5e-6); // one global scale would allow 0.2 here
  });

  it('decode a constant row exactly', () => {
    const values = table();
    const { specs, data } = encodeWeights(new Map([['item_emb', { shape: [rows, cols], values }]]), 'uint8');
    const back = decodeWeights(specs, data).get('item_emb')!.values;

    expect(back.subarray(0, cols)).toEqual(new Float32Array(cols).fill(0.3712));
  });

  it('decode the row minimum and maximum exactly', () => {
    const values = table();
    const { specs, data } = encodeWeights(new Map([['item_emb', { shape: [rows, cols], values }]]), 'uint8');
    const back = decodeWeights(specs, data).get('item_emb')!.values;
    const row = values.subarray(2 * cols, 3 * cols);
    const decoded = back.subarray(2 * cols, 3 * cols);

    expect(Math.min(...decoded)).toBe(Math.min(...row));
    expect(Math.max(...decoded)).toBeCloseTo(Math.max(...row), 4);
  });
});

describe('decodeWeights', () => {
  const weights: NamedWeights = new Map([
    ['item_emb', { shape: [4, 3], values: spread(12, 5) }],
    ['pos_emb', { shape: [2, 3], values: spread(6, 6) }],
  ]);

  it.each(['float32', 'float16', 'uint8'] as const)('refuses a %s stream one byte short or one byte long with an integrity error', (q) => {
    const { specs, data } = encodeWeights(weights, q);
    for (const wrong of [data.slice(0, -1), Uint8Array.of(...data, 0), new Uint8Array(0)]) {
      const err = contractError(() => decodeWeights(specs, wrong));
      expect(err.code).toBe('integrity');
      expect(err.message).toContain(`${wrong.byteLength} bytes`);
    }
  });
});
