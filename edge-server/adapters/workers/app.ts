/** The core app built from a Worker's bindings and vars. Kept out of `worker.ts` so Node tests can import it. */
import type { Hono } from 'hono';
import { createApp } from '../../app.ts';
import { readWorkerConfig, WorkerConfigError, type WorkerEnv } from './config.ts';
import { workersStorage } from './storage.ts';
import { assetsWidget } from './widget-assets.ts';

/**
 * Builds the app: blobs in R2, records through the models' Durable Objects, the widget from static
 * assets. Touches no binding yet, so it can run before any request's I/O.
 * @throws WorkerConfigError naming the bad var, for anything `readWorkerConfig` or `createApp` refuses.
 */
export function buildWorkerApp(env: WorkerEnv): Hono {
  const { trustedKeys, allowedOrigins } = readWorkerConfig(env);
  try {
    return createApp({ storage: workersStorage(env), trustedKeys, allowedOrigins, widget: assetsWidget(env.ASSETS) });
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    // createApp names its option (`trustedKeys[0]`, `allowedOrigins[1]`); say which var that came from.
    const message = err.message
      .replace(/^createApp: /, '')
      .replace(/^trustedKeys/, 'TRUSTED_KEYS')
      .replace(/^allowedOrigins/, 'ALLOWED_ORIGINS');
    throw new WorkerConfigError(message);
  }
}
