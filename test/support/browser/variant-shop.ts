/**
 * Node side of the variant shop (`variant-fixture.ts`), loaded by `web-test-runner.config.mjs` for
 * requests under `/variants/`: the real edge server (`createApp`, memory storage), its catalog uploaded
 * as the shop's TSV feed through the admin API, and a tiny signed model whose items are the catalog's
 * variant groups (`groupIndex`), as `edge-recs train --catalog` makes them, published as `default` and as
 * `BESTSELLER_MODEL`. Nothing is mocked.
 */
import { buildArtifact } from '../../../core/artifact/artifact.ts';
import { generateKeyFile } from '../../../core/artifact/signing.ts';
import { groupIndex } from '../../../core/catalog.ts';
import { parseTsvFeed } from '../../../core/catalog-feed.ts';
import type { ModelConfig } from '../../../core/model/config.ts';
import { initWeights } from '../../../core/model/weights.ts';
import { createApp } from '../../../edge-server/app.ts';
import { createMemoryStorage } from '../../../edge-server/models/memory-storage.ts';
import { publishArtifact } from '../../../edge-server/models/registry.ts';
import { memoryWidget } from '../edge-server/fixtures.ts';
import { BESTSELLER_MODEL, VARIANT_ADMIN_TOKEN, VARIANT_FEED } from './variant-fixture.ts';

export async function startVariantShop(): Promise<{ fetch(request: Request): Promise<Response> }> {
  const key = await generateKeyFile();
  const trustedKeys = [{ keyId: key.keyId, publicKey: key.publicKey }];
  const storage = createMemoryStorage();
  const itemIds = [...groupIndex(parseTsvFeed(VARIANT_FEED)).groups.keys()];
  const config: ModelConfig = { numItems: itemIds.length, dim: 8, blocks: 1, heads: 1, maxLen: 10 };
  const weights = initWeights(config, 11);
  for (const name of ['default', BESTSELLER_MODEL]) {
    const artifact = await buildArtifact({ name, version: 'v1', config, itemIds, weights, quantization: 'float32' }, key);
    await publishArtifact(storage, artifact, { trusted: trustedKeys });
  }
  // The widget itself comes from the main test server (`/widget/edge-recs.js`); this one serves `/v1/*`.
  const app = createApp({ storage, trustedKeys, widget: memoryWidget({}), adminTokens: [VARIANT_ADMIN_TOKEN], analytics: { suppressBelow: 1 } });
  const upload = await app.request('/v1/admin/catalog', {
    method: 'PUT',
    headers: { Authorization: `Bearer ${VARIANT_ADMIN_TOKEN}`, 'Content-Type': 'text/tab-separated-values' },
    body: VARIANT_FEED,
  });
  if (upload.status !== 200) throw new Error(`the variant shop's feed was refused: ${await upload.text()}`);
  return { fetch: (request) => Promise.resolve(app.fetch(request)) };
}
