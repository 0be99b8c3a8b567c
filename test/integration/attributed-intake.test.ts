/**
 * An add-to-cart or purchase the loader already credited (`RawEvent.attributed`: its page was hidden or
 * left before the engine loaded, `queued-credit.ts`) reaches the engine later, from the handoff or the
 * loader's queue: it is stored like any event and credits nothing again, while the same events unmarked
 * are credited to the clicked card. The page's real `Engine` in Node against a real edge server on a
 * loopback port (`test/support/engine-shop.ts`: a catalog, no model), the click kept in memory (analytics
 * consent, no storage consent).
 */
import { expect, it } from 'vitest';
import { useEngineShop } from '../support/engine-shop.ts';
import type { RawEvent } from '../../widget/loader/event-sources.ts';

const IMAGE = 'https://shop.example/i.png';
const FEED = [
  ['id', 'title', 'link', 'image_link', 'price', 'availability', 'product_type'],
  ['mug', 'Mug', 'https://shop.example/p/mug', IMAGE, '12.00 EUR', 'in stock', 'Home > Kitchen'],
  ['pot', 'Tea pot', 'https://shop.example/p/pot', IMAGE, '39.00 EUR', 'in stock', 'Home > Kitchen'],
]
  .map((row) => row.join('\t'))
  .join('\n');

// Analytics consent, no storage consent: the click is kept in memory.
const shop = useEngineShop({ feed: FEED, consent: { storage: false, analytics: true } });

it('stores an add-to-cart and purchase the loader already credited without crediting them again', async () => {
  const { engine } = shop;
  const [card] = await engine.recommend({ placement: 'for-you', count: 1 });
  engine.click(card!, 'for-you');
  const item = { item_id: card!.product.id, price: card!.product.price, quantity: 1 };
  const events = (attributed: boolean): RawEvent[] => [
    { name: 'add_to_cart', params: { items: [item] }, source: 'datalayer', at: Date.now(), ...(attributed ? { attributed: true } : {}) },
    { name: 'purchase', params: { currency: 'EUR', value: item.price, items: [item] }, source: 'datalayer', at: Date.now(), ...(attributed ? { attributed: true } : {}) },
  ];
  const counted = (): Record<string, number> => Object.fromEntries((engine.metrics.pending()?.counters ?? []).map((c) => [c.event, c.count]));

  for (const event of events(true)) expect(await engine.intake(event)).toBe(true);
  expect(counted()).toEqual({ click: 1 });
  expect(engine.metrics.pending()?.revenue).toBeUndefined();
  expect((await engine.events()).map((e) => e.name)).toEqual(['select_item', 'add_to_cart', 'purchase']);

  // The same events as the engine's own: credited to the clicked card, once each.
  for (const event of events(false)) await engine.intake(event);
  expect(counted()).toEqual({ click: 1, add_to_cart: 1, purchase: 1 });
  expect(engine.metrics.pending()?.revenue).toEqual([{ placement: 'for-you', modelVersion: 'fallback', variant: card!.variant, currency: 'EUR', orders: 1, purchases: 1, amount: Math.round(item.price * 100) }]);
});
