/**
 * The release and operations commands, each a client of an edge server's admin API: `publish`,
 * `models list|promote|rollback|canary set|canary stop`, `catalog upload`, `bestsellers upload`,
 * `experiment start|status|stop`.
 * Registered on the `edge-recs` program by `cli.ts`.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { bestsellersUploadCommand } from './bestsellers-command.ts';
import { CATALOG_FORMATS, catalogUploadCommand } from './catalog-command.ts';
import { experimentCommand, type ExperimentArgs } from './experiment-command.ts';
import { EXPERIMENT_CONTROLS, type ExperimentControl } from '../../core/experiment.ts';
import { modelsCommand, type ModelsAction, type ModelsArgs } from './models-command.ts';
import { publishCommand } from './publish.ts';

const percent = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!/^\d{1,3}$/.test(v) || n < 1 || n > 100) throw new InvalidArgumentError(`${flag} must be a percentage, an integer 1-100 (got "${v}")`);
  return n;
};
const share = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`--holdout must be a share of devices such as 0.1 (got "${v}")`);
  return n;
};
const control = (v: string): ExperimentControl => {
  if (!(EXPERIMENT_CONTROLS as readonly string[]).includes(v)) throw new InvalidArgumentError(`--control must be one of ${EXPERIMENT_CONTROLS.join(', ')} (got "${v}")`);
  return v as ExperimentControl;
};
const seconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--timeout must be a positive whole number of seconds (got "${v}")`);
  return n;
};

/** `--server`, `--token`, `--timeout`, `--json`: what every admin command takes. */
function adminOptions(cmd: Command, timeout: number, json: string): Command {
  return cmd
    .option('--server <url>', 'edge server base URL, e.g. https://recs.example.com (default: the EDGE_RECS_SERVER environment variable)')
    .option('--token <token>', 'admin bearer token of the server (default: the EDGE_RECS_TOKEN environment variable, which keeps it out of shell history)')
    .option('--timeout <s>', 'seconds to wait for the server', seconds, timeout)
    .option('--json', json, false);
}

const nameOption = (cmd: Command): Command => cmd.option('--name <name>', 'model name (the widget\'s data-model)', 'default');

export function registerReleaseCommands(cli: Command): void {
  adminOptions(
    cli
      .command('publish')
      .description('upload a signed artifact to an edge server (admin API); the server verifies it and makes it the current version, or with --canary serves it to that share of shoppers beside the current one')
      .requiredOption('--artifact <dir>', 'exported artifact directory (edge-recs export --sign-key ...)')
      .option('--name <name>', "model name to publish under; must be the artifact's own (it is signed) (default: the artifact's name, e.g. default)")
      .option('--canary <percent>', 'serve the new version to this share of shoppers (1-100) and keep the current version for the rest, in one step on the server; later: edge-recs models promote or canary stop (e.g. --canary 10)', percent('--canary')),
    120,
    'print one JSON line: name, version, created, current, canary, manifestSha256',
  ).action((o) => publishCommand(o));

  const models = cli.command('models').description('which version of a model the edge server serves: list versions, promote, roll back, run a canary');
  const run = (action: (...args: string[]) => ModelsAction) => (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    return modelsCommand(action(...(args.slice(0, -2) as string[])), cmd.opts<ModelsArgs>());
  };
  const modelJson = 'print the model\'s record as one JSON line: name, current, canary, versions';
  adminOptions(nameOption(models.command('list').description('the model\'s versions, oldest first, and who gets which')), 30, modelJson).action(run(() => ({ op: 'list' })));
  adminOptions(nameOption(models.command('promote').argument('<version>', 'a published version, e.g. v3').description('serve a version to everyone (ends its canary)')), 30, modelJson).action(
    run((version) => ({ op: 'promote', version: version! })),
  );
  adminOptions(nameOption(models.command('rollback').description('serve the version published before the current one to everyone (ends any canary)')), 30, modelJson).action(
    run(() => ({ op: 'rollback' })),
  );
  const canary = models.command('canary').description('serve a second version to a share of shoppers beside the current one');
  adminOptions(
    nameOption(
      canary
        .command('set')
        .argument('<version>', 'a published version other than the current one, e.g. v3')
        .requiredOption('--percent <n>', 'share of shoppers (1-100) who get it; each keeps one side for their session (e.g. --percent 10)', percent('--percent'))
        .description('serve a version to a share of shoppers, the current version to the rest'),
    ),
    30,
    modelJson,
  ).action((version: string, o: ModelsArgs & { percent: number }) => modelsCommand({ op: 'canary', version, percent: o.percent }, o));
  adminOptions(nameOption(canary.command('stop').description('end the canary: the current version for everyone')), 30, modelJson).action(run(() => ({ op: 'stop-canary' })));

  adminOptions(
    cli
      .command('catalog')
      .description('the shop\'s catalog on the edge server')
      .command('upload')
      .argument('<file>', 'a JSON catalog (.json), a Merchant Center TSV (.tsv, .txt) or XML (.xml) feed; gzip too')
      .option('--format <format>', `${CATALOG_FORMATS.join(', ')} (default: by the file's extension, else its first characters)`)
      .option('--sign-key <file>', 'sign the catalog with this Ed25519 key file from "edge-recs keygen" (the one export --sign-key takes), so widgets with data-require-signed-catalog use it (default: the EDGE_RECS_SIGN_KEY environment variable; neither: unsigned)')
      .description('replace the catalog served at /v1/catalog; the server checks every product and names the first bad line or field'),
    120,
    'print the server\'s answer as one JSON line: products, groups, updatedAt, etag, signedBy',
  ).action((file: string, o) => catalogUploadCommand(file, o));

  adminOptions(
    nameOption(
      cli
        .command('bestsellers')
        .description('the shop\'s own bestseller order, which the widget falls back on')
        .command('upload')
        .argument('<file>', 'best first: JSON {"ids": [...]} or an array (.json), CSV or TSV (first column; a header row like "id" or "sku" is skipped), else one id per line')
        .description('replace the model\'s bestseller list (at most 1,000 ids)'),
    ),
    60,
    'print the server\'s answer as one JSON line: model, count, updatedAt',
  ).action((file: string, o) => bestsellersUploadCommand(file, o));

  const experiment = cli.command('experiment').description('a holdout experiment: how much more shoppers buy with recommendations than without');
  const modelOption = (cmd: Command): Command => cmd.option('--model <name>', 'model whose traffic is split (the widget\'s data-model)', 'default');
  adminOptions(
    modelOption(
      experiment
        .command('start')
        .requiredOption('--name <name>', 'the experiment\'s name, new for the model (e.g. spring-test); counts are kept under it')
        .option('--holdout <share>', 'share of devices in the control arm, 0.01-0.5 (e.g. 0.1: one device in ten sees no personalized rows)', share, 0.1)
        .option('--control <what>', `what control devices' rows show: ${EXPERIMENT_CONTROLS.join(' or ')} (bestsellers: your bestsellers, then catalog order; none: nothing, the rows collapse)`, control, 'bestsellers')
        .description('start a holdout experiment (one at a time per model): each device draws its arm once'),
    ),
    30,
    'print the server\'s answer as one JSON line: model, experiment',
  ).action((o: ExperimentArgs & { name: string; holdout: number; control: ExperimentControl }) => experimentCommand({ op: 'start', name: o.name, holdout: o.holdout, control: o.control }, o));
  adminOptions(
    modelOption(experiment.command('status').description('the running (or last ended) experiment\'s read-out: each arm, the uplift with its 95% interval, the verdict')),
    30,
    'print the read-out as one JSON line (null when no experiment has run)',
  ).action((o: ExperimentArgs) => experimentCommand({ op: 'status' }, o));
  adminOptions(modelOption(experiment.command('stop').description('end the running experiment; its read-out stays')), 30, 'print the server\'s answer as one JSON line: model, ended').action(
    (o: ExperimentArgs) => experimentCommand({ op: 'stop' }, o),
  );
}
