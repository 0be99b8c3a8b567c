import { describe, expect, it } from 'vitest';
import type { ShopEvent } from '../../core/events.ts';
import { DEDUPE_WINDOW_MS, Deduper, type EventOrigin } from './event-sources.ts';

const ev = (name: ShopEvent['name'], ts: number, ...ids: string[]): ShopEvent => ({ name, ts, items: ids.map((item_id) => ({ item_id })) });

/** Feeds `[source, event]` pairs through one Deduper and returns which were kept. */
function run(...reports: Array<[EventOrigin, ShopEvent]>): boolean[] {
  const d = new Deduper();
  return reports.map(([source, event]) => d.accept(event, source));
}

describe('Deduper', () => {
  it('keeps the first report of an action and drops the same action from another source within the window', () => {
    expect(run(['attribute', ev('add_to_cart', 1000, 'a')], ['datalayer', ev('add_to_cart', 1400, 'a')])).toEqual([true, false]);
    expect(run(['api', ev('view_item', 1000, 'a')], ['datalayer', ev('view_item', 1000 + DEDUPE_WINDOW_MS, 'a')])).toEqual([true, false]);
  });

  it('keeps repeats from the same source: two clicks are two actions', () => {
    expect(run(['attribute', ev('add_to_cart', 1000, 'a')], ['attribute', ev('add_to_cart', 1100, 'a')])).toEqual([true, true]);
  });

  it('lets each kept event absorb at most one report per other source', () => {
    // Two clicks, each also pushed to the dataLayer: two adds stored, not one and not four.
    expect(
      run(
        ['attribute', ev('add_to_cart', 1000, 'a')],
        ['datalayer', ev('add_to_cart', 1001, 'a')],
        ['attribute', ev('add_to_cart', 1200, 'a')],
        ['datalayer', ev('add_to_cart', 1201, 'a')],
      ),
    ).toEqual([true, false, true, false]);
    // The shop pushed twice for one click: the second push is a second action.
    expect(run(['attribute', ev('add_to_cart', 1000, 'a')], ['datalayer', ev('add_to_cart', 1001, 'a')], ['datalayer', ev('add_to_cart', 1002, 'a')])).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('tells actions apart by name, by item set (in any order), and by time', () => {
    expect(run(['api', ev('add_to_cart', 1000, 'a')], ['datalayer', ev('remove_from_cart', 1000, 'a')])).toEqual([true, true]);
    expect(run(['api', ev('purchase', 1000, 'a', 'b')], ['datalayer', ev('purchase', 1000, 'b', 'a')])).toEqual([true, false]);
    expect(run(['api', ev('purchase', 1000, 'a', 'b')], ['datalayer', ev('purchase', 1000, 'a')])).toEqual([true, true]);
    expect(run(['api', ev('view_item', 1000, 'a')], ['datalayer', ev('view_item', 1001 + DEDUPE_WINDOW_MS, 'a')])).toEqual([true, true]);
  });

  it('matches events that arrive out of time order (queued before the engine loaded)', () => {
    expect(run(['datalayer', ev('view_item', 5000, 'a')], ['api', ev('view_item', 4800, 'a')])).toEqual([true, false]);
  });

  it('forgets everything on clear()', () => {
    const d = new Deduper();
    expect(d.accept(ev('view_item', 1000, 'a'), 'api')).toBe(true);
    d.clear();
    expect(d.accept(ev('view_item', 1000, 'a'), 'datalayer')).toBe(true);
  });
});
