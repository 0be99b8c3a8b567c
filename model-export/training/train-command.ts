import cliProgress from 'cli-progress';
import { buildArtifact, type ArtifactInput } from '../../core/artifact/artifact.ts';
import { NEXT_STEPS_FILE } from '../../core/artifact/next-steps.ts';
import type { ItemFeatures } from '../../core/model/features.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import { rng, shuffle } from '../../core/random.ts';
import { writeArtifactDir } from '../artifact/artifact-fs.ts';
import { readCatalogFile, type CatalogFile } from '../data/catalog-file.ts';
import { artifactSizes } from '../artifact/export-import-commands.ts';
import { pickColdItems, withoutItems } from '../data/cold-items.ts';
import { coldItemIndices } from '../../core/artifact/item-features.ts';
import { split, type Dataset } from '../data/dataset.ts';
import { modelItemFeatures, readAttributesFile, type FeatureSummary } from '../data/item-features.ts';
import { CliError } from '../errors.ts';
import { AttributeSimilarity, evaluateAttributeSimilarity } from './attribute-similarity.ts';
import { evaluate, evaluatePopularity, type Evaluation, type GroupMetrics } from './evaluate.ts';
import { DEFAULT_COUNT, describeData, parseCounted, readData, type Format, type InputRecord } from '../data/input.ts';
import type { NegativeSampling } from './negatives.ts';
import { countNextSteps } from './next-steps.ts';
import { writeReport, type ReportTitles, type Sample } from './report.ts';
import { useBackend, type NodeBackend } from './tf-node.ts';
import { stopHorizon, trainModel, TRAIN_DEFAULTS, type EpochInfo } from './trainer.ts';

export interface TrainArgs {
  data: string;
  /** Default `auto`. */
  format?: string;
  /** Default `DEFAULT_COUNT`. */
  count?: string;
  strict: boolean;
  catalog?: string;
  /** `--attributes FILE`: the shared datasets' item id -> attribute ids, the items' content features. */
  attributes?: string;
  /** `--no-features` sets false: an id-only model even with `--attributes` or `--catalog`. Default true. */
  features?: boolean;
  /** `--cold-items F`: the fraction of items held out of training (0 < F < 1); none by default. */
  coldItems?: number;
  /** Default `TRAIN_DEFAULTS.idDropout`. */
  idDropout?: number;
  out: string;
  epochs: number;
  batchSize: number;
  lr: number;
  /** `--lr-decay`; default `TRAIN_DEFAULTS.lrDecay`. */
  lrDecay?: number;
  dropout: number;
  negatives: number;
  /** `--sampling`: how the negatives are drawn; default `TRAIN_DEFAULTS.sampling`. */
  sampling?: NegativeSampling;
  patience: number;
  /** `--time-budget`, minutes; default `TRAIN_DEFAULTS.timeBudget` / 60. */
  timeBudget?: number;
  dim: number;
  blocks: number;
  heads: number;
  maxLen: number;
  seed: number;
  /** `--workers N`: threads computing each step; default `TRAIN_DEFAULTS.workers` (every core). */
  workers?: number;
  /** k of the chosen-next table (`next-steps.ts`); default `NEXT_STEPS_DEFAULTS.minUsers`. */
  nextMinUsers?: number;
  backend: NodeBackend;
  json: boolean;
  report?: string;
}

/** `12s`, `2m35s`, `1h04m`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Progress on stderr, aimed at the early-stopping horizon rather than at `--epochs`: `epoch 6/8+` reads
 * "epoch 6 done; training ends after epoch 8 unless validation NDCG@10 improves" (no `+` once the
 * `--epochs` limit is the end), and the ETA is the time to that epoch at the recent epochs' pace.
 */
class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly recent: number[] = [];

  constructor(
    private readonly epochs: number,
    horizon: number,
    private readonly quiet: boolean,
  ) {
    this.bar =
      quiet || !process.stderr.isTTY
        ? null
        : new cliProgress.SingleBar(
            { format: 'epoch {value}/{until} |{bar}| loss {loss} | valid NDCG@10 {ndcg} | ETA {until_eta}', stream: process.stderr, barsize: 24 },
            cliProgress.Presets.shades_classic,
          );
    this.bar?.start(horizon, 0, { until: this.until(horizon, 0), loss: '-', ndcg: '-', until_eta: '-' });
  }

  /** `8+` while the end can still move out; `8` once it cannot (the `--epochs` limit, or the run has ended). */
  private until(horizon: number, epoch: number): string {
    return horizon < this.epochs && horizon > epoch ? `${horizon}+` : String(horizon);
  }

  epoch(i: EpochInfo): void {
    this.recent.push(i.seconds);
    if (this.recent.length > 3) this.recent.shift();
    const pace = this.recent.reduce((a, b) => a + b, 0) / this.recent.length;
    const until = this.until(i.horizon, i.epoch);
    const eta = `${duration(pace * (i.horizon - i.epoch))}${until.endsWith('+') ? '+' : ''}`;
    const ndcg = i.valid?.['NDCG@10'].toFixed(4) ?? '-';
    if (this.bar) {
      this.bar.setTotal(i.horizon);
      this.bar.update(i.epoch, { until, loss: i.loss.toFixed(4), ndcg, until_eta: eta });
    } else if (!this.quiet) {
      console.error(`epoch ${i.epoch}/${until}: loss ${i.loss.toFixed(4)}, valid NDCG@10 ${ndcg} (${i.seconds.toFixed(1)} s; ETA ${eta})`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** The report's names: each model item (variant group) by its group's name, each product by its title. */
function titlesOf(catalog: CatalogFile | undefined): ReportTitles | undefined {
  if (!catalog) return undefined;
  const groups = new Map<string, string>();
  for (const key of catalog.groups.groups.keys()) {
    const title = catalog.groups.title(key);
    if (title !== undefined) groups.set(key, title);
  }
  return { groups, products: new Map(catalog.catalog.products.map((p) => [p.id, p.title])) };
}

/** Up to `count` evaluable users picked at random (seeded): their test history and the model's top 10 after it. */
async function samplesOf(model: SasRec, data: Dataset, count: number, seed: number): Promise<Sample[]> {
  const users = shuffle(
    [...data.sequences.keys()].filter((u) => split(data.sequences[u]!)),
    rng(seed ^ 0x5eed),
  );
  const id = (i: number): string => data.itemIds[i - 1]!;
  const samples: Sample[] = [];
  for (const u of users.slice(0, count)) {
    const s = split(data.sequences[u]!)!;
    const history = [...s.train, s.valid];
    const top = await model.recommend(history, 10, history);
    const sample: Sample = { history: history.slice(-8).map(id), length: history.length, next: id(s.test), recommended: top.map((t) => id(t.index)) };
    // The sizes the user really had (with --catalog): the sequence's last item is the test target.
    const named = data.variants?.[u];
    if (named) Object.assign(sample, { named: named.slice(0, history.length).slice(-8), nextNamed: named[history.length] });
    samples.push(sample);
  }
  return samples;
}

/** What the model is made of besides ids, and which items it never saw: the content inputs of `train`. */
export interface ContentInputs {
  /** The items' features and what they cover; none for an id-only model. */
  features?: { features: ItemFeatures; summary: FeatureSummary };
  /** Item ids held out (`--cold-items`), in the data's item order, and their model indices. */
  cold: { ids: string[]; indices: Set<number> };
  /** Interactions taken out of the histories with the held-out items. */
  coldInteractions: number;
}

/**
 * The content features (`--attributes`, `--catalog`, unless `--no-features`) and the cold split
 * (`--cold-items`, drawn with `--seed`) of the data's items.
 * @throws ContractError for a bad attributes file; CliError for a fraction outside (0, 1).
 */
async function contentInputs(
  data: Dataset,
  a: Pick<TrainArgs, 'attributes' | 'features' | 'coldItems' | 'seed'>,
  catalog?: CatalogFile,
): Promise<ContentInputs> {
  if (a.coldItems !== undefined && !(a.coldItems > 0 && a.coldItems < 1)) {
    throw new CliError(`--cold-items must be a fraction of the items between 0 and 1, exclusive, e.g. 0.1 (got ${a.coldItems})`, 2);
  }
  let features: ContentInputs['features'];
  if (a.features !== false && (a.attributes !== undefined || catalog)) {
    const attributes = a.attributes === undefined ? undefined : { file: a.attributes, byId: await readAttributesFile(a.attributes) };
    features = modelItemFeatures(data.itemIds, { ...(attributes && { attributes }), ...(catalog && { catalog }) });
  }
  const ids = a.coldItems === undefined ? [] : pickColdItems(data.itemIds, a.coldItems, a.seed);
  const indices = new Set(coldItemIndices(data.itemIds, ids));
  let coldInteractions = 0;
  for (const s of data.sequences) for (const i of s) if (indices.has(i)) coldInteractions++;
  return { ...(features && { features }), cold: { ids, indices }, coldInteractions };
}

/** The content inputs in words, for the console (stderr). */
function describeContent(c: ContentInputs, a: Pick<TrainArgs, 'attributes' | 'features' | 'coldItems' | 'seed'>, idDropout: number): string[] {
  const n = (x: number): string => x.toLocaleString('en');
  const lines: string[] = [];
  if (c.features) {
    const { names, items, of, kinds } = c.features.summary;
    const byKind = Object.entries(kinds).map(([k, v]) => `${k} ${n(v)}`).join(', ');
    lines.push(`features: ${n(names)} content features (${byKind}) on ${n(items)} of ${n(of)} items; id dropout ${idDropout} (--id-dropout)`);
    if (items < of) lines.push(`  ${n(of - items)} items have no feature shared with another item: they are known by their id alone`);
  } else if (a.features === false) lines.push('features: none (--no-features): an id-only model');
  if (a.coldItems !== undefined) {
    lines.push(`cold items: ${n(c.cold.ids.length)} of the items (--cold-items ${a.coldItems}, seed ${a.seed}) held out of training: ${n(c.coldInteractions)} interactions taken out of the histories`);
    if (!c.features) lines.push('  an id-only model cannot rank them (no id row, no features): their scores are 0');
  }
  return lines;
}

export async function trainCommand(a: TrainArgs): Promise<void> {
  const counted = parseCounted(a.count ?? DEFAULT_COUNT);
  const catalog = a.catalog ? await readCatalogFile(a.catalog) : undefined;
  const { data, summary } = await readData(a.data, { format: (a.format ?? 'auto') as Format, counted, strict: a.strict, catalog });
  if (!a.json) for (const line of describeData(summary)) console.error(line);
  if (summary.evaluable === 0) throw new CliError(`${a.data}: no user has the 3 interactions leave-one-out needs (train, validation, test)`);
  const idDropout = a.idDropout ?? TRAIN_DEFAULTS.idDropout;
  const content = await contentInputs(data, a, catalog);
  if (!a.json) for (const line of describeContent(content, a, idDropout)) console.error(line);
  const cold = content.cold.indices;
  // What shoppers really chose next, from every user's whole history (held-out items' interactions are
  // not known to this model): the evidence copy about shoppers needs.
  const nextSteps = countNextSteps(withoutItems(data, cold), a.nextMinUsers === undefined ? {} : { minUsers: a.nextMinUsers });
  await useBackend(a.backend);
  const workers = a.workers ?? TRAIN_DEFAULTS.workers;
  const timeBudget = a.timeBudget !== undefined ? a.timeBudget * 60 : TRAIN_DEFAULTS.timeBudget;
  const lrDecay = a.lrDecay ?? TRAIN_DEFAULTS.lrDecay;
  const sampling = a.sampling ?? TRAIN_DEFAULTS.sampling;
  if (!a.json) {
    console.error(`training: ${workers === 1 ? '1 thread' : `${workers} worker threads`} (--workers), at most ${a.epochs} epochs, stopping once validation NDCG@10 has not improved for ${a.patience} (--patience)${timeBudget > 0 ? ` or the ${duration(timeBudget)} budget has no room for another epoch (--time-budget)` : ''}; "epoch 6/8+" = ends after epoch 8 unless it improves`);
  }
  const progress = new Progress(a.epochs, stopHorizon(0, 0, false, { ...TRAIN_DEFAULTS, epochs: a.epochs, patience: a.patience }), a.json);
  const started = performance.now();
  let result;
  try {
    result = await trainModel(data, {
      model: { dim: a.dim, blocks: a.blocks, heads: a.heads, maxLen: a.maxLen },
      epochs: a.epochs,
      batchSize: a.batchSize,
      learningRate: a.lr,
      lrDecay,
      dropout: a.dropout,
      negatives: a.negatives,
      sampling,
      patience: a.patience,
      timeBudget,
      seed: a.seed,
      workers,
      idDropout,
      ...(content.features && { features: content.features.features }),
      coldItems: cold,
      onEpoch: (i) => progress.epoch(i),
    });
  } finally {
    progress.stop();
  }
  // Test metrics of the best epoch's weights, through the same scoring code the widget runs, and the
  // popularity baseline under the same protocol.
  // A held-out item is read and ranked from its features alone, as a product new since training is.
  // With items held out, warm and cold users apart too (as `eval` gives them), beside the baselines on the same users.
  const best = SasRec.fromWeights(result.config, result.weights, result.features ? { features: result.features, withoutId: result.coldItems } : {});
  const heldOut = cold.size > 0 ? cold : undefined;
  let evaluation;
  let samples: Sample[] = [];
  try {
    evaluation = await evaluate(best, data, { target: 'test', ...(heldOut && { cold: heldOut }) });
    if (a.report) samples = await samplesOf(best, data, 3, a.seed);
  } finally {
    best.dispose();
  }
  const test = evaluation.metrics;
  const popularity = evaluatePopularity(data, { target: 'test', seed: a.seed, ...(heldOut && { cold: heldOut }) });
  const baseline = popularity.metrics;
  const similarity = heldOut && content.features ? evaluateAttributeSimilarity(data, AttributeSimilarity.namesOf(content.features.features), { target: 'test', seed: a.seed, cold: heldOut }) : undefined;
  const groups = heldOut && {
    model: groupsOf(evaluation),
    popularity: groupsOf(popularity),
    ...(similarity && { 'attribute-similarity': groupsOf(similarity) }),
  };
  const input: InputRecord = {
    format: summary.format,
    ...(summary.format === 'events' && { count: counted }),
    // As given, like `data`: the manifest is public, and an absolute path would name the trainer's home.
    ...(catalog && { catalog: catalog.file }),
    ...(content.features && a.attributes !== undefined && { attributes: a.attributes }),
  };
  const contentRecord = {
    features: content.features?.summary.names ?? 0,
    ...(content.features && { idDropout }),
    ...(a.coldItems !== undefined && { cold: { fraction: a.coldItems, seed: a.seed, items: content.cold.ids.length } }),
  };
  const training = {
    data: a.data,
    input,
    seed: a.seed,
    // The weights' bits follow from the seed and the number of workers together (`TrainOptions.workers`).
    workers,
    // The recipe's settings, so a published model says how it was trained, not only on what.
    recipe: { batchSize: a.batchSize, learningRate: a.lr, lrDecay, dropout: a.dropout, negatives: a.negatives, sampling, patience: a.patience, timeBudget },
    bestEpoch: result.bestEpoch,
    stopped: result.stopped,
    valid: result.bestValid,
    test,
    baseline: { popularity: baseline, ...(similarity && { 'attribute-similarity': similarity.metrics }) },
    ...(groups && { groups }),
    content: contentRecord,
    seconds: (performance.now() - started) / 1000,
    history: result.history,
  };
  // `features` and `coldItems` are the artifact contract of issue 18 (`core/artifact/artifact.ts`).
  const artifactInput: ArtifactInput = {
    name: 'trained',
    version: `t${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z`,
    config: result.config,
    itemIds: data.itemIds,
    weights: result.weights,
    quantization: 'float32',
    nextSteps,
    training,
    // An id-only model records its split in the training record (`content.cold`) alone: a held-out item
    // has no vector in it to mark, and the artifact takes held-out items only with features.
    ...(result.features && { features: result.features, ...(content.cold.ids.length > 0 && { coldItems: content.cold.ids }) }),
  };
  const artifact = await buildArtifact(artifactInput);
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
      summary,
      baseline,
      samples,
      titles: titlesOf(catalog),
    });
  }
  const pairs = [...nextSteps.next.values()].reduce((n, ys) => n + ys.length, 0);
  const next = { minUsers: nextSteps.minUsers, window: nextSteps.window, items: nextSteps.next.size, pairs, bytes: artifact.files.get(NEXT_STEPS_FILE)!.byteLength };
  const out = {
    out: a.out,
    config: result.config,
    bestEpoch: result.bestEpoch,
    stopped: result.stopped,
    valid: result.bestValid,
    test,
    baseline: training.baseline,
    ...(groups && { groups }),
    seconds: training.seconds,
    data: summary,
    nextSteps: next,
    content: { ...contentRecord, ...(content.features && { featureItems: content.features.summary.items }) },
  };
  if (!a.json) {
    console.error(
      `chosen next: ${pairs} pairs after ${next.items} products, each by at least ${next.minUsers} shoppers (--next-min-users); ${NEXT_STEPS_FILE} ${next.bytes} bytes`,
    );
  }
  console.log(
    a.json
      ? JSON.stringify(out)
      : `wrote ${a.out} (best epoch ${result.bestEpoch} of ${result.history.length}, stopped by ${STOP_REASON[result.stopped]}; test NDCG@10 ${test['NDCG@10'].toFixed(4)}, HR@10 ${test['HR@10'].toFixed(4)}; popularity baseline NDCG@10 ${baseline['NDCG@10'].toFixed(4)}, HR@10 ${baseline['HR@10'].toFixed(4)}; seen items excluded)` +
          (groups ? `\n${groupLines(groups).join('\n')}` : ''),
  );
}

/** Why training ended, as the summary line says it. */
const STOP_REASON = { patience: '--patience', budget: '--time-budget', epochs: '--epochs' } as const;

type Groups = { warm: GroupMetrics; cold: GroupMetrics };

/** Warm and cold users' figures of an evaluation made with `cold` items. */
function groupsOf(e: Evaluation): Groups {
  return { warm: e.warm!, cold: e.cold! };
}

/** NDCG@10/HR@10 of warm and cold users, the model's and each baseline's, one line each. */
function groupLines(groups: Record<string, Groups>): string[] {
  const f = (g: GroupMetrics): string => `${g['NDCG@10'].toFixed(4)}/${g['HR@10'].toFixed(4)}`;
  const { warm, cold } = groups.model!;
  return [
    `  NDCG@10/HR@10 of warm users (${warm.users.toLocaleString('en')}, test item trained on) and cold users (${cold.users.toLocaleString('en')}, test item held out: --cold-items):`,
    ...Object.entries(groups).map(([name, g]) => `    ${name.padEnd(22)} warm ${f(g.warm)}  cold ${f(g.cold)}`),
  ];
}
