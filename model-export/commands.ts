import { chmod, readFile, writeFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { buildArtifact, type Artifact } from '../core/artifact/artifact.ts';
import { generateKeyFile } from '../core/artifact/signing.ts';
import { MODEL_NAME } from '../core/artifact/manifest.ts';
import { QUANTIZATIONS, type Quantization } from '../core/artifact/weights-codec.ts';
import { ContractError } from '../core/errors.ts';
import { parseModelConfig, type ModelConfig } from '../core/model/config.ts';
import { SasRec } from '../core/model/sasrec.ts';
import { readSafetensors } from './safetensors.ts';
import { fromTorchSasRec } from './torch-names.ts';
import { readArtifactDir, readKeyFile, writeArtifactDir } from './artifact-fs.ts';
import { EVENT_NAMES, INTEREST_EVENTS, type EventName } from '../core/events.ts';
import { parseS3Rec, split, type Dataset } from './dataset.ts';
import { parseEventsLog } from './events-log.ts';
import { writeReport } from './report.ts';
import { CliError } from './errors.ts';
import { evaluate, type Evaluation } from './evaluate.ts';
import { useBackend, type NodeBackend } from './tf-node.ts';
import { trainModel, TRAIN_DEFAULTS, type EpochInfo } from './trainer.ts';

export const FORMATS = ['s3rec', 'events'] as const;

/** `--count` value: which event names count as interactions in `--format events`. */
export function parseCounted(value: string): EventName[] {
  const names = value.split(',').map((n) => n.trim()).filter(Boolean);
  const bad = names.filter((n) => !EVENT_NAMES.includes(n as EventName));
  if (names.length === 0 || bad.length > 0) {
    throw new CliError(`--count must list event names from ${EVENT_NAMES.join(', ')} (got "${value}")`, 2);
  }
  return names as EventName[];
}

async function readDataset(file: string, format: string, counted: readonly EventName[] = INTEREST_EVENTS): Promise<Dataset> {
  if (!FORMATS.includes(format as (typeof FORMATS)[number])) throw new CliError(`--format must be one of ${FORMATS.join(', ')} (got "${format}")`, 2);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CliError(`${file}: cannot read`);
  }
  return format === 'events' ? parseEventsLog(text, file, { counted }) : parseS3Rec(text, file);
}

/** Re-indexes a dataset to an existing model's item map; items the model does not know are dropped. */
function remap(data: Dataset, itemIds: readonly string[]): Dataset {
  const index = new Map(itemIds.map((id, i) => [id, i + 1]));
  const sequences = data.sequences.map((s) => s.map((i) => index.get(data.itemIds[i - 1]!)).filter((i): i is number => i !== undefined));
  return { itemIds: [...itemIds], users: data.users, sequences };
}

export interface TrainArgs {
  data: string;
  format: string;
  count: string;
  out: string;
  epochs: number;
  batchSize: number;
  lr: number;
  dropout: number;
  negatives: number;
  patience: number;
  dim: number;
  blocks: number;
  heads: number;
  maxLen: number;
  seed: number;
  backend: NodeBackend;
  json: boolean;
  report?: string;
}

export async function trainCommand(a: TrainArgs): Promise<void> {
  await useBackend(a.backend);
  const data = await readDataset(a.data, a.format, parseCounted(a.count));
  const usable = data.sequences.filter((s) => split(s)).length;
  if (usable === 0) throw new CliError(`${a.data}: no user has the 3 interactions leave-one-out needs (train, validation, test)`);
  if (usable < data.sequences.length && !a.json) {
    console.error(`note: ${data.sequences.length - usable} of ${data.sequences.length} users have fewer than 3 interactions and are not evaluated`);
  }
  const bar = a.json || !process.stderr.isTTY
    ? null
    : new cliProgress.SingleBar(
        { format: 'epoch {value}/{total} |{bar}| loss {loss} | valid NDCG@10 {ndcg} | ETA {eta_formatted}', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      );
  bar?.start(a.epochs, 0, { loss: '-', ndcg: '-' });
  const onEpoch = (i: EpochInfo): void => {
    if (bar) bar.update(i.epoch, { loss: i.loss.toFixed(4), ndcg: i.valid?.['NDCG@10'].toFixed(4) ?? '-' });
    else if (!a.json) console.error(`epoch ${i.epoch}: loss ${i.loss.toFixed(4)} valid NDCG@10 ${i.valid?.['NDCG@10'].toFixed(4) ?? '-'} (${i.seconds.toFixed(1)} s)`);
  };
  const started = performance.now();
  const result = await trainModel(data, {
    model: { dim: a.dim, blocks: a.blocks, heads: a.heads, maxLen: a.maxLen },
    epochs: a.epochs,
    batchSize: a.batchSize,
    learningRate: a.lr,
    dropout: a.dropout,
    negatives: a.negatives,
    patience: a.patience,
    seed: a.seed,
    onEpoch,
  });
  bar?.stop();
  // Test metrics of the best epoch's weights, through the same scoring code the widget runs.
  const best = SasRec.fromWeights(result.config, result.weights);
  const test = (await evaluate(best, data, { target: 'test' })).metrics;
  best.dispose();
  const training = {
    data: a.data,
    seed: a.seed,
    bestEpoch: result.bestEpoch,
    valid: result.bestValid,
    test,
    seconds: (performance.now() - started) / 1000,
    history: result.history,
  };
  const artifact = await buildArtifact({
    name: 'trained',
    version: `t${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z`,
    config: result.config,
    itemIds: data.itemIds,
    weights: result.weights,
    quantization: 'float32',
    training,
  });
  await writeArtifactDir(a.out, artifact);
  if (a.report) {
    await writeReport(a.report, {
      title: `EdgeRecs training report: ${a.data}`,
      data: a.data,
      config: result.config,
      history: result.history,
      bestEpoch: result.bestEpoch,
      valid: result.bestValid,
      test,
      seconds: training.seconds,
      sizes: artifactSizes(artifact),
    });
  }
  const summary = { out: a.out, config: result.config, bestEpoch: result.bestEpoch, valid: result.bestValid, test, seconds: training.seconds };
  console.log(
    a.json
      ? JSON.stringify(summary)
      : `wrote ${a.out} (best epoch ${result.bestEpoch}; test NDCG@10 ${test['NDCG@10'].toFixed(4)}, HR@10 ${test['HR@10'].toFixed(4)}, seen items excluded)`,
  );
}

/** Bytes of each file of an artifact, manifest.json included. */
function artifactSizes(artifact: Artifact): Record<string, number> {
  const sizes = Object.fromEntries([...artifact.files].map(([p, b]) => [p, b.byteLength]));
  sizes['manifest.json'] = JSON.stringify(artifact.manifest, null, 2).length + 1;
  return sizes;
}

export async function evalCommand(a: {
  model: string;
  data: string;
  format: string;
  count: string;
  backend: NodeBackend;
  json: boolean;
  trustedKey?: string;
}): Promise<Evaluation> {
  await useBackend(a.backend);
  // With a key, the artifact must carry a valid signature by it, exactly as the widget demands.
  const trust = a.trustedKey ? { trusted: [await readKeyFile(a.trustedKey)] } : ({ unsigned: 'allow' } as const);
  const artifact = await readArtifactDir(a.model, trust);
  const data = remap(await readDataset(a.data, a.format, parseCounted(a.count)), artifact.itemIds);
  const model = SasRec.fromWeights(artifact.manifest.config, artifact.weights);
  try {
    const result = await evaluate(model, data, { target: 'test' });
    if (a.json) console.log(JSON.stringify(result));
    else {
      console.log(`${result.protocol} (seen items excluded), ${result.users} users, ${result.items} items`);
      for (const [k, v] of Object.entries(result.metrics)) console.log(`  ${k.padEnd(8)} ${v.toFixed(4)}`);
    }
    return result;
  } finally {
    model.dispose();
  }
}

export async function exportCommand(a: { model: string; quantize: string; out: string; signKey?: string; name: string; version?: string; json: boolean }): Promise<void> {
  if (!QUANTIZATIONS.includes(a.quantize as Quantization)) {
    throw new CliError(`--quantize must be one of ${QUANTIZATIONS.join(', ')} (got "${a.quantize}")`, 2);
  }
  if (!MODEL_NAME.test(a.name)) throw new CliError(`--name must match ${MODEL_NAME} (got "${a.name}")`, 2);
  const source = await readArtifactDir(a.model, { unsigned: 'allow' });
  const key = a.signKey ? await readKeyFile(a.signKey) : undefined;
  const artifact = await buildArtifact(
    {
      name: a.name,
      version: a.version ?? source.manifest.version,
      config: source.manifest.config,
      itemIds: source.itemIds,
      weights: source.weights,
      quantization: a.quantize as Quantization,
      ...(source.manifest.training ? { training: source.manifest.training } : {}),
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

export async function keygenCommand(a: { out: string }): Promise<void> {
  const key = await generateKeyFile();
  await writeFile(a.out, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
  await chmod(a.out, 0o600);
  console.log(`wrote ${a.out}\npublic key (data-public-key): ${key.keyId}:${key.publicKey}`);
}

export { TRAIN_DEFAULTS };
