import { describe, expect, it } from 'vitest';
import { hasMethods, optionError } from './options.ts';

describe('optionError', () => {
  it('throws a TypeError prefixed with the factory name', () => {
    const fail = optionError('createApp');
    expect(() => fail('storage must be a Storage')).toThrow(new TypeError('createApp: storage must be a Storage'));
  });
});

describe('hasMethods', () => {
  it('holds only for an object with a function under each name', () => {
    expect(hasMethods({ get: () => null, put: async () => undefined }, ['get', 'put'])).toBe(true);
    expect(hasMethods({ get: () => null, put: 'no' }, ['get', 'put'])).toBe(false);
    expect(hasMethods({ get: () => null }, ['get', 'put'])).toBe(false);
    expect(hasMethods(null, [])).toBe(false);
    expect(hasMethods([() => null], ['0'])).toBe(false);
    expect(hasMethods(new (class { get(): null { return null; } })(), ['get'])).toBe(true);
  });
});
