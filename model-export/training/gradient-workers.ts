/**
 * Data-parallel gradients on every core: worker threads (`train-worker.ts`), each with a replica of the
 * model and its Adam optimizer on its own tfjs backend (tfjs-wasm runs one thread per instance in Node).
 * Each step the main thread sends every worker a shard of the batch's rows with the step's draws, sums the
 * shards' gradients in worker order and sends the sum back to every worker, which applies the same Adam
 * step, so the replicas stay bit-identical and the same seed with the same number of workers gives the
 * same weights.
 */
import { Worker } from 'node:worker_threads';
import type { ModelConfig } from '../../core/model/config.ts';
import type { ItemFeatures } from '../../core/model/features.ts';
import type { Batch } from '../../core/model/training.ts';
import type { NamedWeights } from '../../core/model/weights.ts';
import { batchShard, shardCount, sumGradients, type HostGradients, type StepDraws } from './step.ts';
import type { NodeBackend } from './tf-node.ts';
import type { WorkerReply, WorkerRequest } from './train-worker.ts';

/** What each worker's replica starts from: the same for all of them. */
export interface ReplicaSetup {
  backend: NodeBackend;
  config: ModelConfig;
  weights: NamedWeights;
  features?: ItemFeatures;
  learningRate: number;
}

/** One worker and the replies it owes, oldest first (a worker answers its requests in order). */
class Channel {
  private readonly pending: { resolve: (reply: WorkerReply) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;
  private closing = false;

  constructor(
    private readonly worker: Worker,
    private readonly index: number,
  ) {
    worker.on('message', (reply: WorkerReply) => {
      const waiting = this.pending.shift();
      if (reply.kind === 'error') this.fail(new Error(`training worker ${index} failed: ${reply.message}`), waiting);
      else waiting?.resolve(reply);
    });
    worker.on('error', (e) => this.fail(new Error(`training worker ${index} failed: ${e.stack ?? e.message}`)));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`training worker ${index} exited (code ${code}) in the middle of training`));
    });
  }

  /** Every later request fails with `e`; so do the one that failed (`first`) and those still waiting. */
  private fail(e: Error, first?: { reject: (e: Error) => void }): void {
    this.failure ??= e;
    first?.reject(e);
    for (const p of this.pending.splice(0)) p.reject(e);
  }

  /** Sends a request that needs no answer (an error in it fails the next request). */
  post(request: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(request, transfer);
  }

  request<K extends WorkerReply['kind']>(request: WorkerRequest, kind: K): Promise<Extract<WorkerReply, { kind: K }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({
        resolve: (reply) => (reply.kind === kind ? resolve(reply as Extract<WorkerReply, { kind: K }>) : reject(new Error(`training worker ${this.index} answered "${reply.kind}" to "${request.kind}"`))),
        reject,
      });
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}

export class GradientWorkers {
  private constructor(
    private readonly channels: Channel[],
    /** The model's parameter names in its order: the order gradients are applied in. */
    private readonly order: readonly string[],
  ) {}

  /** Starts `count` workers, each with a replica of `setup`; they are all stopped again if one fails to start. */
  static async start(count: number, setup: ReplicaSetup): Promise<GradientWorkers> {
    if (!Number.isInteger(count) || count < 1) throw new Error(`GradientWorkers: count must be a positive integer (got ${count})`);
    const channels: Channel[] = [];
    try {
      for (let i = 0; i < count; i++) {
        // No execArgv of the parent's (a tsx or vitest loader): the entry registers tsx itself.
        channels.push(new Channel(new Worker(new URL('./train-worker.mjs', import.meta.url), { execArgv: [] }), i));
      }
      await Promise.all(channels.map((c) => c.request({ kind: 'init', ...setup }, 'ready')));
      return new GradientWorkers(channels, [...setup.weights.keys()]);
    } catch (e) {
      await Promise.all(channels.map((c) => c.close()));
      throw e;
    }
  }

  get size(): number {
    return this.channels.length;
  }

  /**
   * One Adam step on every replica: `batch` cut into one shard of rows per worker (fewer where it has
   * fewer rows), each shard's gradient computed with `draws`, summed in shard order and applied
   * everywhere. Returns the batch's loss (the shards' losses, summed in the same order).
   */
  async step(batch: Batch, draws: StepDraws): Promise<number> {
    const count = shardCount(batch.inputs.batch, this.channels.length);
    const shards: HostGradients[] = await Promise.all(
      Array.from({ length: count }, (_, i) => this.channels[i]!.request({ kind: 'grads', batch: batchShard(batch, i, count), draws, shard: i }, 'grads')),
    );
    const grads = sumGradients(shards, this.order);
    // Each post but the last copies the sum; the last hands its buffers over.
    this.channels.forEach((c, i) => c.post({ kind: 'apply', grads }, i === this.channels.length - 1 ? grads.map(([, v]) => v.buffer as ArrayBuffer) : []));
    let loss = 0;
    for (const s of shards) loss += s.loss;
    return loss;
  }

  /** Sets every replica's learning rate from the next step on (requests are served in order). */
  setLearningRate(learningRate: number): void {
    for (const c of this.channels) c.post({ kind: 'lr', learningRate });
  }

  /** The replicas' current weights (worker 0's; all hold the same). */
  async weights(): Promise<NamedWeights> {
    return (await this.channels[0]!.request({ kind: 'weights' }, 'weights')).weights;
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.close()));
  }
}
