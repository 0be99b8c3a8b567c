/** The core app built from a Worker's bindings and vars. Kept out of `worker.ts` so Node tests can import it. */
import type { Hono } from 'hono';
import { createApp } from '../../app.ts';
import { r2CatalogStore, workersAnalytics } from './analytics.ts';
import { readAdminTokens, readAnalyticsConfig, readWorkerConfig, WorkerConfigError } from './config.ts';
import type { WorkerEnv } from './env.ts';
import { durableFederation, FederatedConfigError } from './federation.ts';
import { durableAdmission } from './admission.ts';
import { workersRegistry, workersStorage } from './registry-client.ts';
import { cloudflarePeer } from './peer.ts';
import { durableAdminSessions } from './admin-sessions.ts';
import { assetsWidget } from './widget-assets.ts';
import { workerdCompressor } from './compressor.ts';

/**
 * Builds the app: blobs in R2, records through the models' Durable Objects, the widget from static
 * assets. Touches no binding yet, so it can run before any request's I/O.
 * @throws WorkerConfigError naming the bad var, for anything `readWorkerConfig` or `createApp` refuses.
 */
export function buildWorkerApp(env: WorkerEnv): Hono {
  const { trustedKeys, allowedOrigins } = readWorkerConfig(env);
  const adminTokens = readAdminTokens(env);
  const analytics = readAnalyticsConfig(env);
  let federation;
  let admission;
  try {
    federation = durableFederation(env);
    admission = durableAdmission(env);
  } catch (err) {
    if (err instanceof FederatedConfigError) throw new WorkerConfigError(err.message);
    throw err;
  }
  try {
    return createApp({
      storage: workersStorage(env),
      trustedKeys,
      allowedOrigins,
      widget: assetsWidget(env.ASSETS),
      adminTokens,
      analytics: { ...analytics, store: workersAnalytics(env.ANALYTICS) },
      catalog: r2CatalogStore(env.BLOBS),
      // Publishes and record changes run in each model's Durable Object, the single writer of its record.
      registry: workersRegistry(env.MODELS),
      peer: cloudflarePeer,
      // The runtime encodes (br or gzip) as it sends; Cloudflare's edge re-encodes for clients that take neither.
      compressor: workerdCompressor,
      // Sessions and wrong-token counts in one Durable Object, so a logout holds on every isolate.
      adminSessions: durableAdminSessions(env.SESSIONS),
      // Rounds run in each model's Durable Object; the Worker forwards uploads and delta requests there.
      // Tokens are issued and redeemed in one Object, the deployment's single issuer (admission.ts).
      ...(federation ? { federated: { federation, ...(admission !== undefined ? { admission } : {}) } } : {}),
    });
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    // createApp names its option (`trustedKeys[0]`, `allowedOrigins[1]`); say which var that came from.
    const message = err.message
      .replace(/^createApp: /, '')
      .replace(/^trustedKeys/, 'TRUSTED_KEYS')
      .replace(/^allowedOrigins/, 'ALLOWED_ORIGINS')
      .replace(/^adminTokens/, 'ADMIN_TOKENS')
      .replace(/^analytics\./, 'ANALYTICS_CONFIG: ');
    throw new WorkerConfigError(message);
  }
}
