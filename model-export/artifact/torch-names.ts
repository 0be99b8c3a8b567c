import { ContractError } from '../../core/errors.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { size, type HostTensor, type NamedWeights } from '../../core/model/weights.ts';

/**
 * Tensor-name mapping from the PyTorch SASRec most published results use (pmixer/SASRec.pytorch, the
 * model class `SASRec`) to ours. PyTorch `Linear`/`Conv1d(k=1)` weights are [out, in]; ours multiply
 * `x @ W` with W [in, out], so they are transposed. `in_proj_weight` stacks Q, K, V.
 *
 * | PyTorch                                   | EdgeRecs                            |
 * |-------------------------------------------|-------------------------------------|
 * | item_emb.weight [n+1, d]                   | item_emb                            |
 * | pos_emb.weight [L, d] or [L+1, d]          | pos_emb (row 0 dropped when L+1)    |
 * | attention_layernorms.i.weight / .bias      | blocks.i.attn_ln.gamma / .beta      |
 * | attention_layers.i.in_proj_weight [3d, d]  | blocks.i.attn.wq / wk / wv (T)      |
 * | attention_layers.i.in_proj_bias [3d]       | blocks.i.attn.bq / bk / bv          |
 * | attention_layers.i.out_proj.weight / .bias | blocks.i.attn.wo (T) / bo           |
 * | forward_layernorms.i.weight / .bias        | blocks.i.ffn_ln.gamma / .beta       |
 * | forward_layers.i.conv1.weight [d, d, 1]    | blocks.i.ffn.w1 (T), conv1.bias b1  |
 * | forward_layers.i.conv2.weight [d, d, 1]    | blocks.i.ffn.w2 (T), conv2.bias b2  |
 * | last_layernorm.weight / .bias              | final_ln.gamma / .beta              |
 */
export function fromTorchSasRec(tensors: ReadonlyMap<string, HostTensor>, config: ModelConfig, file: string): NamedWeights {
  const { dim: d, maxLen, blocks } = config;
  const get = (name: string): HostTensor => {
    const t = tensors.get(name);
    if (!t) throw new ContractError('bad_safetensors', `${file}: missing tensor "${name}" (see the mapping in model-export/artifact/torch-names.ts)`);
    return t;
  };
  const transpose = (t: HostTensor, rows: number, cols: number): HostTensor => {
    // t is [rows, cols] (trailing 1s of a Conv1d kernel ignored); returns [cols, rows].
    if (size(t.shape) !== rows * cols) throw new ContractError('bad_safetensors', `${file}: tensor of shape [${t.shape}] is not ${rows}x${cols}`);
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.values[r * cols + c]!;
    return { shape: [cols, rows], values: out };
  };
  const slice = (t: HostTensor, from: number, count: number, rowLength: number, shape: number[]): HostTensor => ({
    shape,
    values: t.values.slice(from * rowLength, (from + count) * rowLength),
  });
  const out: NamedWeights = new Map();
  out.set('item_emb', get('item_emb.weight'));
  const pos = get('pos_emb.weight');
  const posRows = pos.shape[0];
  if (posRows !== maxLen && posRows !== maxLen + 1) {
    throw new ContractError('bad_safetensors', `${file}: pos_emb.weight has ${posRows} rows; config.maxLen ${maxLen} needs ${maxLen} or ${maxLen + 1}`);
  }
  out.set('pos_emb', posRows === maxLen ? pos : slice(pos, 1, maxLen, d, [maxLen, d]));
  for (let i = 0; i < blocks; i++) {
    const p = `blocks.${i}`;
    out.set(`${p}.attn_ln.gamma`, get(`attention_layernorms.${i}.weight`));
    out.set(`${p}.attn_ln.beta`, get(`attention_layernorms.${i}.bias`));
    const inW = get(`attention_layers.${i}.in_proj_weight`);
    const inB = get(`attention_layers.${i}.in_proj_bias`);
    ['q', 'k', 'v'].forEach((x, j) => {
      out.set(`${p}.attn.w${x}`, transpose(slice(inW, j * d, d, d, [d, d]), d, d));
      out.set(`${p}.attn.b${x}`, slice(inB, j * d, d, 1, [d]));
    });
    out.set(`${p}.attn.wo`, transpose(get(`attention_layers.${i}.out_proj.weight`), d, d));
    out.set(`${p}.attn.bo`, get(`attention_layers.${i}.out_proj.bias`));
    out.set(`${p}.ffn_ln.gamma`, get(`forward_layernorms.${i}.weight`));
    out.set(`${p}.ffn_ln.beta`, get(`forward_layernorms.${i}.bias`));
    out.set(`${p}.ffn.w1`, transpose(get(`forward_layers.${i}.conv1.weight`), d, d));
    out.set(`${p}.ffn.b1`, get(`forward_layers.${i}.conv1.bias`));
    out.set(`${p}.ffn.w2`, transpose(get(`forward_layers.${i}.conv2.weight`), d, d));
    out.set(`${p}.ffn.b2`, get(`forward_layers.${i}.conv2.bias`));
  }
  out.set('final_ln.gamma', get('last_layernorm.weight'));
  out.set('final_ln.beta', get('last_layernorm.bias'));
  // Biases and norms come as [d]; the item table's shape is checked against config by checkWeights.
  for (const [name, t] of out) if (t.shape.length === 1 && t.shape[0] !== d) throw new ContractError('bad_safetensors', `${file}: "${name}" has ${t.shape[0]} values, expected ${d}`);
  return out;
}

/** The inverse mapping: our weights under PyTorch SASRec names (pos_emb in the [L+1, d] layout). */
export function toTorchSasRec(weights: NamedWeights, config: ModelConfig): Map<string, HostTensor> {
  const { dim: d, maxLen, blocks } = config;
  const w = (name: string): HostTensor => weights.get(name)!;
  const t = (x: HostTensor): HostTensor => {
    const [rows, cols] = x.shape as [number, number];
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x.values[r * cols + c]!;
    return { shape: [cols, rows], values: out };
  };
  const conv = (x: HostTensor): HostTensor => ({ shape: [d, d, 1], values: t(x).values });
  const out = new Map<string, HostTensor>();
  out.set('item_emb.weight', w('item_emb'));
  const pos = new Float32Array((maxLen + 1) * d);
  pos.set(w('pos_emb').values, d);
  out.set('pos_emb.weight', { shape: [maxLen + 1, d], values: pos });
  for (let i = 0; i < blocks; i++) {
    const p = `blocks.${i}`;
    out.set(`attention_layernorms.${i}.weight`, w(`${p}.attn_ln.gamma`));
    out.set(`attention_layernorms.${i}.bias`, w(`${p}.attn_ln.beta`));
    const inW = new Float32Array(3 * d * d);
    const inB = new Float32Array(3 * d);
    ['q', 'k', 'v'].forEach((x, j) => {
      inW.set(t(w(`${p}.attn.w${x}`)).values, j * d * d);
      inB.set(w(`${p}.attn.b${x}`).values, j * d);
    });
    out.set(`attention_layers.${i}.in_proj_weight`, { shape: [3 * d, d], values: inW });
    out.set(`attention_layers.${i}.in_proj_bias`, { shape: [3 * d], values: inB });
    out.set(`attention_layers.${i}.out_proj.weight`, t(w(`${p}.attn.wo`)));
    out.set(`attention_layers.${i}.out_proj.bias`, w(`${p}.attn.bo`));
    out.set(`forward_layernorms.${i}.weight`, w(`${p}.ffn_ln.gamma`));
    out.set(`forward_layernorms.${i}.bias`, w(`${p}.ffn_ln.beta`));
    out.set(`forward_layers.${i}.conv1.weight`, conv(w(`${p}.ffn.w1`)));
    out.set(`forward_layers.${i}.conv1.bias`, w(`${p}.ffn.b1`));
    out.set(`forward_layers.${i}.conv2.weight`, conv(w(`${p}.ffn.w2`)));
    out.set(`forward_layers.${i}.conv2.bias`, w(`${p}.ffn.b2`));
  }
  out.set('last_layernorm.weight', w('final_ln.gamma'));
  out.set('last_layernorm.bias', w('final_ln.beta'));
  return out;
}
