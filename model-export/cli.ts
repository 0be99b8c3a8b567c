// Only light modules are imported here: the commands that need tfjs (train, eval, export, import,
// simulate) are imported when they run, so --help and the release commands start in a fraction of the
// time (loading tfjs takes seconds). Their defaults come from `defaults.ts`, which loads no tfjs.
import { Command, InvalidArgumentError } from 'commander';
import { MIN_NEXT_USERS } from '../core/artifact/next-steps.ts';
import { ContractError } from '../core/errors.ts';
import { MODEL_DEFAULTS } from '../core/model/config.ts';
import { SIMULATE_DEFAULTS, TRAIN_DEFAULTS } from './training/defaults.ts';
import { DEFAULT_COUNT, FORMATS } from './data/input.ts';
import { NEXT_STEPS_DEFAULTS } from './training/next-steps.ts';
import { NEGATIVE_SAMPLINGS, type NegativeSampling } from './training/negatives.ts';
import { CliError } from './errors.ts';
import { keygenCommand } from './artifact/keygen.ts';
import { registerReleaseCommands } from './admin/release-cli.ts';

const int = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer (got "${v}")`);
  return n;
};
const num = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number (got "${v}")`);
  return n;
};
const atLeast = (name: string, min: number, why: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer of at least ${min}, ${why} (got "${v}")`);
  return n;
};
/** A fraction below 1: above 0 (or from 0 where `zero` allows it). */
const fraction = (name: string, zero: boolean) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n >= 1 || (zero ? n < 0 : n <= 0)) {
    throw new InvalidArgumentError(`${name} must be a number ${zero ? 'from 0' : 'above 0'} and below 1 (got "${v}")`);
  }
  return n;
};
const sampling = (v: string): NegativeSampling => {
  if (!(NEGATIVE_SAMPLINGS as readonly string[]).includes(v)) throw new InvalidArgumentError(`--sampling must be one of ${NEGATIVE_SAMPLINGS.join(', ')} (got "${v}")`);
  return v as NegativeSampling;
};
/** `--lr-decay F`: above 0, at most 1 (no decay). */
const decay = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0 && n <= 1)) throw new InvalidArgumentError(`--lr-decay must be a number above 0 and at most 1 (1 = no decay) (got "${v}")`);
  return n;
};
const SIM = SIMULATE_DEFAULTS;
/** `--workers N`: a positive integer, since each worker is a thread computing a shard of every step. */
const workers = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`--workers must be a positive integer: 1 (this thread alone) up to any number of threads, ${TRAIN_DEFAULTS.workers} = every core of this machine (got "${v}")`);
  }
  return n;
};
const WORKERS_HELP =
  'threads computing each training step, each on a shard of the batch (data-parallel; tfjs-wasm uses one core per thread); the same --seed and --workers give bit-identical weights, another --workers trains the same way but not to the same bits (e.g. --workers 1)';

/** Help of the data flags train, eval and simulate share (docs/cli.md has the details). */
const DATA_HELP = {
  data: 'interaction data: a file (gzip too) or a directory of daily shards; a GA4 BigQuery export (nested JSON lines or flattened UNNEST(items) CSV), a CSV/JSON lines event log, or S3-Rec lines, e.g. ../shared/datasets/amazon-beauty.txt or exports/ga4/',
  format: `input format: ${FORMATS.join(', ')} (default: auto, which tells events from S3-Rec lines by the first line)`,
  count: `event names that count as interactions (default: ${DEFAULT_COUNT}); e.g. --count add_to_cart,purchase`,
  strict: 'fail on the first malformed row (naming file:line) instead of skipping and counting it',
  catalog: 'keep only the products of this catalog (Merchant Center TSV or XML feed, or the JSON catalog), each learned as its item_group_id group; others are left out and counted',
};

export function program(): Command {
  const cli = new Command('edge-recs').description('Train, evaluate, quantize, sign and publish EdgeRecs models.').showHelpAfterError();
  cli
    .command('train')
    .description('train a SASRec model; holds out each user\'s last two items (leave-one-out) and early-stops on validation NDCG@10')
    .requiredOption('--data <path>', DATA_HELP.data)
    .option('--format <format>', DATA_HELP.format)
    .option('--count <events>', DATA_HELP.count)
    .option('--strict', DATA_HELP.strict, false)
    .option('--catalog <file>', `${DATA_HELP.catalog}; also the items' content features (category levels, brand, price band) unless --no-features`)
    .option(
      '--attributes <file>',
      'item content features: a JSON object of item id -> attribute ids, the shared datasets\' format (e.g. ../shared/datasets/amazon-beauty.attributes.json); the model then ranks an item from its attributes too, so items new since training, or held out, are ranked from them alone',
    )
    .option('--no-features', 'train an id-only model even with --attributes or --catalog (default: content features whenever either is given)')
    .option(
      '--cold-items <fraction>',
      'hold out a seeded fraction of the items (drawn with --seed) from training entirely: every interaction with them is taken out of the training and validation histories, they keep their features, and the model records them, so eval can report warm and cold users apart (e.g. --cold-items 0.1; default: none)',
      fraction('--cold-items', false),
    )
    .option(
      '--id-dropout <p>',
      'probability that a training step leaves an item\'s id row out of its vector (DropoutNet), so the model learns to rank from content features alone; models with features only (e.g. --id-dropout 0.3)',
      fraction('--id-dropout', true),
      TRAIN_DEFAULTS.idDropout,
    )
    .requiredOption('--out <dir>', 'output directory (an unsigned float32 artifact), written atomically')
    .option('--epochs <n>', 'most epochs', int('--epochs'), TRAIN_DEFAULTS.epochs)
    .option('--batch-size <n>', 'sequences per step', int('--batch-size'), TRAIN_DEFAULTS.batchSize)
    .option('--lr <x>', 'Adam learning rate', num('--lr'), TRAIN_DEFAULTS.learningRate)
    .option('--lr-decay <f>', 'factor the learning rate is multiplied by after each validation that does not improve (1 = constant)', decay, TRAIN_DEFAULTS.lrDecay)
    .option('--dropout <x>', 'dropout rate', num('--dropout'), TRAIN_DEFAULTS.dropout)
    .option('--negatives <n>', 'shared negatives for sampled softmax (0, or more than the catalog has, = full softmax)', int('--negatives'), TRAIN_DEFAULTS.negatives)
    .option('--sampling <how>', `how the negatives are drawn: ${NEGATIVE_SAMPLINGS.join(' or ')} (popularity: in proportion to each item's training count plus one, log-Q corrected; uniform: every item alike)`, sampling, TRAIN_DEFAULTS.sampling)
    .option('--patience <n>', 'epochs without improvement before stopping', int('--patience'), TRAIN_DEFAULTS.patience)
    .option('--time-budget <minutes>', `wall time the epochs may take: training stops after the last epoch that fits and keeps the best validated one; 0 = no budget (runs then repeat bit for bit with the same --seed and --workers)`, num('--time-budget'), TRAIN_DEFAULTS.timeBudget / 60)
    .option('--dim <n>', 'embedding width', int('--dim'), MODEL_DEFAULTS.dim)
    .option('--blocks <n>', 'self-attention blocks', int('--blocks'), MODEL_DEFAULTS.blocks)
    .option('--heads <n>', 'attention heads', int('--heads'), MODEL_DEFAULTS.heads)
    .option('--max-len <n>', 'longest history read', int('--max-len'), MODEL_DEFAULTS.maxLen)
    .option('--seed <n>', 'random seed (same seed and --workers, same model)', int('--seed'), TRAIN_DEFAULTS.seed)
    .option('--workers <n>', `${WORKERS_HELP}; default: every core (${TRAIN_DEFAULTS.workers} here)`, workers, TRAIN_DEFAULTS.workers)
    .option('--backend <name>', 'tfjs backend: wasm, cpu', 'wasm')
    .option(
      '--next-min-users <k>',
      'distinct shoppers who must have chosen a product next after another for the model to ship that pair as evidence (next-steps.json); only such pairs let cards say "Shoppers who viewed X chose this next" (e.g. --next-min-users 10)',
      atLeast('--next-min-users', MIN_NEXT_USERS, 'since a pair of one shopper would reveal what that shopper did'),
      NEXT_STEPS_DEFAULTS.minUsers,
    )
    .option('--json', 'print one JSON summary line instead of progress', false)
    .option('--report <file>', 'also write an HTML report: training curves, metrics with a popularity baseline, data summary, sample recommendations, sizes')
    .action(async (o) => (await import('./training/train-command.ts')).trainCommand(o));
  cli
    .command('eval')
    .description('full-ranking leave-one-out evaluation (seen items excluded) through the widget\'s inference code')
    .requiredOption('--model <dir>', 'trained model or exported artifact')
    .requiredOption('--data <path>', DATA_HELP.data)
    .option('--format <format>', `${FORMATS.join(', ')} (default: the format the model was trained on, else auto)`)
    .option('--count <events>', 'event names that count as interactions (default: the model\'s, else view_item,select_item,add_to_cart,purchase)')
    .option('--strict', DATA_HELP.strict, false)
    .option('--catalog <file>', 'catalog to map item ids to the model\'s items, and whose products\' features (category levels, brand, price band) rank items new to a model with features and feed the attribute-similarity baseline (default: the one the model was trained with; an exported artifact does not name it, so pass it)')
    .option('--attributes <file>', 'item attributes, {"item id": [attribute ids]} as ../shared/datasets/*.attributes.json: items new to a model with features are ranked from them, and the attribute-similarity baseline reads them (default: the file the model was trained with, else the model\'s own features); e.g. ../shared/datasets/amazon-beauty.attributes.json')
    .option('--backend <name>', 'tfjs backend: wasm, cpu', 'wasm')
    .option('--json', 'print exactly one JSON object', false)
    .option('--trusted-key <file>', 'require a valid signature by this key (a keygen file; its public part suffices)')
    .action(async (o) => void (await (await import('./training/eval-command.ts')).evalCommand(o)));
  cli
    .command('export')
    .description('quantize and sign a model into a deployable artifact')
    .requiredOption('--model <dir>', 'trained model directory')
    .requiredOption('--quantize <q>', 'float32, float16 or uint8 (per-row item table)')
    .requiredOption('--out <dir>', 'artifact directory, written atomically')
    .option('--sign-key <file>', 'Ed25519 key from "edge-recs keygen"')
    .option('--name <name>', 'model name', 'default')
    .option('--version <v>', 'version label (default: the trained model\'s)')
    .option('--json', 'print sizes as JSON', false)
    .action(async (o) => (await import('./artifact/export-import-commands.ts')).exportCommand(o));
  cli
    .command('import')
    .description('import weights trained elsewhere (PyTorch SASRec as safetensors; mapping in model-export/artifact/torch-names.ts)')
    .requiredOption('--safetensors <file>', 'weights file')
    .requiredOption('--config <json>', 'model config as JSON or a JSON file: {"numItems","dim","blocks","heads","maxLen"}')
    .option('--items <json>', 'JSON array (or file) of item ids for model items 1..n (default "1".."n", the S3-Rec ids)')
    .requiredOption('--out <dir>', 'output directory (an unsigned float32 artifact), written atomically')
    .option('--json', 'print a JSON summary', false)
    .action(async (o) => (await import('./artifact/export-import-commands.ts')).importCommand(o));
  registerReleaseCommands(cli);
  cli
    .command('simulate')
    .description(
      'federated learning on a dataset in one process: the widget\'s client-update code and the server\'s aggregation, against central training on the same users; prints one JSON object (progress on stderr). Every default is the configuration the README reports',
    )
    .requiredOption('--data <path>', DATA_HELP.data)
    .option('--format <format>', DATA_HELP.format)
    .option('--count <events>', DATA_HELP.count)
    .option('--strict', DATA_HELP.strict, false)
    .option('--catalog <file>', DATA_HELP.catalog)
    .option('--clients <n>', 'devices taking part, drawn from the users not used for the start model; 0 = all of them (e.g. --clients 2000 for a quick run)', int('--clients'), SIM.clients)
    .option('--rounds <n>', 'aggregation rounds R; ε grows with every round, so few large rounds beat many small ones (e.g. --rounds 10)', int('--rounds'), SIM.rounds)
    .option('--cohort <n>', 'devices per round K (the server\'s minimum cohort): the noise on the mean is z·C/K, so K must be large (e.g. --cohort 500)', int('--cohort'), SIM.cohort)
    .option('--central-fraction <x>', 'share of users whose logs train the start model centrally (the shop\'s past customers); the rest are devices (e.g. --central-fraction 0.3)', num('--central-fraction'), SIM.centralFraction)
    .option('--central-epochs <n>', 'epochs of central training for the start model, best validation epoch kept; bounds the run time (e.g. --central-epochs 4)', int('--central-epochs'), SIM.centralEpochs)
    .option('--dim <n>', 'embedding width of the start model (e.g. --dim 32)', int('--dim'), SIM.dim)
    .option('--blocks <n>', 'self-attention blocks of the start model (e.g. --blocks 1)', int('--blocks'), SIM.blocks)
    .option('--eval-users <n>', 'users every metric is computed on, a seeded sample; 0 = all (e.g. --eval-users 5000 for a quick run)', int('--eval-users'), SIM.evalUsers)
    .option('--malicious <x>', 'share of each cohort replaced by attackers pushing --target (FedRecAttack-style); 0 skips the two poisoning runs (e.g. --malicious 0.05)', num('--malicious'), SIM.malicious)
    .option('--target <id>', 'item id the attackers push; auto = the item of median popularity (e.g. --target 1234)', SIM.target)
    .option('--steps <n>', 'local SGD steps per device update (e.g. --steps 3)', int('--steps'), SIM.client.steps)
    .option('--client-lr <x>', 'learning rate of the devices\' local SGD (e.g. --client-lr 0.05)', num('--client-lr'), SIM.client.learningRate)
    .option('--client-dropout <x>', 'dropout during local steps (e.g. --client-dropout 0)', num('--client-dropout'), SIM.client.dropout)
    .option('--negatives <n>', 'sampled negative rows a device trains against, at least (e.g. --negatives 32)', int('--negatives'), SIM.client.negatives)
    .option('--rows <policy>', 'rows an update carries: padded (always --max-rows: history + negatives, so the count reveals nothing) or sequence (history only)', SIM.client.rows)
    .option('--trainable <what>', 'what devices fine-tune: all, or items (item rows only)', SIM.client.trainable)
    .option('--density <x>', 'share of each dense tensor a device uploads, largest first; 0 = the widget\'s default: all when they fit 12 KB, else the share that does (keeps an update under 20 KB) (e.g. --density 0.2)', num('--density'), SIM.density)
    .option('--clip-norm <x>', 'C: every update is clipped to this L2 norm, which bounds one device\'s influence and sets the noise scale (e.g. --clip-norm 0.5)', num('--clip-norm'), SIM.server.clipNorm)
    .option('--row-clip-norm <x>', 'each item row of an update is clipped to this first, so no device can spend its whole budget on one item (poisoning) (e.g. --row-clip-norm 0.1)', num('--row-clip-norm'), SIM.server.rowClipNorm)
    .option('--max-rows <n>', 'item rows one update may move (the server drops the rest) (e.g. --max-rows 32)', int('--max-rows'), SIM.server.maxRowsPerClient)
    .option('--noise <z>', 'z: Gaussian noise σ = z·C on the round\'s sum of updates; more noise, smaller ε (e.g. --noise 2)', num('--noise'), SIM.server.noiseMultiplier)
    .option('--count-noise <z>', 'z_c: noise on the per-row device counts that decide which rows are released (e.g. --count-noise 2)', num('--count-noise'), SIM.server.countNoiseMultiplier)
    .option('--release-threshold <n>', 'noisy device count a row needs to be published, or "all" (e.g. --release-threshold 40)', String(SIM.server.releaseThreshold))
    .option('--server-lr <x>', 'η: the noisy mean update is scaled by this (e.g. --server-lr 2)', num('--server-lr'), SIM.server.serverLearningRate)
    .option('--trim <fraction>', 'β: share of values trimmed from each end of every dense coordinate (a coordinate-wise trimmed mean; all noise doubles and ε holds for replace-one adjacency); 0 = the norm-bounded mean (e.g. --trim 0.1)', num('--trim'), SIM.server.trim)
    .option('--server-optimizer <kind>', 'what the server does with each round\'s noisy mean: fedavg (add η·mean) or adam (FedAdam on the dense weights, η·mean on item rows; post-processing, no privacy cost)', SIM.serverOptimizer)
    .option('--server-adam-lr <x>', 'server Adam step size per dense coordinate and round (e.g. --server-adam-lr 0.001)', num('--server-adam-lr'), SIM.serverAdam.learningRate)
    .option('--server-adam-tau <x>', 'server Adam adaptivity τ (e.g. --server-adam-tau 0.001)', num('--server-adam-tau'), SIM.serverAdam.tau)
    .option('--delta <x>', 'δ of the reported (ε, δ); below one over the number of users (e.g. --delta 1e-7)', num('--delta'), SIM.delta)
    .option('--seed <n>', 'random seed (same seed and --workers, same report)', int('--seed'), SIM.seed)
    .option('--workers <n>', `threads of the central training (start model and central reference): ${WORKERS_HELP}; default: every core (${SIM.workers} here)`, workers, SIM.workers)
    .option('--start-model <dir>', 'skip the central start training and use a model saved by --save-start of a run with the same data, --central-fraction, --central-epochs, --dim, --blocks and --seed (e.g. when trying server settings)')
    .option('--save-start <dir>', 'also write the start model (float32, unsigned) for later --start-model runs')
    .option('--backend <name>', 'tfjs backend: wasm, cpu', 'wasm')
    .option('--json', 'print the report on one line', false)
    .action(async (o) => void (await (await import('./simulate/simulate-command.ts')).simulateCommand(o)));
  cli
    .command('keygen')
    .description('make an Ed25519 signing key pair: a private key file (signs models) and a public one (checks them); never overwrites')
    .requiredOption('--out <file>', 'private key file to write, e.g. keys/release.json (keep it secret; for export --sign-key)')
    .option('--public-out <file>', 'public key file to write, for eval --trusted-key, the Node server\'s --trusted-key and the Worker\'s TRUSTED_KEYS (default: --out with .pub.json, e.g. keys/release.pub.json)')
    .option('--json', 'print one JSON line: keyId, privateKeyFile, publicKeyFile, dataPublicKey', false)
    .action((o) => keygenCommand(o));
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    // Every command, not only the root: a subcommand's usage error then comes here rather than exiting.
    const override = (command: Command): void => {
      command.exitOverride();
      command.commands.forEach(override);
    };
    const cli = program();
    override(cli);
    await cli.parseAsync(argv);
    return 0;
  } catch (e) {
    // Input that breaks a core contract (a malformed data line, a bad safetensors file) names its
    // file and place in the message already: print it like any other CLI error.
    if (e instanceof CliError || e instanceof ContractError) {
      console.error(`edge-recs: ${e.message}`);
      return e instanceof CliError ? e.exitCode : 1;
    }
    if (e && typeof e === 'object' && 'exitCode' in e && typeof (e as { exitCode: unknown }).exitCode === 'number') {
      // Commander already printed the help or the usage error; a usage error exits 2, as CliError's do.
      return (e as { exitCode: number }).exitCode === 0 ? 0 : 2;
    }
    console.error(`edge-recs: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 70;
  }
}
