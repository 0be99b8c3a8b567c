/**
 * The Node adapter's `Compressor`: node:zlib's brotli and gzip, run on libuv's thread pool (the async
 * forms), so a large catalog compressed at quality 11 never pauses other requests.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Compressor } from '../../middleware/compress.ts';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Brotli quality for content compressed once and kept (`best`): 11 (the build's setting) up to 1 MiB,
 * lower above, where quality 11 costs seconds per megabyte for a percent or two.
 */
const bestBrotli = (size: number): number => (size <= 1 << 20 ? 11 : size <= 16 << 20 ? 9 : 6);

/**
 * `best`: brotli 11 (lower for large bodies), gzip 9, for answers compressed once per content and kept
 * (catalog, manifests, widget files without a build copy). `fast`: brotli 4, gzip 6 for per-request
 * answers (metrics, keys, pages), near gzip's speed with brotli's ratio.
 */
export const nodeCompressor: Compressor = {
  encodings: ['br', 'gzip'],
  async compress(bytes, encoding, effort) {
    const input = bytes as Uint8Array<ArrayBuffer>;
    const out = encoding === 'br'
      ? await brotli(input, { params: { [constants.BROTLI_PARAM_QUALITY]: effort === 'best' ? bestBrotli(bytes.byteLength) : 4, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength } })
      : await gzipAsync(input, { level: effort === 'best' ? 9 : 6 });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
};
