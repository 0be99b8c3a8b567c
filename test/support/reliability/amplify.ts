/** A crafted update frame for the decode-amplification checks (`security.test.ts`, `bench/reliability.ts`). */
import { paramShapes, type ModelConfig } from '../../../core/model/config.ts';

/** An update frame that declares the largest shape `parseModelConfig` allows, with one value per dense tensor. */
export function amplifyingUpdate(baseVersion = 'v1'): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x45, 0x52, 0x55, 1, 2];
  const varint = (n: number): void => {
    do {
      let b = n & 0x7f;
      n = Math.floor(n / 128);
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
  };
  const str = (s: string): void => {
    varint(s.length);
    for (const c of s) out.push(c.charCodeAt(0));
  };
  str('default');
  str(baseVersion);
  for (let i = 0; i < 16; i++) out.push(i);
  const config: ModelConfig = { numItems: 5, dim: 1024, blocks: 16, heads: 1, maxLen: 1024 };
  for (const v of [config.numItems, config.dim, config.blocks, config.heads, config.maxLen]) varint(v);
  const shapes = paramShapes(config);
  varint(shapes.length - 1);
  for (let p = 1; p < shapes.length; p++) {
    varint(p);
    out.push(1); // sparse
    varint(1); // one value
    varint(0); // at index 0
    out.push(0, 0, 0, 0); // float32 0
  }
  varint(0);
  return Uint8Array.from(out);
}

