/**
 * The Workers adapter's `Compressor`. workerd's `CompressionStream` has no brotli (it takes 'gzip',
 * 'deflate' and 'deflate-raw'), but the runtime itself encodes a response body after its
 * `Content-Encoding`, br included, in native code as it streams out (`encodeBody: 'automatic'`, the
 * default). So this compressor compresses nothing: it returns `null`, and the middleware sends the
 * identity bytes with `Content-Encoding` set for the runtime to encode. Precompressed widget files go out
 * as built, with `encodeBody: 'manual'` (`models/widget-files.ts`).
 */
import type { Compressor } from '../../middleware/compress.ts';

export const workerdCompressor: Compressor = {
  encodings: ['br', 'gzip'],
  async compress() {
    return null;
  },
};
