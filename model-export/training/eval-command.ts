import { publicPart } from '../../core/artifact/key-file.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import { readArtifactDir, readKeyFile } from '../artifact/artifact-fs.ts';
import { readCatalogFile } from '../data/catalog-file.ts';
import type { Dataset } from '../data/dataset.ts';
import { CliError } from '../errors.ts';
import { evaluate, evaluatePopularity, type Evaluation } from './evaluate.ts';
import { DEFAULT_COUNT, describeData, FORMATS, inputRecordOf, parseCounted, readData, type Format } from '../data/input.ts';
import { useBackend, type NodeBackend } from './tf-node.ts';

export interface EvalArgs {
  model: string;
  data: string;
  /** Default: the format the model was trained on (`training.input` in its manifest), else `auto`. */
  format?: string;
  /** Default: the model's counted events, else `DEFAULT_COUNT`. */
  count?: string;
  strict: boolean;
  /** Default: the catalog the model was trained with. */
  catalog?: string;
  backend: NodeBackend;
  json: boolean;
  trustedKey?: string;
}

/** Re-indexes a dataset to a model's item map; items the model does not know are dropped and counted. */
function remap(data: Dataset, itemIds: readonly string[]): { data: Dataset; dropped: number } {
  const index = new Map(itemIds.map((id, i) => [id, i + 1]));
  let dropped = 0;
  const sequences = data.sequences.map((s) =>
    s
      .map((i) => index.get(data.itemIds[i - 1]!))
      .filter((i): i is number => {
        if (i === undefined) dropped++;
        return i !== undefined;
      }),
  );
  return { data: { itemIds: [...itemIds], users: data.users, sequences }, dropped };
}

/**
 * `eval`: the test metrics of a model under the published protocol, through the widget's scoring code.
 * Data is read as the model's training data was (format, counted events, catalog), unless flags say
 * otherwise; what was read goes to stderr, the result to stdout.
 */
export async function evalCommand(a: EvalArgs): Promise<Evaluation> {
  if (a.format !== undefined && !FORMATS.includes(a.format as Format)) {
    throw new CliError(`--format must be one of ${FORMATS.join(', ')} (got "${a.format}")`, 2);
  }
  // With a key, the artifact must carry a valid signature by it, exactly as the widget demands.
  const trust = a.trustedKey ? { trusted: [publicPart(await readKeyFile(a.trustedKey))] } : ({ unsigned: 'allow' } as const);
  const artifact = await readArtifactDir(a.model, trust);
  const recorded = inputRecordOf(artifact.manifest.training);
  const counted = parseCounted(a.count ?? recorded.count?.join(',') ?? DEFAULT_COUNT);
  const catalogFile = a.catalog ?? recorded.catalog;
  if (catalogFile === true) {
    throw new CliError(`${a.model} was trained with --catalog, and an exported artifact does not name the file (its manifest is public); pass --catalog FILE, the catalog it was trained with`, 2);
  }
  const catalog = catalogFile
    ? await readCatalogFile(catalogFile).catch((e: unknown) => {
        if (a.catalog) throw e;
        throw new CliError(`the model was trained with --catalog ${catalogFile}, which cannot be read now (${(e as Error).message}); pass --catalog FILE`, 2);
      })
    : undefined;
  const format = (a.format ?? recorded.format ?? 'auto') as Format;
  const read = await readData(a.data, { format, counted, strict: a.strict, catalog });
  for (const line of describeData(read.summary)) console.error(line);
  const { data, dropped } = remap(read.data, artifact.itemIds);
  if (dropped > 0) console.error(`note: ${dropped.toLocaleString('en')} interactions with items the model does not know were left out`);
  await useBackend(a.backend);
  const model = SasRec.fromWeights(artifact.manifest.config, artifact.weights);
  try {
    const result = await evaluate(model, data, { target: 'test' });
    if (a.json) console.log(JSON.stringify(result));
    else {
      const baseline = evaluatePopularity(data, { target: 'test', seed: 42 }).metrics;
      console.log(`${result.protocol} (seen items excluded), ${result.users} users, ${result.items} items`);
      console.log(`  ${''.padEnd(8)} ${'model'.padStart(8)} ${'popularity'.padStart(10)}`);
      for (const [k, v] of Object.entries(result.metrics)) console.log(`  ${k.padEnd(8)} ${v.toFixed(4).padStart(8)} ${baseline[k as keyof typeof baseline].toFixed(4).padStart(10)}`);
    }
    return result;
  } finally {
    model.dispose();
  }
}
