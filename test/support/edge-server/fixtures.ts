/** Fixtures shared by the edge server's tests: real signed artifacts of a tiny model. */
import { buildArtifact, type Artifact } from '../../../core/artifact/artifact.ts';
import { generateKeyFile, type KeyFile, type TrustedKey } from '../../../core/artifact/signing.ts';
import type { ModelConfig } from '../../../core/model/config.ts';
import { initWeights } from '../../../core/model/weights.ts';
import type { WidgetFile, WidgetFiles } from '../../../edge-server/models/widget-files.ts';
import { expect } from 'vitest';

export const TINY: ModelConfig = { numItems: 5, dim: 4, blocks: 1, heads: 1, maxLen: 3 };

/** A signed artifact; a different `seed` gives different weights (so a different manifest). */
export function tinyArtifact(key: KeyFile | undefined, version = 'v1', seed = 1, name = 'default'): Promise<Artifact> {
  return buildArtifact(
    {
      name,
      version,
      config: TINY,
      itemIds: ['sku-1', 'sku-2', 'sku-3', 'sku-4', 'sku-5'],
      weights: initWeights(TINY, seed),
      quantization: 'float32',
      createdAt: '2026-01-01T00:00:00.000Z',
    },
    key,
  );
}

export async function signer(): Promise<{ key: Required<KeyFile>; trusted: TrustedKey[] }> {
  const key = await generateKeyFile();
  return { key, trusted: [{ keyId: key.keyId, publicKey: key.publicKey }] };
}

export function memoryWidget(files: Record<string, string | Uint8Array>): WidgetFiles {
  const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', wasm: 'application/wasm' };
  return {
    async get(path): Promise<WidgetFile | null> {
      // Own entries only: `files.toString` is Object.prototype's (a fuzzed GET /widget/toString found it).
      if (!Object.hasOwn(files, path)) return null;
      const content = files[path]!;
      const body = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      return { body, contentType: types[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream' };
    },
  };
}

/** Asserts a response is our JSON error (`{ error: { code, message } }`, never cached); returns the message. */
export async function expectError(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
  expect(res.headers.get('Cache-Control')).toBe('no-store');
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  return body.error.message;
}
