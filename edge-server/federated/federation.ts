/**
 * Federated learning on the server: intake of device updates and aggregation rounds, per model, on
 * Web-standard APIs only. One `Federation` must be the single writer of a model's rounds: Node runs one
 * per process (one process per data directory), Workers runs one inside each model's Durable Object.
 *
 * The parts, one concern each: the round settings (`core/federated/settings.ts`), intake and its checks
 * (`intake.ts`), per-source and per-token limits (`limits.ts`), the privacy budget (`budget.ts`), a
 * round's close and publishing (`rounds.ts`), its aggregation into a signed version
 * (`aggregate-round.ts`), and deltas between versions (`deltas.ts`). Refusals are `FederationRefusal`s
 * (`errors.ts`), which the routes answer.
 */
import { checkKeyFile } from '../../core/artifact/key-file.ts';
import type { KeyFile } from '../../core/artifact/signing.ts';
import { ContractError, isRecord, show } from '../../core/errors.ts';
import { secureNormal } from '../../core/federated/aggregate.ts';
import { checkUpdate } from '../../core/federated/codec.ts';
import { resolveFederationSettings } from '../../core/federated/settings.ts';
import { optionError, type Fail } from '../../core/options.ts';
import { privacyBudget } from './budget.ts';
import type { FederationContext } from './context.ts';
import { deltaReader } from './deltas.ts';
import { unknownModel } from './errors.ts';
import { drain } from './intake.ts';
import { TokenDayLimit } from './limits.ts';
import { closeRound, publishRound } from './rounds.ts';
import { loadedState, type ModelState } from './state.ts';
import type { BudgetReset } from './store.ts';
import type { BudgetSummary, Federation, FederationOptions, RoundSummary, SubmitResult } from './types.ts';

const fail: Fail = optionError('federation');

/**
 * The federation's signing key, checked as `edge-recs keygen` key files are (`checkKeyFile`), private part
 * required; its `alg` must be there too, as keygen writes every private key file with it.
 */
function checkSigningKey(key: unknown): Required<KeyFile> {
  if (isRecord(key) && key.alg !== 'Ed25519') fail(`signingKey must be an Ed25519 key file from \`edge-recs keygen\` (alg "Ed25519", got ${show(key.alg)})`);
  try {
    return checkKeyFile(key, 'signingKey', { privateKey: 'required' }) as Required<KeyFile>;
  } catch (e) {
    if (e instanceof ContractError) fail(e.message);
    throw e;
  }
}

/** Builds a federation (intake + rounds) over a storage and a round store. @throws TypeError naming a bad option. */
export function createFederation(options: FederationOptions): Federation {
  const settings = resolveFederationSettings(options);
  const key = checkSigningKey(options.signingKey);
  const { storage, rounds: store } = options;
  const now = options.now ?? Date.now;
  const budget = privacyBudget(settings);
  const ctx: FederationContext = {
    settings,
    storage,
    store,
    key,
    publicKey: { keyId: key.keyId, publicKey: key.publicKey },
    gauss: options.normal ?? secureNormal(),
    now,
    budget,
    tokens: new TokenDayLimit(settings.maxUpdatesPerDay),
    popularity: options.popularity,
  };
  const { cohort } = settings;
  const models = new Map<string, Promise<ModelState>>();

  function stateOf(model: string): Promise<ModelState> {
    let p = models.get(model);
    if (!p) {
      p = (async () => {
        const st = loadedState(await store.load(model), cohort);
        // A crash between a round's commit and its publish: finish the publish now.
        const last = st.rounds.at(-1);
        if (last) await publishRound(ctx, last);
        while (st.pending.length >= cohort) await closeRound(ctx, model, st);
        return st;
      })();
      models.set(model, p);
      p.catch(() => models.delete(model));
    }
    return p;
  }

  return {
    publicKey: ctx.publicKey,

    reportItemCountsTo(sink) {
      ctx.popularity ??= sink;
    },

    async submit(input) {
      if (typeof input.tokenHash !== 'string' || !/^[0-9a-f]{32}$/.test(input.tokenHash)) throw new TypeError('submit: tokenHash must be tokenHash(clientToken)');
      if (typeof input.source !== 'string' || input.source === '') throw new TypeError('submit: source must be sourceKey(peer.address)');
      const update = checkUpdate(input.bytes, { maxRows: settings.aggregation.maxRowsPerClient });
      // Load state only for published models, so made-up names cannot fill memory.
      if (!models.has(update.model) && !(await storage.meta.getModel(update.model))) throw unknownModel(update.model);
      const st = await stateOf(update.model);
      return new Promise<SubmitResult>((resolve, reject) => {
        st.queue.push({ update, input, resolve, reject });
        if (!st.draining) void drain(ctx, update.model, st);
      });
    },

    delta: deltaReader(storage, stateOf),

    async rounds(model) {
      const names = model === undefined ? await store.models() : [model];
      const out: RoundSummary[] = [];
      for (const name of names.sort()) {
        const st = await stateOf(name);
        for (const r of st.rounds) {
          out.push({ model: r.model, round: r.round, closedAt: r.closedAt, updates: r.updates, sources: r.sources ?? null, epsilon: r.epsilon, totalEpsilon: r.totalEpsilon, version: r.version, status: r.status });
        }
      }
      return out;
    },

    async budget(model) {
      const names = model === undefined ? await store.models() : [model];
      const out: BudgetSummary[] = [];
      for (const name of names.sort()) out.push(budget.summarize(name, await stateOf(name), now()));
      return out;
    },

    async resetBudget(model, by) {
      if (typeof by !== 'string' || by === '') throw new TypeError('resetBudget: by must name who resets');
      if (!models.has(model) && !(await storage.meta.getModel(model))) {
        throw unknownModel(model);
      }
      const st = await stateOf(model);
      const before = budget.summarize(model, st, now());
      const reset: BudgetReset = {
        at: new Date(now()).toISOString(),
        by,
        afterRound: st.rounds.length,
        before: { totalEpsilon: before.totalEpsilon, todayEpsilon: before.todayEpsilon },
        after: { totalEpsilon: 0, todayEpsilon: 0 },
      };
      await store.recordReset(model, reset);
      st.resets.push(reset);
      return reset;
    },
  };
}
