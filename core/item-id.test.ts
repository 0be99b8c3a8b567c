import { describe, expect, it } from 'vitest';
import { MAX_ITEM_ID_LENGTH, normalizeItemId } from './item-id.ts';

describe('normalizeItemId', () => {
  it.each([
    ['sku-1', 'sku-1'],
    ['  sku-1\t', 'sku-1'],
    ['rain jacket M', 'rain jacket M'],
    [' rain \t jacket\r\n M ', 'rain jacket M'],
    ['a/b?c=d&e#f', 'a/b?c=d&e#f'],
    ['<b>"x"</b>', '<b>"x"</b>'],
    ['Größe 42 – Jacke', 'Größe 42 – Jacke'],
    ['商品 12', '商品 12'],
    ['emoji 🧥', 'emoji 🧥'],
    [1234, '1234'],
    [0, '0'],
    ['x'.repeat(MAX_ITEM_ID_LENGTH), 'x'.repeat(MAX_ITEM_ID_LENGTH)],
  ])('keeps %j as %j', (raw, id) => {
    expect(normalizeItemId(raw)).toBe(id);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'whitespace only'],
    ['x'.repeat(MAX_ITEM_ID_LENGTH + 1), 'too long'],
    ['a\u0000b', 'control character'],
    ['a\u007fb', 'delete'],
    ['a\u200bb', 'zero-width space (format)'],
    ['a\u202eb', 'bidi override (format)'],
    ['a\ue000b', 'private use'],
    ['a\ud800b', 'lone surrogate'],
    [-1, 'negative number'],
    [1.5, 'fraction'],
    [2 ** 53, 'unsafe integer'],
    [null, 'null'],
    [{}, 'object'],
  ])('refuses %j (%s)', (raw, _why) => {
    expect(normalizeItemId(raw)).toBeUndefined();
  });

  it('is idempotent: a kept id normalizes to itself', () => {
    for (const raw of [' a  b ', 'x\ny', 42]) {
      const id = normalizeItemId(raw)!;
      expect(normalizeItemId(id)).toBe(id);
    }
  });
});
