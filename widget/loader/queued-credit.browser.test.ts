/**
 * The loader's credit for events the engine never took (`queued-credit.ts`), in real Chromium with real
 * `localStorage`: a click kept by an earlier page credits the queued add-to-cart and purchase by the
 * engine's rules (a variant of the clicked group, once each, the order's value split to the clicked
 * line), in one batch as `POST /v1/metrics` takes it; the events are marked, so nothing is credited
 * twice; without storage consent nothing is read, credited or marked. The batch goes to a recording
 * transport here; the real one, to a real edge server as the page closes, is
 * `test/e2e/closed-thank-you.test.ts`.
 */
import { parseMetricsBatch, type MetricsBatch } from '../../core/analytics.ts';
import { deepEqual, equal } from '../../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { ATTRIBUTION_KEY, Attributions } from '../engine/attribution.ts';
import type { RawEvent } from './event-sources.ts';
import type { MetricKey } from '../engine/analytics-counters.ts';
import { queuedCredit } from './queued-credit.ts';

const SIMILAR: MetricKey = { placement: 'similar', modelVersion: 'v3', variant: 'viewed.1' };
const raw = (name: string, params: unknown): RawEvent => ({ name, params, source: 'datalayer', at: Date.now() });

/** A credit function whose batches are kept (as sent, then read back with the server's parser). */
function recorded(): { batches: MetricsBatch[]; urls: string[]; creditQueued: ReturnType<typeof queuedCredit> } {
  const batches: MetricsBatch[] = [];
  const urls: string[] = [];
  const creditQueued = queuedCredit('https://recs.example', 'default', (url, body) => {
    urls.push(url);
    batches.push(parseMetricsBatch(JSON.parse(body)));
    return true;
  });
  return { batches, urls, creditQueued };
}

/** The jacket's card was clicked on an earlier page: kept under its group with its sizes and currency. */
function clickJacketOnEarlierPage(): void {
  new Attributions(true).click('JKT', SIMILAR, { items: ['JKT-M', 'JKT-L'], currency: 'EUR' });
}

describe('queuedCredit: crediting what the engine never took', () => {
  beforeEach(() => localStorage.removeItem(ATTRIBUTION_KEY));
  afterEach(() => localStorage.removeItem(ATTRIBUTION_KEY));

  it('credits a queued add-to-cart and purchase to the stored click in one batch, and marks them', () => {
    clickJacketOnEarlierPage();
    const { batches, urls, creditQueued } = recorded();
    const queue = [
      raw('view_item', { items: [{ item_id: 'JKT-M' }] }),
      raw('add_to_cart', { items: [{ item_id: 'JKT-M', quantity: 1 }] }),
      raw('add_to_cart', { items: [{ item_id: 'JKT-M', quantity: 1 }] }),
      // 150.00 with a pair of socks that was not clicked: the jacket's line is 120.00 of 150.00.
      raw('purchase', { transaction_id: 'T-9', value: 150, currency: 'EUR', items: [{ item_id: 'JKT-L', price: 120, quantity: 1 }, { item_id: 'SOCKS', price: 30, quantity: 1 }] }),
      raw('purchase', { items: [] }),
    ];
    creditQueued(queue, true);
    deepEqual(urls, ['https://recs.example/v1/metrics'], 'one batch, to the edge server');
    deepEqual(batches, [
      {
        model: 'default',
        counters: [
          { ...SIMILAR, event: 'add_to_cart', count: 1 },
          { ...SIMILAR, event: 'purchase', count: 1 },
        ],
        revenue: [{ ...SIMILAR, currency: 'EUR', orders: 1, purchases: 1, amount: 12000 }],
      },
    ], 'the batch: one add-to-cart (the second is not the first since the click), one purchase, the jacket\'s 120.00 of the order');
    deepEqual(queue.map((e) => e.attributed === true), [false, true, true, true, false], 'the add-to-carts and the purchase are marked; the view and the invalid purchase are not');
    equal(localStorage.getItem(ATTRIBUTION_KEY)?.includes('"JKT"'), false, 'the purchase consumed the click');

    // Again (the page hidden, then left): nothing is credited or sent twice.
    creditQueued(queue, true);
    equal(batches.length, 1, 'batches after the second call');
  });

  it('credits nothing for an event the engine or an earlier call already credited', () => {
    clickJacketOnEarlierPage();
    const { batches, creditQueued } = recorded();
    const purchase = { ...raw('purchase', { currency: 'EUR', items: [{ item_id: 'JKT-M', price: 120 }] }), attributed: true as const };
    creditQueued([purchase], true);
    equal(batches.length, 0, 'batches');
    equal(localStorage.getItem(ATTRIBUTION_KEY)?.includes('"JKT"'), true, 'the click is still there for a purchase to come');
  });

  it('without storage consent reads no click, credits and marks nothing', () => {
    clickJacketOnEarlierPage();
    const { batches, creditQueued } = recorded();
    const queue = [raw('purchase', { currency: 'EUR', items: [{ item_id: 'JKT-M', price: 120 }] })];
    creditQueued(queue, false);
    equal(batches.length, 0, 'batches');
    equal(queue[0]!.attributed, undefined, 'left to the engine');
  });
});
