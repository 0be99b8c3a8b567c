import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SasRec } from '../../core/model/sasrec.ts';
import { initWeights } from '../../core/model/weights.ts';
import { readArtifactDir } from './artifact-fs.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';
import { useBackend } from '../training/tf-node.ts';
import { toTorchSasRec } from './torch-names.ts';

const config = { numItems: 30, dim: 8, blocks: 2, heads: 2, maxLen: 6 };

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['model-export/bin/edge-recs.js', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('edge-recs import --safetensors', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'edge-recs-import-'));
  });

  it('reads back what it wrote, tensor for tensor', () => {
    const torch = toTorchSasRec(initWeights(config, 5), config);
    const back = readSafetensors(writeSafetensors(torch), 'x.safetensors');
    expect([...back.keys()]).toEqual([...torch.keys()]);
    for (const [name, t] of torch) {
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(back.get(name)!.values).toEqual(t.values);
    }
  });

  it('maps PyTorch SASRec names to a model that ranks exactly as the original weights', async () => {
    const weights = initWeights(config, 11);
    for (const v of weights.get('item_emb')!.values.keys()) weights.get('item_emb')!.values[v]! *= 40;
    const file = join(dir, 'sasrec.safetensors');
    await writeFile(file, writeSafetensors(toTorchSasRec(weights, config)));
    const out = join(dir, 'imported');
    const r = cli('import', '--safetensors', file, '--config', JSON.stringify(config), '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const imported = await readArtifactDir(out, { unsigned: 'allow' });
    expect(imported.itemIds).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
    const a = SasRec.fromWeights(config, weights);
    const b = SasRec.fromWeights(imported.manifest.config, imported.weights);
    for (const history of [[1, 2, 3], [30, 4, 9, 9, 12, 7, 1, 2]]) {
      expect((await b.recommend(history, 10)).map((s) => s.index)).toEqual((await a.recommend(history, 10)).map((s) => s.index));
    }
    a.dispose();
    b.dispose();
  });

  it('names the missing tensor and writes nothing when a tensor is absent', async () => {
    const torch = toTorchSasRec(initWeights(config, 1), config);
    torch.delete('forward_layers.1.conv2.bias');
    const file = join(dir, 'partial.safetensors');
    await writeFile(file, writeSafetensors(torch));
    const out = join(dir, 'partial');
    const r = cli('import', '--safetensors', file, '--config', JSON.stringify(config), '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing tensor "forward_layers.1.conv2.bias"');
    await expect(readFile(join(out, 'manifest.json'))).rejects.toThrow();
  });

  it('refuses a truncated file and a config that does not match the weights', async () => {
    const bytes = writeSafetensors(toTorchSasRec(initWeights(config, 1), config));
    const cut = join(dir, 'cut.safetensors');
    await writeFile(cut, bytes.subarray(0, bytes.length - 10));
    const r1 = cli('import', '--safetensors', cut, '--config', JSON.stringify(config), '--out', join(dir, 'cut'));
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/cut\.safetensors: tensor ".*" has data_offsets/);
    const whole = join(dir, 'whole.safetensors');
    await writeFile(whole, bytes);
    const r2 = cli('import', '--safetensors', whole, '--config', JSON.stringify({ ...config, dim: 16, heads: 2 }), '--out', join(dir, 'wrong'));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('whole.safetensors');
    const r3 = cli('import', '--safetensors', whole, '--config', '{"numItems": 30}', '--out', join(dir, 'bad'));
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('"dim" must be an integer');
  });
});
