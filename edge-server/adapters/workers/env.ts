/** The Worker's environment: the bindings `wrangler.toml` declares and the vars that configure it. */
import type { DurableObjectNamespace, Fetcher, R2Bucket } from '@cloudflare/workers-types/latest/index.ts';
import type { AdminSessions } from './admin-sessions-object.ts';
import type { Analytics } from './analytics-object.ts';
import type { WorkerVars } from './config.ts';
import type { ModelRegistry } from './model-registry.ts';

/** What `wrangler.toml` binds; the names are the contract between the two. */
export interface WorkerEnv extends WorkerVars {
  /** R2 bucket of content-addressed blobs (`blobs/<sha256>`): shards, item maps, manifests. */
  BLOBS: R2Bucket;
  /** One `ModelRegistry` Durable Object per model name: the single writer of that model's record. */
  MODELS: DurableObjectNamespace<ModelRegistry>;
  /** Workers static assets: the built widget (`dist/` of `npm run build`), served at `/widget/*`. */
  ASSETS: Fetcher;
  /** One `Analytics` Durable Object per model name: its summed counters, trending sums and bestsellers. */
  ANALYTICS: DurableObjectNamespace<Analytics>;
  /** The one `AdminSessions` Durable Object: live dashboard sessions and wrong admin tokens per source. */
  SESSIONS: DurableObjectNamespace<AdminSessions>;
}
