import { describe, expect, expectTypeOf, it } from 'vitest';
import { ContractError } from '../../core/errors.ts';
import { fromSequences, MIN_SEQUENCE, parseS3Rec, split, type Dataset, type Split } from './dataset.ts';
import { thrownContractError } from '../../test/support/contract-error.ts';

const refusal = (text: string, file = 'data/beauty.txt'): ContractError => thrownContractError(() => parseS3Rec(text, file), 'bad_data');

describe('parseS3Rec', () => {
  it('reads one user per line with items in time order, numbering items by natural sort of their ids', () => {
    const data = parseS3Rec('1 10 2 3\n2 2 10\n\n3 9 10 2 1\n', 'x.txt');

    expectTypeOf(data).toEqualTypeOf<Dataset>();
    expect(data.users).toEqual(['1', '2', '3']);
    expect(data.itemIds).toEqual(['1', '2', '3', '9', '10']);
    expect(data.sequences).toEqual([
      [5, 2, 3],
      [2, 5],
      [4, 5, 2, 1],
    ]);
  });

  it('accepts Windows line endings and extra whitespace', () => {
    expect(parseS3Rec('u1  a\tb \r\nu2 b\r\n', 'x.txt').sequences).toEqual([[1, 2], [2]]);
  });

  it('names the file and line of a user without items', () => {
    const err = refusal('1 2 3\n\n2\n3 4 5\n');
    expect(err.message).toBe('data/beauty.txt:3: user "2" has no items');
  });

  it('names the file and line of an invalid id', () => {
    expect(refusal('1 2 3\n2 4 5\n3 4 <script>\n').message).toBe('data/beauty.txt:3: invalid id "<script>"');
    expect(refusal('1 2 3,4\n').message).toContain('data/beauty.txt:1: invalid id "3,4"');
  });

  it('names the line of the second occurrence of a duplicate user', () => {
    const err = refusal('1 2 3\n2 4 5\n1 6 7\n');
    expect(err.message).toBe('data/beauty.txt:3: user "1" appears twice');
  });

  it.each(['', '\n\n', '   \n'])('refuses a file without users (%j)', (text) => {
    expect(refusal(text).message).toBe('data/beauty.txt: no users');
  });
});

describe('fromSequences', () => {
  it('gives catalog items nobody interacted with a row too', () => {
    const data = fromSequences(['u'], [['b', 'a']], ['c', 'a', 'b']);
    expect(data.itemIds).toEqual(['a', 'b', 'c']);
    expect(data.sequences).toEqual([[2, 1]]);
  });
});

describe('split', () => {
  it('holds out the last item for test and the second-to-last for validation', () => {
    const s = split([4, 8, 15, 16, 23, 42]);
    expectTypeOf(s).toEqualTypeOf<Split | null>();
    expect(s).toEqual({ train: [4, 8, 15, 16], valid: 23, test: 42 });
  });

  it('keeps one training item at the minimum length of three', () => {
    expect(MIN_SEQUENCE).toBe(3);
    expect(split([1, 2, 3])).toEqual({ train: [1], valid: 2, test: 3 });
  });

  it.each([[[]], [[1]], [[1, 2]]])('returns null for %j, too short to split', (seq) => {
    expect(split(seq)).toBeNull();
  });

  it('does not change its input', () => {
    const seq = [1, 2, 3, 4];
    split(seq);
    expect(seq).toEqual([1, 2, 3, 4]);
  });
});
