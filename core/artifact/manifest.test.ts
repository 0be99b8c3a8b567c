import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ContractError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { initWeights } from '../model/weights.ts';
import { buildArtifact } from './artifact.ts';
import { MANIFEST_FORMAT, parseManifest, type Manifest } from './manifest.ts';
import { generateKeyFile } from './signing.ts';
import { thrownContractError } from '../../test/support/contract-error.ts';

const config: ModelConfig = { numItems: 5, dim: 4, blocks: 1, heads: 2, maxLen: 3 };

let built: Manifest;
let signed: Manifest;

beforeAll(async () => {
  const input = {
    name: 'default',
    version: 'v1',
    config,
    itemIds: ['a', 'b', 'c', 'd', 'e'],
    weights: initWeights(config, 1),
    quantization: 'uint8' as const,
    training: { seed: 1, note: 'test' },
    createdAt: '2026-01-02T03:04:05.000Z',
  };
  built = (await buildArtifact(input)).manifest;
  signed = (await buildArtifact(input, await generateKeyFile())).manifest;
});

/** A JSON copy of the built manifest, changed by `edit`. */
function edited(edit: (m: Record<string, any>) => void): unknown {
  const raw = JSON.parse(JSON.stringify(built)) as Record<string, any>;
  edit(raw);
  return raw;
}

const refusal = (raw: unknown): ContractError => thrownContractError(() => parseManifest(raw), 'bad_manifest');

describe('parseManifest', () => {
  it('accepts a manifest built by buildArtifact and returns it unchanged', () => {
    const parsed = parseManifest(JSON.parse(JSON.stringify(built)));

    expectTypeOf(parsed).toEqualTypeOf<Manifest>();
    expect(parsed).toEqual(built);
    expect(parsed.format).toBe(MANIFEST_FORMAT);
    expect(parsed.training).toEqual({ seed: 1, note: 'test' });
  });

  it('keeps the signature of a signed manifest', () => {
    const parsed = parseManifest(JSON.parse(JSON.stringify(signed)));

    expect(parsed.signature).toEqual(signed.signature);
    expect(parsed.signature?.alg).toBe('Ed25519');
  });

  it.each(['../x.bin', 'a/b.bin', '..', '.', '/etc/passwd', 'a\\b.bin', '', 'x'.repeat(129)])(
    'refuses the shard path %j, naming the field',
    (path) => {
      const err = refusal(edited((m) => (m.shards[0].path = path)));
      expect(err.message).toContain('shards[0].path');
    },
  );

  it.each(['../x.bin', 'a/b.bin', '..'])('refuses the weightsManifest path %j, naming the field', (path) => {
    const err = refusal(
      edited((m) => {
        m.weightsManifest[0].paths[0] = path;
        m.shards[0].path = path;
      }),
    );
    expect(err.message).toContain('weightsManifest[0].paths[0]');
  });

  it.each(['../items.json', 'data/items.json', '..'])('refuses the items path %j, naming the field', (path) => {
    const err = refusal(edited((m) => (m.items.path = path)));
    expect(err.message).toContain('items.path');
  });

  it.each([
    ['uppercase', (s: string) => s.toUpperCase()],
    ['short', (s: string) => s.slice(1)],
    ['long', (s: string) => `${s}0`],
    ['non-hex', (s: string) => `g${s.slice(1)}`],
  ])('refuses a %s sha256, naming the field', (_kind, change) => {
    expect(refusal(edited((m) => (m.shards[0].sha256 = change(m.shards[0].sha256)))).message).toContain('shards[0].sha256');
    expect(refusal(edited((m) => (m.items.sha256 = change(m.items.sha256)))).message).toContain('items.sha256');
  });

  it.each([-1, 1.5, '12', null])('refuses a byte count of %j, naming the field', (bytes) => {
    expect(refusal(edited((m) => (m.shards[0].bytes = bytes))).message).toContain('shards[0].bytes');
  });

  it.each(['edge-recs-model/2', 'tfjs-layers-model', undefined])('refuses the format %j, naming the expected one', (format) => {
    const err = refusal(edited((m) => (m.format = format)));
    expect(err.message).toContain('format must be "edge-recs-model/1"');
  });

  it.each([4, 6, 0, '5'])('refuses items.count %j when config.numItems is 5', (count) => {
    const err = refusal(edited((m) => (m.items.count = count)));
    expect(err.message).toContain('items.count');
    expect(err.message).toContain('numItems (5)');
  });

  it('refuses shards that do not list the weightsManifest paths in order', () => {
    const second = { ...built.shards[0]!, path: 'group1-shard2of2.bin' };
    const cases = [
      edited((m) => (m.shards = [])),
      edited((m) => m.shards.push(second)),
      edited((m) => (m.shards[0].path = 'other.bin')),
      edited((m) => {
        m.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
        m.shards = [second, { ...second, path: 'group1-shard1of2.bin' }];
      }),
    ];
    for (const raw of cases) expect(refusal(raw).message).toContain('shards must list the weightsManifest paths in order');
  });

  it.each(['int4', 'float64', '', undefined])('refuses the quantization %j, listing the valid ones', (quantization) => {
    const err = refusal(edited((m) => (m.quantization = quantization)));
    expect(err.message).toContain('quantization must be one of float32, float16, uint8');
  });

  it('refuses a weight quantization other than float16 or per-row uint8 on a matrix, naming the weight', () => {
    const cases = [
      edited((m) => (m.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' })),
      edited((m) => (m.weightsManifest[0].weights[0].quantization = { dtype: 'int4' })),
      // pos_emb is index 1; blocks.0.attn_ln.gamma (index 2) is a vector
      edited((m) => (m.weightsManifest[0].weights[2].quantization = { dtype: 'uint8', scheme: 'per-row-affine' })),
    ];
    expect(refusal(cases[0]).message).toContain('weightsManifest[0].weights[0].quantization');
    expect(refusal(cases[1]).message).toContain('weightsManifest[0].weights[0].quantization');
    expect(refusal(cases[2]).message).toContain('weightsManifest[0].weights[2].quantization');
  });

  it('refuses a weight stored in another dtype than float32, naming the weight', () => {
    const err = refusal(edited((m) => (m.weightsManifest[0].weights[1].dtype = 'int32')));
    expect(err.message).toContain('weightsManifest[0].weights[1].dtype');
  });

  it('refuses an invalid model config, naming the config field', () => {
    const err = refusal(edited((m) => (m.config.heads = 3)));
    expect(err.message).toContain('"heads"');
  });

  it('refuses a malformed signature', () => {
    const raw = JSON.parse(JSON.stringify(signed)) as Record<string, any>;
    raw.signature.alg = 'RSA';
    expect(refusal(raw).message).toContain('signature');
  });

  it.each([[null], [[]], ['manifest']])('refuses %j as a manifest', (raw) => {
    expect(refusal(raw).message).toContain('expected a JSON object');
  });
});
