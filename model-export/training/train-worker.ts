/**
 * A training worker (`gradient-workers.ts`): holds a replica of the model being trained and its Adam
 * optimizer, computes the gradients of the shards it is sent (`hostGradients`, the code the main thread
 * runs when it trains alone) and applies the summed gradients it gets back, the same on every replica, so
 * the replicas stay bit-identical. Requests are served one at a time, in the order they arrive.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../../core/model/config.ts';
import type { ItemFeatures } from '../../core/model/features.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import type { Batch } from '../../core/model/training.ts';
import type { NamedWeights } from '../../core/model/weights.ts';
import { applyHostGradients, hostGradients, setLearningRate, type HostGradients, type StepDraws } from './step.ts';
import { useBackend, type NodeBackend } from './tf-node.ts';

/** What the main thread asks of a worker; `grads` and `weights` are answered by the reply of that kind, `init` by `ready`. */
export type WorkerRequest =
  | { kind: 'init'; backend: NodeBackend; config: ModelConfig; weights: NamedWeights; features?: ItemFeatures; learningRate: number }
  | { kind: 'grads'; batch: Batch; draws: StepDraws; shard: number }
  | { kind: 'apply'; grads: [string, Float32Array][] }
  | { kind: 'lr'; learningRate: number }
  | { kind: 'weights' };

export type WorkerReply = { kind: 'ready' } | ({ kind: 'grads' } & HostGradients) | { kind: 'weights'; weights: NamedWeights } | { kind: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('train-worker.ts runs as a worker thread (gradient-workers.ts starts it)');

let replica: { model: SasRec; optimizer: tf.Optimizer } | undefined;

async function serve(request: WorkerRequest): Promise<WorkerReply | undefined> {
  if (request.kind === 'init') {
    await useBackend(request.backend);
    const model = SasRec.fromWeights(request.config, request.weights, { trainable: true, ...(request.features && { features: request.features }) });
    replica = { model, optimizer: tf.train.adam(request.learningRate) };
    return { kind: 'ready' };
  }
  if (!replica) throw new Error(`a "${request.kind}" request before "init"`);
  switch (request.kind) {
    case 'grads': {
      const out = await hostGradients(replica.model, request.batch, request.draws, request.shard);
      return { kind: 'grads', ...out };
    }
    case 'apply':
      applyHostGradients(replica.model, replica.optimizer, request.grads);
      return undefined;
    case 'lr':
      setLearningRate(replica.optimizer, request.learningRate);
      return undefined;
    case 'weights':
      return { kind: 'weights', weights: await replica.model.exportWeights() };
  }
}

let queue: Promise<unknown> = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue
    .then(() => serve(request))
    .then((reply) => {
      if (reply?.kind === 'grads') port.postMessage(reply, reply.grads.map(([, values]) => values.buffer as ArrayBuffer));
      else if (reply) port.postMessage(reply);
    })
    .catch((e: unknown) => port.postMessage({ kind: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies WorkerReply));
});
