/**
 * A tfjs backend for Node tests, selected exactly as the CLI selects one (`model-export/training/tf-node.ts`
 * `useBackend`): the same backends and gradients registered, production mode on, and the backend checked
 * after `tf.ready()`. Tests in `core/` and `edge-server/` use it instead of importing the CLI's module.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Registers tfjs' gradients (tfjs-core alone has none); see `model-export/training/tf-node.ts` for why the full package.
import '@tensorflow/tfjs';

/** Selects tfjs backend `name` (`cpu`: the pure-JS backend, deterministic across machines) and waits for it. */
export async function useTestBackend(name: 'cpu' | 'wasm' = 'cpu'): Promise<void> {
  tf.enableProdMode();
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) throw new Error(`could not start the tfjs ${name} backend`);
}
