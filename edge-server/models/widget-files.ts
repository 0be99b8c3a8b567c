/** `GET /widget/*`: the built widget (loader, lazy chunks, wasm) from whatever source the runtime has. */
import { Hono } from 'hono';
import { sha256Hex } from '../../core/artifact/bytes.ts';
import { ENCODINGS, addVary, encodedResponse, isCompressible, negotiateEncoding, type Encoding } from '../middleware/compress.ts';
import { ApiError } from '../middleware/errors.ts';
import { IMMUTABLE, asBytes, noneMatch, quoteEtag } from '../middleware/http.ts';

/** One built widget file. */
export interface WidgetFile {
  body: Uint8Array;
  /** Sent as `Content-Type`, e.g. `text/javascript; charset=utf-8`, `application/wasm`. */
  contentType: string;
}

/**
 * Where the built widget lives: a `dist/` directory in Node, static assets in Workers.
 * `path` is relative and already checked: segments of letters, digits, `.`, `_`, `-`, none starting
 * with a dot, joined by `/` (e.g. `edge-recs.js`, `assets/tfjs-Bx3kP9aQ.js`).
 */
export interface WidgetFiles {
  get(path: string): Promise<WidgetFile | null>;
  /**
   * The file compressed at build time (`npm run build` writes `X.br` and `X.gz` beside each compressible
   * file): `body` holds the encoded bytes, `contentType` the file's own type. `null` where the build made
   * no such copy, and then the file is compressed as it is served (`middleware/compress.ts`). Optional:
   * without it every file is compressed as it is served.
   */
  encoded?(path: string, encoding: Encoding): Promise<WidgetFile | null>;
}

/** The name of a file's precompressed copy, as the build writes it. */
export const encodedName = (path: string, encoding: Encoding): string => `${path}.${encoding === 'br' ? 'br' : 'gz'}`;

/** The script tag merchants paste; its URL never changes, so caches must check back for new builds. */
export const LOADER = 'edge-recs.js';
const LOADER_CACHE = 'public, max-age=300';
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
/**
 * A build hash before the extension, as Vite/Rollup write it (`name-[hash:8].ext`, base64url). Requiring
 * a digit or capital keeps plain words (`edge-recs-training.js`) out: a file wrongly called immutable
 * would be stuck in caches for a year, one wrongly called mutable only costs a revalidation.
 */
const HASHED = /-(?=[A-Za-z0-9_-]*[A-Z0-9])[A-Za-z0-9_-]{8}\.[A-Za-z0-9]+$/;

/**
 * The requested file path, or an `ApiError`. Works on the raw URL and decodes each segment itself,
 * so an encoded `/` or `..` (`..%2F`, `%2e%2e%2f`) is seen as the traversal it is.
 */
function widgetPath(url: string): string {
  const raw = new URL(url).pathname.replace(/^\/widget\//, '');
  if (raw === '') throw new ApiError(404, 'not_found', 'no widget file named ""');
  const segments = raw.split('/').map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      decoded = '\0';
    }
    if (!SEGMENT.test(decoded)) {
      throw new ApiError(400, 'bad_path', 'widget paths are names of letters, digits, ".", "_", "-" joined by "/", none starting with "."');
    }
    return decoded;
  });
  return segments.join('/');
}

export function widgetRoutes(files: WidgetFiles): Hono {
  const routes = new Hono();
  routes.get('/*', async (c) => {
    const path = widgetPath(c.req.url);
    const name = path.slice(path.lastIndexOf('/') + 1);
    const cacheControl = name !== LOADER && HASHED.test(name) ? IMMUTABLE : LOADER_CACHE;
    // The build's compressed copy where the client takes its coding (not for HEAD, which answers as identity).
    const encoding = c.req.method === 'GET' && files.encoded ? negotiateEncoding(c.req.header('Accept-Encoding'), ENCODINGS) : 'identity';
    const encoded = encoding === 'identity' ? null : await files.encoded!(path, encoding);
    const file = encoded ?? (await files.get(path));
    if (!file) throw new ApiError(404, 'not_found', `no widget file named ${JSON.stringify(path)}`);
    const body = asBytes(file.body);
    // The loader's stable URL needs revalidation; an ETag makes that a 304 when the build is unchanged.
    // The hash of the bytes sent, so each coding has its own strong ETag and a 304 never confirms a copy
    // in another coding.
    const etag = quoteEtag(await sha256Hex(body));
    const headers: Record<string, string> = { ETag: etag, 'Cache-Control': cacheControl };
    if (isCompressible(file.contentType)) headers.Vary = addVary(undefined, 'Accept-Encoding');
    if (noneMatch(c.req.header('If-None-Match'), etag)) return c.body(null, 304, headers);
    if (encoded) return encodedResponse(body, body, 200, { ...headers, 'Content-Type': file.contentType, 'Content-Encoding': encoding });
    return c.body(body, 200, { ...headers, 'Content-Type': file.contentType });
  });
  return routes;
}
