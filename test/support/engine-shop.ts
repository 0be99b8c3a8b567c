/**
 * A shop for widget tests that need the page's engine but no browser: the real `Engine` in Node against a
 * real edge server on a loopback port (`serveNode`, memory storage), whose catalog is the shop's Merchant
 * Center TSV feed, uploaded through the admin API. No model is published, so rows come from the shopper's
 * own events and the catalog. Nothing is mocked.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { serveNode, type NodeServer } from '../../edge-server/adapters/node/serve.ts';
import { createApp } from '../../edge-server/app.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { memoryWidget } from './edge-server/fixtures.ts';
import type { Engine } from '../../widget/engine/engine.ts';

const ADMIN_TOKEN = 'engine-shop-admin-token-0123456789';

export interface EngineShopOptions {
  /** The catalog, as a Merchant Center TSV feed (`PUT /v1/admin/catalog`), e.g. `'id\ttitle\t…\nmug\tMug\t…'`. */
  feed: string;
  /**
   * The shopper's consent. Default: neither storage nor analytics, so nothing outlives the engine and
   * nothing is counted; a test of attribution gives analytics.
   * @example { storage: false, analytics: true }
   */
  consent?: { storage: boolean; analytics: boolean };
}

/**
 * The engine shop for the tests of one file: its edge server and engine started before them
 * (`beforeAll`), the server closed after them. Read `engine` from the returned object in tests and hooks.
 */
export function useEngineShop(options: EngineShopOptions): { readonly engine: Engine } {
  const started = {} as { engine: Engine };
  let server: NodeServer | undefined;
  beforeAll(async () => {
    // The production build's setting (no development warnings); the bundler defines it in the browser.
    (globalThis as { __EDGE_RECS_DEV__?: boolean }).__EDGE_RECS_DEV__ = false;
    const app = createApp({ storage: createMemoryStorage(), trustedKeys: [], widget: memoryWidget({}), adminTokens: [ADMIN_TOKEN] });
    const upload = await app.request('/v1/admin/catalog', {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'text/tab-separated-values' },
      body: options.feed,
    });
    expect(upload.status, await upload.clone().text()).toBe(200);
    server = await serveNode({ port: 0, hostname: '127.0.0.1', app });
    // Imported once the flag is set, as the page's loader imports the engine chunk.
    const { Engine } = await import('../../widget/engine/engine.ts');
    started.engine = new Engine({
      config: { server: server.url, model: 'default', trusted: [], locale: 'en', consent: 'required', assetBase: '/', backend: 'cpu' },
      warn: () => undefined,
      consent: options.consent ?? { storage: false, analytics: false },
    });
    await started.engine.ready;
  });
  afterAll(async () => {
    await server?.close();
  });
  return started;
}
