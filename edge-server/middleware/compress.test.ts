import { describe, expect, it } from 'vitest';
import { addVary, isCompressible, negotiateEncoding } from './compress.ts';

describe('negotiateEncoding (Accept-Encoding, RFC 9110 §12.5.3)', () => {
  const both = ['br', 'gzip'] as const;
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip, deflate', 'gzip'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['BR', 'br'],
    ['*', 'br'],
    ['*;q=0.5, br;q=0', 'gzip'],
    ['identity', 'identity'],
    ['identity;q=1, br;q=0.5', 'identity'],
    ['identity;q=0.1, br;q=0.5', 'br'],
    ['*;q=0', 'identity'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['deflate', 'identity'],
    ['gzip;q=0.8, br ; q = 0.9', 'br'],
    ['gzip;q=junk', 'gzip'],
  ])('%j → %s', (header, expected) => {
    expect(negotiateEncoding(header, both)).toBe(expected);
  });

  it('offers only what the compressor produces', () => {
    expect(negotiateEncoding('br, gzip', ['gzip'])).toBe('gzip');
    expect(negotiateEncoding('br', ['gzip'])).toBe('identity');
  });
});

describe('isCompressible and addVary', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['text/javascript; charset=utf-8', true],
    ['application/wasm', true],
    ['image/svg+xml', true],
    ['application/manifest+json', true],
    ['text/html; charset=UTF-8', true],
    ['application/octet-stream', false],
    ['image/png', false],
    ['application/jsonx', false],
    [null, false],
  ])('%s → %s', (type, expected) => {
    expect(isCompressible(type)).toBe(expected);
  });

  it('adds a name to Vary once', () => {
    expect(addVary(null, 'Accept-Encoding')).toBe('Accept-Encoding');
    expect(addVary('Origin', 'Accept-Encoding')).toBe('Origin, Accept-Encoding');
    expect(addVary('origin, accept-encoding', 'Accept-Encoding')).toBe('origin, accept-encoding');
    expect(addVary('*', 'Accept-Encoding')).toBe('*');
  });
});
