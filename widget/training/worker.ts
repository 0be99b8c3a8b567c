/**
 * The training worker (a module Web Worker): fine-tunes the model on the shopper's sequence off the main
 * thread, so the page never waits for it. tfjs' CPU backend: the job is a few steps on a 64-row slice of
 * the item table, small enough that the pure-JS kernels finish in well under a second, and it needs no
 * WASM or GPU set-up inside the worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core registers no gradients by itself (see core/model/training.ts).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { TrainingJob } from './protocol.ts';
import { runJob } from './run-job.ts';

const ready = tf.setBackend('cpu').then(() => tf.ready());

addEventListener('message', (event: MessageEvent<TrainingJob>) => {
  void (async () => {
    await ready;
    const result = await runJob(event.data);
    // The DOM lib types `postMessage` as Window's; in a worker the second argument is the transfer list.
    (self as unknown as Worker).postMessage(result, result.ok ? [result.bytes.buffer as ArrayBuffer] : []);
  })();
});
