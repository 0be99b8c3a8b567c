/**
 * The merchant's bestseller list names a variant (its shop system sells sizes), the widget shows one card
 * per variant group: in real Chromium on the production widget, against the variant shop's real edge
 * server (`test/support/browser/variant-shop.ts`), the jacket's card gets the bestseller line for a list
 * naming its size L while the card shows size M.
 */
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { afterEach, describe, it } from '../../test/support/browser/mocha.ts';
import { cardIds, nextRender, openShop, type ShopFrame } from '../../test/support/browser/shop-frame.ts';
import { BESTSELLER_MODEL, JACKET, VARIANT_ADMIN_TOKEN, VARIANT_SERVER } from '../../test/support/browser/variant-fixture.ts';

/** The built-in English bestseller lines (`copy/templates.ts`). */
const BESTSELLER_LINES = ['One of our bestsellers', 'A shop bestseller'];

describe('bestseller copy for variant groups, production build', () => {
  let shop: ShopFrame | undefined;
  afterEach(() => {
    shop?.close();
    shop = undefined;
  });

  it('says "bestseller" on the jacket card when the list names another size of it', async () => {
    // A published model of its own (a list for an unpublished name is refused): its lists touch no other test.
    const model = BESTSELLER_MODEL;
    const put = await fetch(`${VARIANT_SERVER}/v1/admin/models/${model}/bestsellers`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${VARIANT_ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ids: [JACKET.sizes[2], 'tea pot'] }),
    });
    equal(put.status, 200, 'the bestseller list was stored');
    shop = await openShop({ build: 'prod', attrs: { 'data-server': VARIANT_SERVER, 'data-model': model } });
    await shop.api.ready();
    const holder = shop.doc.createElement('div');
    holder.innerHTML = '<edge-recs placement="trending" count="4"></edge-recs>';
    const row = holder.firstElementChild as HTMLElement;
    const rendered = nextRender(row);
    shop.doc.body.append(row);
    await rendered;

    deepEqual(cardIds(row).slice(0, 2), [JACKET.shown, 'tea pot'], 'the listed products first, the jacket by the size its card shows');
    const reason = (id: string): string => row.shadowRoot!.querySelector(`li[data-item-id="${id}"] [part="reason"]`)!.textContent!.trim();
    ok(BESTSELLER_LINES.includes(reason(JACKET.shown)), `the jacket card says it is a bestseller (said "${reason(JACKET.shown)}")`);
    ok(BESTSELLER_LINES.includes(reason('tea pot')), `the tea pot card says it is a bestseller (said "${reason('tea pot')}")`);
    ok(!cardIds(row).slice(2).some((id) => BESTSELLER_LINES.includes(reason(id))), 'no other card claims to be a bestseller');
    deepEqual(shop.errors, [], 'page errors');
  });
});
