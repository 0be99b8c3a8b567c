/**
 * The edge server on Cloudflare Workers: `createApp` (the same app `adapters/node` serves) on R2,
 * Durable Objects and static assets. Bindings and vars: `config.ts`; deployment: `wrangler.toml`.
 */
import type { ExecutionContext } from '@cloudflare/workers-types/latest/index.ts';
import type { Hono } from 'hono';
import { buildWorkerApp } from './app.ts';
import { WorkerConfigError } from './config.ts';
import type { WorkerEnv } from './env.ts';

export { ModelRegistry } from './model-registry.ts';
export { Analytics } from './analytics-object.ts';
export { AdminSessions } from './admin-sessions-object.ts';

/**
 * One app per isolate, built (and its vars checked) on the first request: a module Worker sees its
 * env no earlier. A bad var is remembered too, so it is logged once and every request gets the same
 * clear 500 rather than a server that half works.
 */
const apps = new WeakMap<WorkerEnv, Hono | WorkerConfigError>();

function appFor(env: WorkerEnv): Hono | WorkerConfigError {
  let app = apps.get(env);
  if (!app) {
    try {
      app = buildWorkerApp(env);
    } catch (err) {
      if (!(err instanceof WorkerConfigError)) throw err;
      console.error(`edge-recs worker: ${err.message}`);
      app = err;
    }
    apps.set(env, app);
  }
  return app;
}

/**
 * Typed with the DOM's `Request`/`Response`, which the app is written against, rather than
 * workers-types' `ExportedHandler`, whose own `Request`/`Response` the app's types do not know.
 */
export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    const app = appFor(env);
    if (app instanceof WorkerConfigError) {
      // The vars hold public configuration only (origins, public keys), and the operator needs to see which is wrong.
      return Response.json({ error: { code: 'misconfigured', message: app.message } }, { status: 500, headers: { 'Cache-Control': 'no-store' } });
    }
    return app.fetch(request, env, ctx);
  },
};
