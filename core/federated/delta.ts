/**
 * Arithmetic on `WeightDelta`s: norms, clipping, applying to weights, the difference of two weight sets
 * and composing deltas. Shared by the widget (clip before upload, apply a downloaded delta), the edge
 * server (aggregation, version deltas) and the CLI (`simulate`).
 */
import { ContractError } from '../errors.ts';
import { paramShapes, type ModelConfig } from '../model/config.ts';
import { size, type NamedWeights } from '../model/weights.ts';
import type { RowDelta, WeightDelta } from './codec.ts';

export const emptyRows = (): RowDelta => ({ indices: new Uint32Array(0), values: new Float32Array(0) });

/** The L2 norm of a delta taken as one flat vector (dense tensors and item rows together). */
export function deltaNorm(delta: WeightDelta): number {
  let sum = 0;
  for (const values of delta.dense.values()) for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  const rows = delta.rows.values;
  for (let i = 0; i < rows.length; i++) sum += rows[i]! * rows[i]!;
  return Math.sqrt(sum);
}

/** A copy of `delta` with every value multiplied by `factor`. */
function scaleDelta(delta: WeightDelta, factor: number): WeightDelta {
  const dense = new Map<string, Float32Array>();
  for (const [name, values] of delta.dense) dense.set(name, values.map((v) => v * factor));
  return { dense, rows: { indices: delta.rows.indices.slice(), values: delta.rows.values.map((v) => v * factor) } };
}

/**
 * Scales `delta` down so its L2 norm is at most `maxNorm` (unchanged if already within): the clipping
 * step of DP-FedAvg (McMahan et al., "Learning Differentially Private Recurrent Language Models",
 * ICLR 2018), which bounds what any one client can move the model.
 */
export function clipDelta(delta: WeightDelta, maxNorm: number): { delta: WeightDelta; norm: number; clipped: boolean } {
  if (!(maxNorm > 0)) throw new RangeError(`clipDelta: maxNorm must be positive (got ${maxNorm})`);
  const norm = deltaNorm(delta);
  if (norm <= maxNorm) return { delta, norm, clipped: false };
  return { delta: scaleDelta(delta, maxNorm / norm), norm, clipped: true };
}

/** Clips each item row to L2 norm `maxNorm` on its own (in place), so no client can throw its whole budget at one item. */
export function clipRowsInPlace(rows: RowDelta, dim: number, maxNorm: number): number {
  let clipped = 0;
  for (let r = 0; r < rows.indices.length; r++) {
    const row = rows.values.subarray(r * dim, (r + 1) * dim);
    let sum = 0;
    for (let c = 0; c < dim; c++) sum += row[c]! * row[c]!;
    const norm = Math.sqrt(sum);
    if (norm > maxNorm) {
      const f = maxNorm / norm;
      for (let c = 0; c < dim; c++) row[c] = row[c]! * f;
      clipped++;
    }
  }
  return clipped;
}

/**
 * A copy of a row-structured dense tensor (`feat_emb` in an update: rows of `dim`, row 0 padding) with at
 * most `maxRows` non-zero rows, the largest by L2 norm, each clipped to `maxNorm`, and how many it kept: what `clipRowsInPlace`
 * and the per-client row limit do for item rows, for the feature table's rows.
 */
export function limitDenseRows(values: Float32Array, dim: number, maxRows: number, maxNorm: number): { values: Float32Array; rows: number } {
  const norms: Array<{ row: number; norm: number }> = [];
  for (let row = 0; (row + 1) * dim <= values.length; row++) {
    let sum = 0;
    for (let c = row * dim; c < (row + 1) * dim; c++) sum += values[c]! * values[c]!;
    if (sum > 0) norms.push({ row, norm: Math.sqrt(sum) });
  }
  const out = new Float32Array(values.length);
  const kept = norms.sort((a, b) => b.norm - a.norm || a.row - b.row).slice(0, maxRows);
  for (const { row, norm } of kept) {
    const f = norm > maxNorm ? maxNorm / norm : 1;
    for (let c = row * dim; c < (row + 1) * dim; c++) out[c] = values[c]! * f;
  }
  return { values: out, rows: kept.length };
}

/**
 * New weights: `weights + scale * delta`. `weights` is not modified; tensors the delta does not touch
 * are shared with it, not copied.
 * @throws ContractError `bad_update` when the delta names a tensor or row the weights lack, or sizes differ.
 */
export function applyDelta(weights: NamedWeights, delta: WeightDelta, scale = 1): NamedWeights {
  const out: NamedWeights = new Map(weights);
  for (const [name, values] of delta.dense) {
    const w = weights.get(name);
    if (!w || w.values.length !== values.length) {
      throw new ContractError('bad_update', `delta: tensor "${name}" (${values.length} values) does not fit the weights`);
    }
    const next = w.values.slice();
    for (let i = 0; i < next.length; i++) next[i] = next[i]! + scale * values[i]!;
    out.set(name, { shape: [...w.shape], values: next });
  }
  if (delta.rows.indices.length > 0) {
    const table = weights.get('item_emb');
    if (!table || table.shape.length !== 2) throw new ContractError('bad_update', 'delta: the weights have no item_emb table');
    const [rows, dim] = table.shape as [number, number];
    if (delta.rows.values.length !== delta.rows.indices.length * dim) {
      throw new ContractError('bad_update', `delta: rows of ${delta.rows.values.length / Math.max(1, delta.rows.indices.length)} values, the table has ${dim} columns`);
    }
    const next = table.values.slice();
    delta.rows.indices.forEach((r, i) => {
      if (r < 1 || r >= rows) throw new ContractError('bad_update', `delta: row ${r} is outside the item table (1..${rows - 1})`);
      for (let c = 0; c < dim; c++) next[r * dim + c] = next[r * dim + c]! + scale * delta.rows.values[i * dim + c]!;
    });
    out.set('item_emb', { shape: [...table.shape], values: next });
  }
  return out;
}

/**
 * `to - from` as a delta: every dense tensor, and the item rows in `rows` (ascending indices), or every
 * row that differs when `rows` is `'changed'`.
 */
export function diffWeights(config: ModelConfig, from: NamedWeights, to: NamedWeights, rows: Uint32Array | 'changed'): WeightDelta {
  const dense = new Map<string, Float32Array>();
  for (const [name, shape] of paramShapes(config)) {
    if (name === 'item_emb') continue;
    const a = from.get(name)?.values;
    const b = to.get(name)?.values;
    if (!a || !b || a.length !== size(shape) || b.length !== a.length) throw new ContractError('bad_weights', `diffWeights: tensor "${name}" is missing or misshapen`);
    const d = new Float32Array(a.length);
    let any = false;
    for (let i = 0; i < d.length; i++) {
      d[i] = b[i]! - a[i]!;
      if (d[i] !== 0) any = true;
    }
    if (any) dense.set(name, d);
  }
  const a = from.get('item_emb')!.values;
  const b = to.get('item_emb')!.values;
  const dim = config.dim;
  let indices: Uint32Array;
  if (rows === 'changed') {
    const changed: number[] = [];
    for (let r = 1; r <= config.numItems; r++) {
      for (let c = 0; c < dim; c++) {
        if (a[r * dim + c] !== b[r * dim + c]) {
          changed.push(r);
          break;
        }
      }
    }
    indices = Uint32Array.from(changed);
  } else indices = rows;
  const values = new Float32Array(indices.length * dim);
  indices.forEach((r, i) => {
    for (let c = 0; c < dim; c++) values[i * dim + c] = b[r * dim + c]! - a[r * dim + c]!;
  });
  return { dense, rows: { indices, values } };
}

/** `a + b`: dense tensors summed, row sets merged (rows in both are summed). */
export function composeDeltas(dim: number, a: WeightDelta, b: WeightDelta): WeightDelta {
  const dense = new Map<string, Float32Array>();
  for (const [name, values] of a.dense) dense.set(name, values.slice());
  for (const [name, values] of b.dense) {
    const sum = dense.get(name);
    if (!sum) dense.set(name, values.slice());
    else {
      if (sum.length !== values.length) throw new ContractError('bad_update', `compose: tensor "${name}" sizes differ`);
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + values[i]!;
    }
  }
  const rows = new Map<number, Float32Array>();
  for (const d of [a, b]) {
    d.rows.indices.forEach((r, i) => {
      const v = d.rows.values.subarray(i * dim, (i + 1) * dim);
      const acc = rows.get(r);
      if (!acc) rows.set(r, v.slice());
      else for (let c = 0; c < dim; c++) acc[c] = acc[c]! + v[c]!;
    });
  }
  const indices = Uint32Array.from([...rows.keys()].sort((x, y) => x - y));
  const values = new Float32Array(indices.length * dim);
  indices.forEach((r, i) => values.set(rows.get(r)!, i * dim));
  return { dense, rows: { indices, values } };
}
