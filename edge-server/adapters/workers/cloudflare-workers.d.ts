/**
 * The `cloudflare:workers` module that workerd provides at run time. Its types come from
 * `@cloudflare/workers-types` in its importable form (`latest/index.ts`), which exports the Workers
 * types instead of declaring them globally: the package's usual `/// <reference types>` would swap
 * `Request`, `Response` and friends for the whole program, widget and CLI included.
 */
declare module 'cloudflare:workers' {
  import type { CloudflareWorkersModule } from '@cloudflare/workers-types/latest/index.ts';

  export const DurableObject: typeof CloudflareWorkersModule.DurableObject;
  export type DurableObject<Env = unknown> = CloudflareWorkersModule.DurableObject<Env>;
}
