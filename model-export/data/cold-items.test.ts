import { describe, expect, it } from 'vitest';
import { coldItemIndices } from '../../core/artifact/item-features.ts';
import { pickColdItems, withoutItems } from './cold-items.ts';
import { fromSequences } from './dataset.ts';

const ids = Array.from({ length: 200 }, (_, i) => `item-${i + 1}`);

describe('pickColdItems', () => {
  it('draws round(fraction * items) distinct items, in the data\'s item order', () => {
    const cold = pickColdItems(ids, 0.1, 42);
    expect(cold).toHaveLength(20);
    expect(new Set(cold).size).toBe(20);
    const at = cold.map((id) => ids.indexOf(id));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(pickColdItems(ids, 0.25, 42)).toHaveLength(50);
  });

  it('is seeded: the same seed gives the same items, another seed others', () => {
    expect(pickColdItems(ids, 0.1, 42)).toEqual(pickColdItems([...ids], 0.1, 42));
    expect(pickColdItems(ids, 0.1, 43)).not.toEqual(pickColdItems(ids, 0.1, 42));
  });

  it('draws over the whole catalog, not its first items', () => {
    const at = pickColdItems(ids, 0.5, 1).map((id) => ids.indexOf(id));
    expect(at.filter((i) => i < 100).length).toBeGreaterThan(30);
    expect(at.filter((i) => i >= 100).length).toBeGreaterThan(30);
  });

  it('holds out at least one item and never all of them', () => {
    expect(pickColdItems(ids.slice(0, 5), 0.01, 1)).toHaveLength(1);
    expect(pickColdItems(ids.slice(0, 5), 0.99, 1)).toHaveLength(4);
    expect(pickColdItems(ids.slice(0, 1), 0.5, 1)).toEqual([]);
  });

  it('refuses a fraction outside (0, 1)', () => {
    for (const f of [0, 1, -0.1, 1.5, Number.NaN]) expect(() => pickColdItems(ids, f, 1), String(f)).toThrow(/between 0 and 1/);
  });
});

describe('withoutItems', () => {
  const data = fromSequences(['u1', 'u2', 'u3'], [['a', 'b', 'c', 'b'], ['c', 'c'], ['d', 'a']]);
  const held = new Set(coldItemIndices(data.itemIds, ['b', 'c', 'not-an-item']));

  it('maps held-out ids to the data\'s item indices, skipping ids the data lacks', () => {
    expect([...held].map((i) => data.itemIds[i - 1])).toEqual(['b', 'c']);
  });

  it('takes every occurrence of the held-out items out of the histories, keeping the users and the item ids', () => {
    const out = withoutItems(data, held);
    const named = out.sequences.map((s) => s.map((i) => out.itemIds[i - 1]));
    expect(named).toEqual([['a'], [], ['d', 'a']]);
    expect(out.users).toEqual(data.users);
    expect(out.itemIds).toEqual(data.itemIds);
    expect(data.sequences[0]).toHaveLength(4); // the input is left as it was
  });

  it('keeps the variants the data named aligned with what is left', () => {
    const out = withoutItems({ ...data, variants: [['a1', 'b1', 'c1', 'b2'], ['c1', 'c2'], ['d1', 'a2']] }, held);
    expect(out.variants).toEqual([['a1'], [], ['d1', 'a2']]);
  });

  it('returns the data itself when nothing is held out', () => {
    expect(withoutItems(data, new Set())).toBe(data);
  });
});
