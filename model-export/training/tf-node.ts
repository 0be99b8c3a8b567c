import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Registers tfjs' gradients (tfjs-core alone has none). Its Node build is CommonJS, which Node can load;
// tfjs-core's ESM `register_all_gradients` uses extensionless imports Node's ESM loader rejects.
import '@tensorflow/tfjs';
import { CliError } from '../errors.ts';

const NODE_BACKENDS = ['wasm', 'cpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

/**
 * Selects a tfjs backend in Node. WASM is the default: `@tensorflow/tfjs-node` cannot be installed
 * without downloading a native library, and WASM (SIMD) runs the model several times faster than the
 * pure-JS CPU backend.
 */
export async function useBackend(name: NodeBackend = 'wasm'): Promise<void> {
  if (!NODE_BACKENDS.includes(name)) throw new CliError(`--backend must be one of ${NODE_BACKENDS.join(', ')} (got "${name}")`, 2);
  // Production mode silences tfjs' advert for tfjs-node, which is noise to CLI users.
  tf.enableProdMode();
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) throw new CliError(`could not start the tfjs ${name} backend`);
}
