import { ContractError } from '../errors.ts';
import { normal, rng } from '../random.ts';
import { paramShapes, type ModelConfig } from './config.ts';

/** A named float tensor held in plain memory: what artifacts, imports and updates exchange. */
export interface HostTensor {
  shape: number[];
  values: Float32Array;
}
export type NamedWeights = Map<string, HostTensor>;

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Fresh weights for `config`, identical for a given seed on every platform. Embeddings and projections
 * are N(0, 0.02) as in BERT-style transformers (SASRec's PyTorch port uses Xavier; either trains);
 * layer-norm gains start at 1.
 */
export function initWeights(config: ModelConfig, seed: number): NamedWeights {
  const gauss = normal(rng(seed));
  const weights: NamedWeights = new Map();
  for (const [name, shape] of paramShapes(config)) {
    const values = new Float32Array(size(shape));
    if (name.endsWith('.gamma')) values.fill(1);
    else if (shape.length === 2) for (let i = 0; i < values.length; i++) values[i] = gauss() * 0.02;
    if (name === 'item_emb' || name === 'feat_emb') values.fill(0, 0, config.dim); // padding row
    weights.set(name, { shape, values });
  }
  return weights;
}

/** Checks that `weights` hold exactly the parameters `config` needs, with the right shapes and finite values. */
export function checkWeights(config: ModelConfig, weights: NamedWeights, where = 'weights'): void {
  const expected = paramShapes(config);
  for (const [name, shape] of expected) {
    const w = weights.get(name);
    if (!w) throw new ContractError('bad_weights', `${where}: missing tensor "${name}"`);
    if (w.shape.join('x') !== shape.join('x') || w.values.length !== size(shape)) {
      throw new ContractError('bad_weights', `${where}: tensor "${name}" has shape [${w.shape}], expected [${shape}]`);
    }
    for (let i = 0; i < w.values.length; i++) {
      if (!Number.isFinite(w.values[i]!)) throw new ContractError('bad_weights', `${where}: tensor "${name}" holds a non-finite value`);
    }
  }
  if (weights.size !== expected.length) {
    const known = new Set(expected.map(([n]) => n));
    const extra = [...weights.keys()].filter((n) => !known.has(n));
    throw new ContractError('bad_weights', `${where}: unexpected tensors ${extra.map((n) => `"${n}"`).join(', ')}`);
  }
}
