import { describe, expect, it } from 'vitest';
import { MODEL_NAME as MANIFEST_MODEL_NAME } from '../../core/artifact/manifest.ts';
import { MODEL_NAME, readConfig } from './config.ts';

// Bundlers define the flag; here the development branch runs, as in a development build.
(globalThis as { __EDGE_RECS_DEV__?: boolean }).__EDGE_RECS_DEV__ = true;

const LOADER = 'https://recs.example/widget/edge-recs.js';
const KEY = `0123456789abcdef:${Buffer.alloc(32, 7).toString('base64')}`;

function read(data: Record<string, string>, locale?: string): { config: ReturnType<typeof readConfig>; warnings: string[] } {
  const warnings: string[] = [];
  return { config: readConfig(data, LOADER, (m) => warnings.push(m), locale), warnings };
}

describe('readConfig', () => {
  it('uses documented defaults for an empty script tag', () => {
    expect(read({}, 'en-GB')).toEqual({
      config: { server: 'https://recs.example', model: 'default', trusted: [], locale: 'en-GB', consent: 'granted', assetBase: 'https://recs.example/widget/' },
      warnings: [],
    });
  });

  it('reads every attribute', () => {
    const { config, warnings } = read({
      server: 'https://edge.example/recs/',
      model: 'beauty-v2',
      publicKey: `${KEY} ${KEY.replace('0123', '4567')}`,
      backend: 'wasm',
      locale: 'zh-hans-cn',
      consent: 'required',
    });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({ server: 'https://edge.example/recs', model: 'beauty-v2', backend: 'wasm', locale: 'zh-Hans-CN', consent: 'required' });
    expect(config.trusted.map((k) => k.keyId)).toEqual(['0123456789abcdef', '4567456789abcdef']);
  });

  it('replaces each invalid value by its default and warns naming the attribute and its valid values', () => {
    const { config, warnings } = read(
      { server: 'javascript:alert(1)', model: 'No Spaces', publicKey: 'abc', backend: 'tpu', locale: 'english please', consent: 'yes' },
      'fr',
    );
    expect(config).toEqual({ server: 'https://recs.example', model: 'default', trusted: [], locale: 'fr', consent: 'required', assetBase: 'https://recs.example/widget/' });
    expect(warnings).toHaveLength(6);
    expect(warnings.join('\n')).toMatch(/data-server must be an http\(s\) URL/);
    expect(warnings.join('\n')).toMatch(/data-backend must be one of webgpu, webgl, wasm, cpu \(got "tpu"\)/);
    expect(warnings.join('\n')).toMatch(/data-consent must be one of granted, required \(got "yes"\); using "required"/);
    expect(warnings.join('\n')).toMatch(/data-locale must be a BCP 47 language tag/);
  });

  it('data-require-signed-catalog is a boolean attribute: present means on, whatever its value (a typo fails closed)', () => {
    expect(read({}).config.requireSignedCatalog).toBeUndefined();
    expect(read({ requireSignedCatalog: '' })).toMatchObject({ config: { requireSignedCatalog: true }, warnings: [] });
    expect(read({ requireSignedCatalog: 'true' })).toMatchObject({ config: { requireSignedCatalog: true }, warnings: [] });
    const off = read({ requireSignedCatalog: 'false' });
    expect(off.config.requireSignedCatalog).toBe(true);
    expect(off.warnings).toEqual(['data-require-signed-catalog is a boolean attribute: present means a signed catalog is required (got "false"); requiring it']);
  });

  it('falls back to "en" when the browser reports no usable language', () => {
    expect(read({}, '').config.locale).toBe('en');
    expect(read({}).config.locale).toBe('en');
  });

  it('validates model names exactly as the manifest does', () => {
    expect(MODEL_NAME.source).toBe(MANIFEST_MODEL_NAME.source);
    expect(MODEL_NAME.flags).toBe(MANIFEST_MODEL_NAME.flags);
  });
});
