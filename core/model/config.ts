import { ContractError, isRecord, show } from '../errors.ts';

/**
 * Shape of a SASRec-class model (Kang & McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018).
 * Item indices run 1..numItems; index 0 is padding.
 */
export interface ModelConfig {
  /** Number of real items (rows of the item table, less the padding row). */
  numItems: number;
  /** Embedding and hidden width. Default 64: the size published SASRec results use. */
  dim: number;
  /** Self-attention blocks. Default 2. */
  blocks: number;
  /** Attention heads; must divide `dim`. Default 1. */
  heads: number;
  /** Longest history the model reads; older events are dropped. Default 50. */
  maxLen: number;
  /**
   * Content features the model embeds (`feat_emb` rows, less the padding row; `features.ts`): an item's
   * vector is its id embedding plus the mean of its features'. Absent or 0: ids only.
   */
  numFeatures?: number;
}

export const MODEL_DEFAULTS: Omit<ModelConfig, 'numItems'> = { dim: 64, blocks: 2, heads: 1, maxLen: 50 };

const LIMITS: Record<Exclude<keyof ModelConfig, 'numFeatures'>, [number, number]> = {
  numItems: [1, 5_000_000],
  dim: [2, 1024],
  blocks: [0, 16],
  heads: [1, 64],
  maxLen: [1, 1024],
};

/** Validates a model config from any source (manifest, CLI flags, imported JSON). */
export function parseModelConfig(raw: unknown): ModelConfig {
  if (!isRecord(raw)) throw new ContractError('bad_config', `model config must be an object (got ${show(raw)})`);
  const out = {} as ModelConfig;
  for (const [key, [lo, hi]] of Object.entries(LIMITS) as [Exclude<keyof ModelConfig, 'numFeatures'>, [number, number]][]) {
    const v = raw[key];
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) {
      throw new ContractError('bad_config', `model config "${key}" must be an integer in ${lo}..${hi} (got ${show(v)})`);
    }
    out[key] = v as number;
  }
  if (raw.numFeatures !== undefined && raw.numFeatures !== 0) {
    const f = raw.numFeatures;
    if (!Number.isInteger(f) || (f as number) < 0 || (f as number) > 1_000_000) {
      throw new ContractError('bad_config', `model config "numFeatures" must be an integer in 0..1000000 (got ${show(f)})`);
    }
    out.numFeatures = f as number;
  }
  if (out.dim % out.heads !== 0) {
    throw new ContractError('bad_config', `model config "heads" (${out.heads}) must divide "dim" (${out.dim})`);
  }
  return out;
}

/** Names and shapes of every parameter, in the order they are stored in an artifact. */
export function paramShapes(config: ModelConfig): Array<[string, number[]]> {
  const { numItems, dim, blocks, maxLen } = config;
  const shapes: Array<[string, number[]]> = [
    ['item_emb', [numItems + 1, dim]],
    ['pos_emb', [maxLen, dim]],
  ];
  for (let b = 0; b < blocks; b++) {
    const p = `blocks.${b}`;
    shapes.push(
      [`${p}.attn_ln.gamma`, [dim]],
      [`${p}.attn_ln.beta`, [dim]],
      [`${p}.attn.wq`, [dim, dim]],
      [`${p}.attn.bq`, [dim]],
      [`${p}.attn.wk`, [dim, dim]],
      [`${p}.attn.bk`, [dim]],
      [`${p}.attn.wv`, [dim, dim]],
      [`${p}.attn.bv`, [dim]],
      [`${p}.attn.wo`, [dim, dim]],
      [`${p}.attn.bo`, [dim]],
      [`${p}.ffn_ln.gamma`, [dim]],
      [`${p}.ffn_ln.beta`, [dim]],
      [`${p}.ffn.w1`, [dim, dim]],
      [`${p}.ffn.b1`, [dim]],
      [`${p}.ffn.w2`, [dim, dim]],
      [`${p}.ffn.b2`, [dim]],
    );
  }
  shapes.push(['final_ln.gamma', [dim]], ['final_ln.beta', [dim]]);
  // Last, so an id-only model's tensors keep their order and names.
  if ((config.numFeatures ?? 0) > 0) shapes.push(['feat_emb', [config.numFeatures! + 1, dim]]);
  return shapes;
}
