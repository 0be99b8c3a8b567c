/** `edge-recs simulate` as a command: reads the data, loads or saves the start model (`--start-model`, `--save-start`) and prints the report. */
import { buildArtifact } from '../../core/artifact/artifact.ts';
import { readArtifactDir, writeArtifactDir } from '../artifact/artifact-fs.ts';
import { readCatalogFile } from '../data/catalog-file.ts';
import type { SimulateOptions } from '../training/defaults.ts';
import { CliError } from '../errors.ts';
import { DEFAULT_COUNT, describeData, parseCounted, readData, type Format } from '../data/input.ts';
import { simulate, type SimulateReport, type StartModel } from './simulate.ts';
import { checkSimulateOptions, simulateOptions, type SimulateArgs } from './simulate-options.ts';
import { useBackend } from '../training/tf-node.ts';

/** What identifies a start model: the users it was trained on follow from the split fraction and the seed. */
const startKey = (o: SimulateOptions) => ({ centralFraction: o.centralFraction, centralEpochs: o.centralEpochs, dim: o.dim, blocks: o.blocks, seed: o.seed });

export async function simulateCommand(a: SimulateArgs): Promise<SimulateReport> {
  const options = simulateOptions(a);
  const counted = parseCounted(a.count ?? DEFAULT_COUNT);
  const catalog = a.catalog ? await readCatalogFile(a.catalog) : undefined;
  const { data, summary } = await readData(a.data, { format: (a.format ?? 'auto') as Format, counted, strict: a.strict, catalog });
  for (const line of describeData(summary)) console.error(line);
  checkSimulateOptions(options, data);
  await useBackend(a.backend);
  const key = JSON.stringify(startKey(options));
  let start: StartModel | undefined;
  if (a.startModel) {
    const loaded = await readArtifactDir(a.startModel, { unsigned: 'allow' });
    const saved = JSON.stringify((loaded.manifest.training as { simulateStart?: unknown } | undefined)?.simulateStart ?? null);
    if (saved !== key || loaded.itemIds.join('\n') !== data.itemIds.join('\n')) {
      throw new CliError(`--start-model ${a.startModel} was saved by a run with other data or settings (${saved}); this run needs ${key}`, 2);
    }
    start = { config: loaded.manifest.config, weights: loaded.weights, epochs: Number((loaded.manifest.training as { epochs?: number }).epochs ?? 0) };
  }
  const onStart = a.saveStart
    ? async (s: StartModel) => {
        const artifact = await buildArtifact({
          name: 'default',
          version: 'simulate-start',
          config: s.config,
          itemIds: data.itemIds,
          weights: s.weights,
          quantization: 'float32',
          training: { simulateStart: JSON.parse(key) as unknown, epochs: s.epochs },
        });
        await writeArtifactDir(a.saveStart!, artifact);
      }
    : undefined;
  const report = await simulate(data, options, { log: (line) => console.error(line), start, onStart });
  report.setup.data = summary;
  console.log(a.json ? JSON.stringify(report) : JSON.stringify(report, null, 2));
  return report;
}
