import { ContractError } from '../errors.ts';
import { type Bytes, concatBytes } from './bytes.ts';
import { size, type NamedWeights } from '../model/weights.ts';

/**
 * How weights are stored. `float16` halves every tensor; `uint8` stores the item table and the content
 * feature table with per-row affine quantization (each row its own scale and minimum, so rare items with
 * small norms keep their precision) and everything else as float16.
 */
export const QUANTIZATIONS = ['float32', 'float16', 'uint8'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

/**
 * One entry of a tfjs weights manifest (https://www.tensorflow.org/js/guide/save_load). tfjs' own
 * `quantization` covers per-tensor uint8/uint16/float16; `scheme: "per-row-affine"` is our extension: the
 * entry's bytes are rows*cols uint8 codes, then `rows` float32 scales, then `rows` float32 minimums.
 */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: { dtype: 'float16' } | { dtype: 'uint8'; scheme: 'per-row-affine' };
}

/**
 * Tensors quantized row-wise under `uint8`: the item table dominates the artifact's size, and the feature
 * table (`feat_emb`) is one of the same kind (an item's vector adds its rows), so it is stored the same way.
 */
const ROW_QUANTIZED = new Set(['item_emb', 'feat_emb']);

export function specBytes(spec: WeightSpec): number {
  const n = size(spec.shape);
  if (!spec.quantization) return n * 4;
  if (spec.quantization.dtype === 'float16') return n * 2;
  return n + 8 * (spec.shape[0] ?? 1);
}

/** Serialises weights into one byte stream and the specs that describe it, in the given order. */
export function encodeWeights(weights: NamedWeights, quantization: Quantization): { specs: WeightSpec[]; data: Bytes } {
  const specs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  for (const [name, w] of weights) {
    const spec: WeightSpec = { name, shape: [...w.shape], dtype: 'float32' };
    if (quantization === 'uint8' && ROW_QUANTIZED.has(name) && w.shape.length === 2) {
      spec.quantization = { dtype: 'uint8', scheme: 'per-row-affine' };
      parts.push(quantizeRows(w.values, w.shape[0]!, w.shape[1]!));
    } else if (quantization !== 'float32') {
      spec.quantization = { dtype: 'float16' };
      parts.push(new Uint8Array(toFloat16(w.values).buffer));
    } else {
      parts.push(new Uint8Array(w.values.buffer.slice(w.values.byteOffset, w.values.byteOffset + w.values.byteLength)));
    }
    specs.push(spec);
  }
  return { specs, data: concatBytes(parts) };
}

/** Inverse of `encodeWeights`; the stream must hold exactly the bytes the specs describe. */
export function decodeWeights(specs: readonly WeightSpec[], data: Uint8Array): NamedWeights {
  const expected = specs.reduce((n, s) => n + specBytes(s), 0);
  if (expected !== data.byteLength) {
    throw new ContractError('integrity', `weights hold ${data.byteLength} bytes, the manifest describes ${expected}`);
  }
  const out: NamedWeights = new Map();
  let offset = 0;
  for (const spec of specs) {
    const bytes = specBytes(spec);
    // Copy so every typed array is aligned whatever the offset.
    const chunk = data.slice(offset, offset + bytes);
    offset += bytes;
    let values: Float32Array;
    if (!spec.quantization) values = new Float32Array(chunk.buffer);
    else if (spec.quantization.dtype === 'float16') values = fromFloat16(new Uint16Array(chunk.buffer));
    else values = dequantizeRows(chunk, spec.shape[0]!, spec.shape[1]!);
    out.set(spec.name, { shape: [...spec.shape], values });
  }
  return out;
}

function quantizeRows(values: Float32Array, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array(rows * cols + 8 * rows);
  const scales = new Float32Array(rows);
  const mins = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const scale = hi > lo ? (hi - lo) / 255 : 1;
    scales[r] = scale;
    mins[r] = lo;
    for (let c = 0; c < cols; c++) out[r * cols + c] = Math.round((values[r * cols + c]! - lo) / scale);
  }
  out.set(new Uint8Array(scales.buffer), rows * cols);
  out.set(new Uint8Array(mins.buffer), rows * cols + 4 * rows);
  return out;
}

function dequantizeRows(bytes: Uint8Array, rows: number, cols: number): Float32Array {
  const scales = new Float32Array(bytes.buffer.slice(rows * cols, rows * cols + 4 * rows));
  const mins = new Float32Array(bytes.buffer.slice(rows * cols + 4 * rows));
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const s = scales[r]!;
    const m = mins[r]!;
    for (let c = 0; c < cols; c++) out[r * cols + c] = bytes[r * cols + c]! * s + m;
  }
  return out;
}

// IEEE 754 half precision, round-to-nearest-even.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i]!;
    const x = u32[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && half & 1)) half++;
      out[i] = sign | half;
      continue;
    }
    let half = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
    out[i] = sign | half;
  }
  return out;
}

export function fromFloat16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) out[i] = sign * mant * 2 ** -24;
    else if (exp === 0x1f) out[i] = mant ? NaN : sign * Infinity;
    else out[i] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return out;
}
