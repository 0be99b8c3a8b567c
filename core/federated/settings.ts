/**
 * A federation's round settings: cohort, clipping and noise, the privacy budget (ε per round, in total and
 * per day), the per-source share of a round, and the limits on one update. Defaults are written down
 * once here and checked once, when a federation is built (`createFederation` on the server) or simulated
 * (`edge-recs simulate`), so both run the same rounds.
 */
import { optionError, type Fail } from '../options.ts';
import { isRecord, show } from '../errors.ts';
import { gaussianEpsilon } from './accountant.ts';
import { AGGREGATION_DEFAULTS, defaultReleaseThreshold, roundNoiseMultiplier, type AggregationSettings } from './aggregate.ts';

/** The round settings a federation takes; every one is optional, with its default below. */
export interface FederationSettings {
  /**
   * K: updates per round (the minimum cohort). Default 1000: each device moves the mean by at most C/K,
   * and the noise on the mean, z·C/K, shrinks with K while ε does not depend on it; at the default
   * z = 4 a cohort of 1000 keeps the noise at C/250 per coordinate.
   * @example cohort: 500
   */
  cohort?: number;
  /**
   * Clipping, noise and row-release settings. Default `AGGREGATION_DEFAULTS` (`core/federated/aggregate.ts`):
   * C = 1, z = z_c = 4, 64 rows per device, rows clipped to 0.25, rows released at 3σ of the count noise,
   * no trimming (`trim: 0.1` trims 10% from each end of every dense coordinate; ε then holds for
   * replace-one adjacency, at twice the noise).
   * @example { clipNorm: 0.5, noiseMultiplier: 2 }
   */
  aggregation?: Partial<AggregationSettings>;
  /** δ of the reported (ε, δ). Default 1e-6: below one over the number of devices of a large shop. @example 1e-7 */
  delta?: number;
  /**
   * Total ε past which no round is published (and no update accepted). Default 10: the upper end of
   * what deployed DP systems report per user, and the figure issue 6's benchmark targets. An admin may
   * reset it (`POST /v1/admin/privacy-budget/:model/reset`, recorded); the guarantee then holds per
   * period between resets.
   * @example epsilonBudget: 8
   */
  epsilonBudget?: number;
  /**
   * ε a model may spend per UTC day: the increase of its total ε (composed, since the last reset) from the
   * rounds published that day. Once the next round would pass it, updates get 429 `epsilon_daily_cap`
   * until midnight UTC. Default: one round's ε at the configured noise and δ (1.92 at the defaults), so a
   * flood of updates publishes at most one fresh round's worth a day: the default budget of 10 then lasts
   * at least 6 days (1, 2, 3, 4, 5, 6 rounds a day as composition makes each round cheaper; 21 rounds). Must be at least one round's ε, or no round could ever be published.
   * @example epsilonPerDay: 4
   */
  epsilonPerDay?: number;
  /**
   * The largest share of a round's cohort that updates from one network source (`sourceKey` of the
   * client address: IPv4 as is, IPv6 by /64; behind a trusted proxy, the address it forwards) may fill,
   * whatever client tokens they carry. Past it an update gets 429 `source_share_exceeded` and is not
   * stored. Default 0.02: at most 2% of a round, i.e. 20 of a cohort of 1000; at least 1 update a round
   * whatever the cohort (so 1 of a cohort of 50). Counted per round by a keyed hash of the source that is
   * deleted with the round (`RoundStore.roundKey`), so it links nobody across rounds.
   * @example maxSourceShare: 0.01
   */
  maxSourceShare?: number;
  /**
   * A round is published only when its updates came from at least this many distinct network sources;
   * otherwise it closes as `too_few_sources`, publishes nothing and spends no ε. Default: the fewest
   * sources a full round can have under `maxSourceShare`, ⌈cohort / max(1, ⌊share × cohort⌋)⌉ (50 for
   * the defaults; 50 for a cohort of 50), so with the defaults every round that fills is published and
   * the check holds by construction; it stays a guarantee when the share or the cohort changes under
   * stored updates. Raise it to demand more sources. At most the cohort.
   * @example minSources: 200
   */
  minSources?: number;
  /**
   * Updates with an L2 norm above this are refused (400) rather than clipped: no honest device sends
   * them. Default 100 × clipNorm.
   * @example maxUpdateNorm: 10
   */
  maxUpdateNorm?: number;
  /**
   * Updates one client token may send per rolling 24 h, beyond the one-per-round rule. Default 24:
   * more than any honest device's schedule, few enough to slow a script. Counted in memory (it restarts
   * with the process); the one-per-round rule is durable.
   * @example maxUpdatesPerDay: 4
   */
  maxUpdatesPerDay?: number;
}

export interface ResolvedFederationSettings {
  cohort: number;
  aggregation: AggregationSettings;
  delta: number;
  epsilonBudget: number;
  epsilonPerDay: number;
  /** Share cap as a count: updates one source may put in a round, max(1, ⌊maxSourceShare × cohort⌋). */
  maxUpdatesPerSource: number;
  maxSourceShare: number;
  minSources: number;
  maxUpdateNorm: number;
  maxUpdatesPerDay: number;
}

/** Default `maxSourceShare`: the "at most 2% of a round from one source". */
const DEFAULT_SOURCE_SHARE = 0.02;

const fail: Fail = optionError('federation');

/** Checks the options once, when the federation is built. @throws TypeError naming the option. */
export function resolveFederationSettings(options: FederationSettings): ResolvedFederationSettings {
  const positive = (name: string, v: unknown, integer = false): number => {
    if (typeof v !== 'number' || !(v > 0) || (integer && !Number.isInteger(v))) fail(`${name} must be a positive ${integer ? 'integer' : 'number'} (got ${show(v)})`);
    return v;
  };
  if (!isRecord(options.aggregation ?? {})) fail('aggregation must be an object');
  const agg = { ...AGGREGATION_DEFAULTS, ...(options.aggregation ?? {}) };
  // The default threshold follows the count noise actually configured.
  if (options.aggregation?.releaseThreshold === undefined) agg.releaseThreshold = defaultReleaseThreshold(agg);
  positive('aggregation.clipNorm', agg.clipNorm);
  positive('aggregation.rowClipNorm', agg.rowClipNorm);
  positive('aggregation.maxRowsPerClient', agg.maxRowsPerClient, true);
  positive('aggregation.serverLearningRate', agg.serverLearningRate);
  for (const key of ['noiseMultiplier', 'countNoiseMultiplier'] as const) {
    if (typeof agg[key] !== 'number' || !(agg[key] >= 0)) fail(`aggregation.${key} must be a number >= 0 (got ${show(agg[key])})`);
  }
  if (typeof agg.trim !== 'number' || !(agg.trim >= 0 && agg.trim < 0.5)) fail(`aggregation.trim must be a fraction in [0, 0.5) (got ${show(agg.trim)})`);
  if (agg.releaseThreshold !== 'all' && (typeof agg.releaseThreshold !== 'number' || Number.isNaN(agg.releaseThreshold))) {
    fail(`aggregation.releaseThreshold must be a number of devices or "all" (got ${show(agg.releaseThreshold)})`);
  }
  const delta = options.delta ?? 1e-6;
  if (!(delta > 0 && delta < 1)) fail(`delta must be in (0, 1) (got ${show(delta)})`);
  const cohort = positive('cohort', options.cohort ?? 1000, true);
  const maxSourceShare = options.maxSourceShare ?? DEFAULT_SOURCE_SHARE;
  if (typeof maxSourceShare !== 'number' || !(maxSourceShare > 0 && maxSourceShare <= 1)) fail(`maxSourceShare must be a fraction of the cohort in (0, 1], e.g. 0.02 (got ${show(maxSourceShare)})`);
  const maxUpdatesPerSource = Math.max(1, Math.floor(maxSourceShare * cohort + 1e-9));
  const minSources = options.minSources ?? Math.ceil(cohort / maxUpdatesPerSource);
  positive('minSources', minSources, true);
  if (minSources > cohort) fail(`minSources must be at most the cohort (${cohort}) (got ${minSources})`);
  const oneRound = gaussianEpsilon({ noiseMultiplier: roundNoiseMultiplier(agg), delta }, 1);
  const epsilonPerDay = options.epsilonPerDay ?? oneRound;
  positive('epsilonPerDay', epsilonPerDay);
  if (epsilonPerDay < oneRound - 1e-9) fail(`epsilonPerDay must be at least one round's ε (${oneRound.toFixed(3)} at this noise and δ), or no round could be published (got ${show(epsilonPerDay)})`);
  return {
    cohort,
    aggregation: agg,
    delta,
    epsilonBudget: positive('epsilonBudget', options.epsilonBudget ?? 10),
    epsilonPerDay,
    maxUpdatesPerSource,
    maxSourceShare,
    minSources,
    maxUpdateNorm: positive('maxUpdateNorm', options.maxUpdateNorm ?? 100 * agg.clipNorm),
    maxUpdatesPerDay: positive('maxUpdatesPerDay', options.maxUpdatesPerDay ?? 24, true),
  };
}
