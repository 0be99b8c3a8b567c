/**
 * The federated rounds of `edge-recs simulate`, with the real code of both sides: devices train with
 * `trainClientUpdate` and encode with the one codec; the server decodes and validates as its intake does
 * and aggregates with `RoundAggregator`. Attackers, when a run has them, take the first places of each
 * cohort.
 */
import type { GaussianAccounting } from '../../core/federated/accountant.ts';
import { gaussianEpsilon } from '../../core/federated/accountant.ts';
import { RoundAggregator, ServerAdam, type AggregationSettings } from '../../core/federated/aggregate.ts';
import { encodeClientUpdate, trainClientUpdate } from '../../core/federated/client.ts';
import { decodeUpdate } from '../../core/federated/codec.ts';
import { applyDelta, deltaNorm } from '../../core/federated/delta.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import type { NamedWeights } from '../../core/model/weights.ts';
import { normal, rng } from '../../core/random.ts';
import { split, type Dataset } from '../data/dataset.ts';
import type { SimulateOptions } from '../training/defaults.ts';
import { attackDirection, poisonUpdate } from './simulate-attack.ts';
import { evaluateWeights, type Evaluated } from './simulate-evaluate.ts';

/** What every run of one simulation shares. */
export interface RoundsSetup {
  options: SimulateOptions;
  config: ModelConfig;
  /** The start model's weights, where every run begins. */
  start: NamedWeights;
  data: Dataset;
  /** Each round's devices (user indices), the same in every run. */
  cohorts: readonly (readonly number[])[];
  evalUsers: readonly number[];
  /** The item attackers push (index). */
  target: number;
  /** The training sequences attackers know (`attackDirection`). */
  publicSequences: readonly number[][];
  accounting: GaussianAccounting;
  /** The intake refuses (does not clip) updates above this norm, defences or not: it is input validation. */
  maxUpdateNorm: number;
  log: (message: string) => void;
}

/** One run: its name in the log, the server's settings, attackers per cohort and the norm of their updates. */
export interface RunSettings {
  name: string;
  settings: AggregationSettings;
  attackers: number;
  /** Evaluate after every round (else after the last only). */
  evalEachRound: boolean;
  attackNorm: number;
}

export interface FederatedRun {
  weights: NamedWeights;
  perRound: Array<{ round: number; 'NDCG@10': number; epsilon: number }>;
  uploadBytes: number;
  benignUpdates: number;
  final: Evaluated;
}

/** Runs `options.rounds` rounds from the start model. */
export async function federatedRounds(setup: RoundsSetup, run: RunSettings): Promise<FederatedRun> {
  const { options: o, config, data, cohorts, evalUsers, target, publicSequences, accounting, maxUpdateNorm, log } = setup;
  const { name, settings, attackers, evalEachRound, attackNorm } = run;
  const runStarted = performance.now();
  let weights = setup.start;
  const perRound: FederatedRun['perRound'] = [];
  let uploadBytes = 0;
  let benignUpdates = 0;
  let last: Evaluated | undefined;
  // Same seeds in every run: the devices' local randomness and the server's noise differ only where the runs do.
  const clientRandom = rng(o.seed + 4);
  const gauss = normal(rng(o.seed + 5));
  const nonce = new Uint8Array(16);
  const optimizer = o.serverOptimizer === 'adam' ? new ServerAdam(o.serverAdam) : null;
  for (let r = 0; r < o.rounds; r++) {
    const version = `r${r}`;
    const aggregator = new RoundAggregator(config, settings);
    const direction = attackers > 0 ? await attackDirection(config, weights, publicSequences) : null;
    const cohort = cohorts[r]!;
    for (let i = 0; i < cohort.length; i++) {
      new DataView(nonce.buffer).setUint32(0, r * o.cohort + i);
      let bytes: Uint8Array;
      if (i < attackers) {
        bytes = poisonUpdate(config, version, target, direction!, attackNorm, nonce);
      } else {
        const sequence = split(data.sequences[cohort[i]!]!)!.train;
        if (sequence.length < 2) continue; // a device with one item has nothing to learn from yet
        const update = await trainClientUpdate({ config, weights }, sequence, {
          ...o.client,
          clipNorm: o.server.clipNorm,
          maxRows: o.server.maxRowsPerClient,
          random: clientRandom,
        });
        bytes = encodeClientUpdate(update.delta, { model: 'default', baseVersion: version, config, nonce }, o.density > 0 ? { density: o.density } : {});
        uploadBytes += bytes.byteLength;
        benignUpdates++;
      }
      // The server's intake: decode and validate, refusing more rows than one client may move and norms
      // past its limit.
      const update = decodeUpdate(bytes, { maxRows: settings.maxRowsPerClient });
      if (deltaNorm(update) <= maxUpdateNorm) aggregator.add(update);
    }
    const result = aggregator.finish(gauss);
    weights = applyDelta(weights, optimizer ? optimizer.step(result.delta, settings.serverLearningRate) : result.delta);
    const epsilon = gaussianEpsilon(accounting, r + 1);
    if (evalEachRound || r === o.rounds - 1) {
      last = await evaluateWeights(config, weights, data, evalUsers, target);
      perRound.push({ round: r + 1, 'NDCG@10': last.metrics['NDCG@10'], epsilon });
    }
    log(
      `${name}: round ${r + 1}/${o.rounds}: ${result.updates} updates (${result.clipped} clipped, mean norm ${result.meanNorm.toFixed(3)}), ${result.delta.rows.indices.length} rows released` +
        (last && perRound.at(-1)?.round === r + 1 ? `, NDCG@10 ${last.metrics['NDCG@10'].toFixed(4)}, target exposure ${last.exposure.toFixed(4)}` : '') +
        `, ε ${epsilon.toFixed(2)} (${((performance.now() - runStarted) / 1000).toFixed(0)} s)`,
    );
  }
  return { weights, perRound, uploadBytes, benignUpdates, final: last! };
}
