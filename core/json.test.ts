import { describe, expect, it } from 'vitest';
import { ContractError, show } from './errors.ts';
import { jsonLimitPassed, MAX_JSON_DEPTH, nestsDeeperThan, parseJson } from './json.ts';

const arrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('parseJson', () => {
  it('parses JSON nested up to MAX_JSON_DEPTH', () => {
    expect(parseJson(arrays(MAX_JSON_DEPTH), 'x')).toBeInstanceOf(Array);
    expect(parseJson('{"a":[1,{"b":"[[[[["}]}', 'x')).toEqual({ a: [1, { b: '[[[[[' }] });
  });

  it('refuses deeper nesting with too_deep, before parsing, at any depth', () => {
    for (const depth of [MAX_JSON_DEPTH + 1, 6_000, 1_000_000]) {
      expect(() => parseJson(arrays(depth), 'the request body')).toThrow(ContractError);
      expect(() => parseJson(arrays(depth), 'the request body')).toThrow(`the request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
    }
    expect(() => parseJson('{"a":'.repeat(100) + '1' + '}'.repeat(100), 'x')).toThrow(/more than 64 levels/);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(`["${'['.repeat(100)}\\"${'{'.repeat(100)}"]`, 2)).toBe(false);
    expect(nestsDeeperThan('[[[', 2)).toBe(true);
  });

  it('leaves other errors to JSON.parse', () => {
    expect(() => parseJson('{', 'x')).toThrow(SyntaxError);
  });
});

describe('show', () => {
  it('never throws: a value too deep to stringify is named by its kind', () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(show(deep)).toBe('(a deeply nested array)');
    let obj: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) obj = { a: obj };
    expect(show(obj)).toBe('[object Object]');
  });

  it('shows the start of a long string as before', () => {
    expect(show('x'.repeat(10_000))).toBe(`"${'x'.repeat(56)}...`);
    expect(show({ a: 1 })).toBe('{"a":1}');
  });
});

describe('jsonLimitPassed', () => {
  it('names the first limit the text passes, counting nothing inside strings', () => {
    expect(jsonLimitPassed('[[1],[2]]', { depth: 2 })).toBeNull();
    expect(jsonLimitPassed('[[1],[2]]', { depth: 2, containers: 2 })).toBe('containers');
    expect(jsonLimitPassed('[1,2,3]', { depth: 2, separators: 1 })).toBe('separators');
    expect(jsonLimitPassed('["[[,,", "\\"]', { depth: 1, containers: 1, separators: 1 })).toBeNull();
    expect(jsonLimitPassed('[[[', { depth: 2, containers: 1 })).toBe('containers');
    expect(jsonLimitPassed('["unterminated [[[', { depth: 1 })).toBeNull();
  });
});
