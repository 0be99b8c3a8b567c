import { publicPart } from '../../core/artifact/key-file.ts';
import { isRecord } from '../../core/errors.ts';
import { appendItemFeatures, encodeItemFeatures, type ItemFeatures } from '../../core/model/features.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import type { NamedWeights } from '../../core/model/weights.ts';
import { readArtifactDir, readKeyFile } from '../artifact/artifact-fs.ts';
import { readCatalogFile, type CatalogFile } from '../data/catalog-file.ts';
import type { Dataset } from '../data/dataset.ts';
import { pickColdItems } from '../data/cold-items.ts';
import { itemFeatureNames, readAttributesFile } from '../data/item-features.ts';
import { CliError } from '../errors.ts';
import { AttributeSimilarity, evaluateAttributeSimilarity } from './attribute-similarity.ts';
import { evaluate, evaluatePopularity, type Evaluation, type GroupMetrics } from './evaluate.ts';
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
  /**
   * The shared datasets' attributes file (`{"<item id>": [attribute ids]}`): the content features of the
   * data's items. Default: the file the model was trained with, where its manifest names one.
   */
  attributes?: string;
  backend: NodeBackend;
  json: boolean;
  trustedKey?: string;
}

/** `eval --json`: the model's evaluation and, under the same protocol and users, the baselines'. */
export interface EvalResult extends Evaluation {
  baselines: {
    popularity: Evaluation;
    /** Where the items' attributes are known (`--attributes`, `--catalog`, or the model's own features). */
    'attribute-similarity'?: Evaluation;
  };
}

/** The artifact's content features and held-out items (issue 18's artifact contract), where it has them. */

/**
 * Re-indexes a dataset to a model's item map. An item the model does not know is appended after the
 * model's items where `keep` says it can still be ranked (it has content features the model knows: a
 * product new since training), and otherwise dropped and counted.
 */
export function remap(data: Dataset, itemIds: readonly string[], keep: (id: string) => boolean = () => false): { data: Dataset; dropped: number; added: string[] } {
  const index = new Map(itemIds.map((id, i) => [id, i + 1]));
  const added: string[] = [];
  let dropped = 0;
  const sequences = data.sequences.map((s) =>
    s
      .map((i) => {
        const id = data.itemIds[i - 1]!;
        let at = index.get(id);
        if (at === undefined && keep(id)) {
          added.push(id);
          index.set(id, (at = itemIds.length + added.length));
        }
        return at;
      })
      .filter((i): i is number => {
        if (i === undefined) dropped++;
        return i !== undefined;
      }),
  );
  return { data: { itemIds: [...itemIds, ...added], users: data.users, sequences }, dropped, added };
}



/**
 * The items a model was trained without: the artifact's `coldItems` (a features model's), else the split
 * its training record names (`content.cold`: fraction and seed, `train --cold-items`), drawn again from
 * its items by the same function; an id-only artifact has no held-out list of its own.
 */
export function heldOutItems(artifact: { itemIds: readonly string[]; coldItems?: readonly string[]; manifest: { training?: unknown } }): string[] {
  if (artifact.coldItems && artifact.coldItems.length > 0) return [...artifact.coldItems];
  const training = artifact.manifest.training;
  const content = isRecord(training) && isRecord(training.content) ? training.content : {};
  const cold = isRecord(content.cold) ? content.cold : {};
  const { fraction, seed } = cold;
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1) || typeof seed !== 'number' || !Number.isInteger(seed)) return [];
  return pickColdItems(artifact.itemIds, fraction, seed);
}

const groupLine = (g: GroupMetrics | undefined): string => (g ? `${g['NDCG@10'].toFixed(4)}/${g['HR@10'].toFixed(4)}` : '–');

/**
 * `eval`: the test metrics of a model under the published protocol, through the widget's scoring code,
 * beside a popularity and (where the items' attributes are known) an attribute-similarity baseline.
 * Data is read as the model's training data was (format, counted events, catalog, attributes), unless
 * flags say otherwise; what was read goes to stderr, the result to stdout. A model that records held-out
 * items (`--cold-items`) is also evaluated on warm and cold users apart (whose test item it learned an
 * id row for, and whose it did not), and so are the baselines.
 */
export async function evalCommand(a: EvalArgs): Promise<EvalResult> {
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
  // An exported artifact records only that there was a file (`true`): its own features serve then.
  const recordedFile = recorded.attributes;
  const attributesFile = a.attributes ?? (typeof recordedFile === 'string' ? recordedFile : undefined);
  const attributes = attributesFile
    ? await readAttributesFile(attributesFile).catch((e: unknown) => {
        if (a.attributes) throw e;
        throw new CliError(`the model was trained with --attributes ${attributesFile}, which cannot be read now (${(e as Error).message}); pass --attributes FILE`, 2);
      })
    : undefined;

  const format = (a.format ?? recorded.format ?? 'auto') as Format;
  const read = await readData(a.data, { format, counted, strict: a.strict, catalog });
  for (const line of describeData(read.summary)) console.error(line);
  await useBackend(a.backend);
  const result = await evaluateModel(
    { config: artifact.manifest.config, weights: artifact.weights, itemIds: artifact.itemIds, features: artifact.features, coldItems: heldOutItems(artifact) },
    read.data,
    attributes || catalog ? itemFeatureNames(attributes, catalog) : undefined,
  );
  if (a.json) console.log(JSON.stringify(result));
  else for (const line of evalTable(result)) console.log(line);
  return result;
}

/** A model as `eval` evaluates it: a loaded artifact's config, weights, items and (issue 18) content features and held-out items. */
export interface EvalModel {
  config: ModelConfig;
  weights: NamedWeights;
  itemIds: readonly string[];
  /** Required where `config.numFeatures > 0`. */
  features?: ItemFeatures;
  /** Item ids held out of training (`--cold-items`): they are ranked from their features alone. */
  coldItems?: readonly string[];
}

/**
 * The model's test metrics on `read` (a dataset with its own item ids), with the popularity and, where the
 * items' attribute names are known (`names`, else a features model's own), attribute-similarity baselines
 * on the same users and candidates. Warm and cold users apart where the model records held-out items or
 * the data has items new to it that it ranks from their features. Notes on what was left out go to `log`.
 */
export async function evaluateModel(m: EvalModel, read: Dataset, names?: (id: string) => string[], log: (line: string) => void = (l) => console.error(l)): Promise<EvalResult> {
  // A model with features ranks an item it has no row for from its features, as the widget does a product
  // new in the catalog: such items join the candidates, after the model's own (`SasRec.fromWeights`).
  const { features } = m;
  const vocab = new Set(features?.names);
  const known = (id: string): boolean => !!names && names(id).some((n) => vocab.has(n));
  const { data, dropped, added } = remap(read, m.itemIds, features ? known : undefined);
  if (dropped > 0) log(`note: ${dropped.toLocaleString('en')} interactions with items the model does not know were left out`);
  if (added.length > 0) log(`note: ${added.length.toLocaleString('en')} items new to the model are ranked from their features alone (counted as cold)`);
  const allFeatures = features && (added.length > 0 ? appendItemFeatures(features, encodeItemFeatures(features.names, added.map(names!))) : features);

  const index = new Map(data.itemIds.map((id, i) => [id, i + 1]));
  const heldOut = (m.coldItems ?? []).map((id) => index.get(id)).filter((i): i is number => i !== undefined);
  // Warm and cold apart only where the question arises: a model trained with items held out, or items new to it.
  const cold = heldOut.length > 0 || added.length > 0 ? new Set([...heldOut, ...added.map((id) => index.get(id)!)]) : undefined;

  const model = SasRec.fromWeights(m.config, m.weights, allFeatures ? { features: allFeatures, withoutId: heldOut } : {});
  let evaluation: Evaluation;
  try {
    evaluation = await evaluate(model, data, { target: 'test', ...(cold && { cold }) });
  } finally {
    model.dispose();
  }
  // The content baseline reads the attributes as given where they are (every attribute, as the issue's
  // reference does), else the model's own vocabulary (features seen on at least two items).
  const attributeNames = names ? data.itemIds.map(names) : allFeatures ? AttributeSimilarity.namesOf(allFeatures) : undefined;
  return {
    ...evaluation,
    baselines: {
      popularity: evaluatePopularity(data, { target: 'test', seed: 42, ...(cold && { cold }) }),
      ...(attributeNames && { 'attribute-similarity': evaluateAttributeSimilarity(data, attributeNames, { target: 'test', seed: 42, ...(cold && { cold }) }) }),
    },
  };
}

/** The plain-text result: every metric for the model and each baseline, then NDCG@10/HR@10 of warm and cold users. */
export function evalTable(r: EvalResult): string[] {
  const columns: Array<[string, Evaluation]> = [['model', r], ...Object.entries(r.baselines).filter((e): e is [string, Evaluation] => e[1] !== undefined)];
  // Wide enough for a group's `0.0123/0.0456`.
  const width = (name: string): number => Math.max(13, name.length);
  const lines = [
    `${r.protocol} (seen items excluded), ${r.users} users, ${r.items} items`,
    `  ${''.padEnd(8)} ${columns.map(([name]) => name.padStart(width(name))).join(' ')}`,
  ];
  for (const k of Object.keys(r.metrics) as Array<keyof Evaluation['metrics']>) {
    lines.push(`  ${k.padEnd(8)} ${columns.map(([name, e]) => e.metrics[k].toFixed(4).padStart(width(name))).join(' ')}`);
  }
  if (r.warm && r.cold) {
    lines.push('  NDCG@10/HR@10 by whether the test item was learned (warm) or held out or new (cold):');
    for (const g of ['warm', 'cold'] as const) {
      lines.push(`  ${`${g}`.padEnd(8)} ${columns.map(([name, e]) => groupLine(e[g]).padStart(width(name))).join(' ')}  (${r[g]!.users} users)`);
    }
  }
  return lines;
}
