/**
 * A shop with variants whose model was trained without `--catalog` (its items are variant ids) still gets
 * model-ranked rows: the pure mapping (`modelItems`), and the page's real `Engine` in Node against a real
 * edge server on a loopback port (`serveNode`, memory storage, the shop's Merchant Center TSV feed, a
 * signed model of variant ids), ranking on tfjs' CPU backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact } from '../../core/artifact/artifact.ts';
import { generateKeyFile } from '../../core/artifact/signing.ts';
import { parseTsvFeed } from '../../core/catalog-feed.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { initWeights } from '../../core/model/weights.ts';
import { serveNode, type NodeServer } from '../../edge-server/adapters/node/serve.ts';
import { createApp } from '../../edge-server/app.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { publishArtifact } from '../../edge-server/models/registry.ts';
import { memoryWidget } from '../support/edge-server/fixtures.ts';
import { cardCatalog } from '../../widget/ranking/card-catalog.ts';
import type { Engine } from '../../widget/engine/engine.ts';
import { modelItems } from '../../widget/ranking/model-items.ts';

const IMAGE = 'https://shop.example/i.png';
const HEADER = ['id', 'item_group_id', 'title', 'link', 'image_link', 'price', 'availability', 'product_type'];
/** A jacket in three sizes (S sold out, so its card shows M), a hat in two, and three products without variants. */
const ROWS = [
  ['jacket S', 'jacket', 'Jacket, size S', 'https://shop.example/p/jacket?s=S', IMAGE, '89.00 EUR', 'out of stock', 'Apparel > Jackets'],
  ['jacket M', 'jacket', 'Jacket, size M', 'https://shop.example/p/jacket?s=M', IMAGE, '89.00 EUR', 'in stock', 'Apparel > Jackets'],
  ['jacket L', 'jacket', 'Jacket, size L', 'https://shop.example/p/jacket?s=L', IMAGE, '89.00 EUR', 'in stock', 'Apparel > Jackets'],
  ['hat 1', 'hat', 'Hat, small', 'https://shop.example/p/hat?s=1', IMAGE, '25.00 EUR', 'in stock', 'Apparel > Hats'],
  ['hat 2', 'hat', 'Hat, large', 'https://shop.example/p/hat?s=2', IMAGE, '25.00 EUR', 'in stock', 'Apparel > Hats'],
  ['mug', '', 'Mug', 'https://shop.example/p/mug', IMAGE, '12.00 EUR', 'in stock', 'Home > Kitchen'],
  ['tea pot', '', 'Tea pot', 'https://shop.example/p/tea-pot', IMAGE, '39.00 EUR', 'in stock', 'Home > Kitchen'],
  ['scarf', '', 'Scarf', 'https://shop.example/p/scarf', IMAGE, '35.00 EUR', 'in stock', 'Apparel > Scarves'],
];
const FEED = [HEADER, ...ROWS].map((row) => row.join('\t')).join('\n');
/** The model's items as `edge-recs train` without `--catalog` learns them: the ids in the events. The hat's large size was never bought. */
const VARIANT_IDS = ['jacket S', 'jacket L', 'jacket M', 'hat 1', 'mug', 'tea pot', 'scarf'];

describe('modelItems', () => {
  const catalog = cardCatalog(parseTsvFeed(FEED));

  it('reads a group the model does not know as its shown variant, else the first variant the model knows', () => {
    const items = modelItems(VARIANT_IDS, catalog);
    expect(items.input('jacket')).toBe('jacket M');
    expect(items.input('hat')).toBe('hat 1');
    expect(items.input('mug')).toBe('mug');
    expect(items.input('not in the catalog')).toBe('not in the catalog');
    expect(items.ids('jacket')).toEqual(['jacket', 'jacket S', 'jacket M', 'jacket L']);
    expect(items.ids('mug')).toEqual(['mug']);
  });

  it('leaves a model of group keys as it is', () => {
    const items = modelItems(['jacket', 'hat', 'mug', 'tea pot', 'scarf'], catalog);
    for (const key of ['jacket', 'hat', 'mug']) {
      expect(items.input(key)).toBe(key);
      expect(items.ids(key)).toEqual([key]);
    }
  });
});

describe('a model of variant ids in the page\'s engine', () => {
  let server: NodeServer;
  let engine: Engine;
  const warnings: string[] = [];

  beforeAll(async () => {
    // Development-build warnings on, so a ranking failure would be told.
    (globalThis as { __EDGE_RECS_DEV__?: boolean }).__EDGE_RECS_DEV__ = true;
    const key = await generateKeyFile();
    const trustedKeys = [{ keyId: key.keyId, publicKey: key.publicKey }];
    const storage = createMemoryStorage();
    const config: ModelConfig = { numItems: VARIANT_IDS.length, dim: 8, blocks: 1, heads: 1, maxLen: 10 };
    // Its chosen-next table names variants too: after the small hat, shoppers chose the mug, the scarf and the tea pot.
    const nextSteps = { window: 1, minUsers: 5, perItem: 20, next: new Map([['hat 1', ['mug', 'scarf', 'tea pot']]]) };
    await publishArtifact(storage, await buildArtifact({ name: 'default', version: 'v1', config, itemIds: VARIANT_IDS, weights: initWeights(config, 5), quantization: 'float32', nextSteps }, key), { trusted: trustedKeys });
    const token = 'variant-model-token-0123456789';
    const app = createApp({ storage, trustedKeys, widget: memoryWidget({}), adminTokens: [token] });
    const upload = await app.request('/v1/admin/catalog', { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/tab-separated-values' }, body: FEED });
    expect(upload.status, await upload.clone().text()).toBe(200);
    server = await serveNode({ port: 0, hostname: '127.0.0.1', app });
    const { Engine } = await import('../../widget/engine/engine.ts');
    engine = new Engine({
      config: { server: server.url, model: 'default', trusted: trustedKeys, locale: 'en', consent: 'required', assetBase: '/', backend: 'cpu' },
      warn: (message) => warnings.push(message),
      consent: { storage: false, analytics: false },
    });
    await engine.ready;
    for (let i = 0; i < 200 && engine.state.status === 'loading'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(engine.state.status, engine.state.error).toBe('ready');
  });

  afterAll(async () => {
    await server?.close();
  });

  it('ranks after a view of the jacket with the model, names the jacket as the reason, and offers none of its sizes', async () => {
    await engine.track('view_item', { items: [{ item_id: 'jacket L' }] });
    const cards = await engine.recommend({ placement: 'for-you', count: 4 });
    expect(cards.map((c) => c.tier)).toEqual(['personal', 'personal', 'personal', 'personal']);
    expect(cards.map((c) => c.product.id)).not.toContain('jacket M');
    expect(cards.every((c) => c.source === 'model' && c.modelVersion === 'v1')).toBe(true);
    // The model read the jacket, so the copy may name it as the reason.
    expect(cards.some((c) => c.why.includes('Jacket'))).toBe(true);

    const similar = await engine.recommend({ placement: 'similar', itemId: 'jacket S', count: 4 });
    expect(similar.map((c) => c.tier)).toEqual(['similar', 'similar', 'similar', 'similar']);
    expect(similar.map((c) => c.product.id)).not.toContain('jacket M');
    // The hat's large size is unknown to the model, its small size is not: the hat is a model item too.
    // Three groups are neither the jacket (viewed) nor the hat (on screen): all ranked by the model.
    const hat = await engine.recommend({ placement: 'similar', itemId: 'hat 2', count: 3 });
    expect(hat.map((c) => c.tier)).toEqual(['similar', 'similar', 'similar']);
    expect(hat.map((c) => c.product.id).sort()).toEqual(['mug', 'scarf', 'tea pot']);
    expect(warnings).toEqual([]);
  });

  it('names the size the shopper viewed (the jacket\'s default card shows another), and says "You viewed this" on the card of that size', async () => {
    // The view of size L above; the jacket's default card shows size M (size S is sold out).
    const cards = await engine.recommend({ placement: 'for-you', count: 4 });
    expect(cards.map((c) => c.why)).toContain('Ranked on this device from your activity in this shop, most recently Jacket, size L. Your history never leaves this device.');
    expect(cards.map((c) => `${c.reason} ${c.why}`).join(' | ')).not.toContain('size M');
    const viewed = await engine.recommend({ placement: 'recently-viewed', count: 4 });
    expect(viewed.map((c) => [c.product.id, c.reason])).toEqual([['jacket L', 'You viewed this']]);
    // On the page of the hat's large size: what other shoppers did is counted per group (shoppers of any
    // size of the hat), so it names the hat, not the large one.
    const onHat = await engine.recommend({ placement: 'similar', itemId: 'hat 2', count: 3 });
    expect(onHat.map((c) => c.why)).toEqual(Array(3).fill('Other shoppers who looked at Hat went on to choose this.'));
  });
});
