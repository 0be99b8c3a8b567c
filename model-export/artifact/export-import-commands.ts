import { readFile } from 'node:fs/promises';
import { buildArtifact, type Artifact } from '../../core/artifact/artifact.ts';
import { MODEL_NAME } from '../../core/artifact/manifest.ts';
import { QUANTIZATIONS, type Quantization } from '../../core/artifact/weights-codec.ts';
import { ContractError } from '../../core/errors.ts';
import { parseModelConfig, type ModelConfig } from '../../core/model/config.ts';
import { readSafetensors } from './safetensors.ts';
import { fromTorchSasRec } from './torch-names.ts';
import { readArtifactDir, readKeyFile, writeArtifactDir } from './artifact-fs.ts';
import { CliError } from '../errors.ts';
import { publicTraining } from '../data/input.ts';

/** Bytes of each file of an artifact, manifest.json included. */
export function artifactSizes(artifact: Artifact): Record<string, number> {
  const sizes = Object.fromEntries([...artifact.files].map(([p, b]) => [p, b.byteLength]));
  sizes['manifest.json'] = JSON.stringify(artifact.manifest, null, 2).length + 1;
  return sizes;
}

export async function exportCommand(a: { model: string; quantize: string; out: string; signKey?: string; name: string; version?: string; json: boolean }): Promise<void> {
  if (!QUANTIZATIONS.includes(a.quantize as Quantization)) {
    throw new CliError(`--quantize must be one of ${QUANTIZATIONS.join(', ')} (got "${a.quantize}")`, 2);
  }
  if (!MODEL_NAME.test(a.name)) throw new CliError(`--name must match ${MODEL_NAME} (got "${a.name}")`, 2);
  const source = await readArtifactDir(a.model, { unsigned: 'allow' });
  const key = a.signKey ? await readKeyFile(a.signKey, { privateKey: 'required' }) : undefined;
  const training = publicTraining(source.manifest.training);
  const artifact = await buildArtifact(
    {
      name: a.name,
      version: a.version ?? source.manifest.version,
      config: source.manifest.config,
      itemIds: source.itemIds,
      // Carried as trained: the evidence behind copy about shoppers is signed with the model.
      ...(source.nextSteps && { nextSteps: source.nextSteps }),
      // Carried as trained too: the model cannot rank an item without them, nor knows which it never saw.
      ...(source.features && { features: source.features, ...(source.coldItems && { coldItems: source.coldItems }) }),
      weights: source.weights,
      quantization: a.quantize as Quantization,
      // The manifest is public: the record without local paths.
      ...(training && { training }),
    },
    key,
  ).catch((e: unknown) => {
    throw e instanceof ContractError ? new CliError(e.message, 2) : e;
  });
  await writeArtifactDir(a.out, artifact);
  const sizes = artifactSizes(artifact);
  if (a.json) console.log(JSON.stringify({ out: a.out, quantization: a.quantize, signed: !!key, bytes: sizes }));
  else {
    console.log(`wrote ${a.out} (${a.quantize}${key ? `, signed by ${key.keyId}` : ', unsigned'})`);
    for (const [p, n] of Object.entries(sizes)) console.log(`  ${p.padEnd(28)} ${n.toLocaleString('en')} bytes`);
  }
}

/**
 * `import`: weights trained elsewhere (PyTorch SASRec, saved as safetensors) into an unsigned float32
 * artifact that `eval` and `export` take like a model trained here.
 */
export async function importCommand(a: { safetensors: string; config: string; items?: string; out: string; json: boolean }): Promise<void> {
  const readJson = async (value: string, what: string): Promise<unknown> => {
    const text = value.trim().startsWith('{') || value.trim().startsWith('[') ? value : await readFile(value, 'utf8').catch(() => {
      throw new CliError(`${what} "${value}": cannot read`);
    });
    try {
      return JSON.parse(text);
    } catch {
      throw new CliError(`${what} "${value}": not valid JSON`);
    }
  };
  let config: ModelConfig;
  try {
    config = parseModelConfig(await readJson(a.config, '--config'));
  } catch (e) {
    throw e instanceof ContractError ? new CliError(`--config: ${e.message}`, 2) : e;
  }
  const itemIds = a.items ? await readJson(a.items, '--items') : Array.from({ length: config.numItems }, (_, i) => String(i + 1));
  if (!Array.isArray(itemIds) || itemIds.length !== config.numItems || !itemIds.every((id) => typeof id === 'string')) {
    throw new CliError(`--items must be a JSON array of ${config.numItems} item id strings (model item i+1 first)`, 2);
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(a.safetensors));
  } catch {
    throw new CliError(`${a.safetensors}: cannot read`);
  }
  const weights = fromTorchSasRec(readSafetensors(bytes, a.safetensors), config, a.safetensors);
  const artifact = await buildArtifact({
    name: 'imported',
    version: `i${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z`,
    config,
    itemIds: itemIds as string[],
    weights,
    quantization: 'float32',
    training: { importedFrom: a.safetensors, mapping: 'pmixer/SASRec.pytorch' },
  });
  await writeArtifactDir(a.out, artifact);
  console.log(a.json ? JSON.stringify({ out: a.out, config }) : `wrote ${a.out} (${config.numItems} items, ${config.blocks} blocks, dim ${config.dim})`);
}
