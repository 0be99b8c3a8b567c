/** Request bodies: a size limit enforced before anything is parsed, and JSON read into a 4xx on failure. */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { utf8 } from '../../core/artifact/bytes.ts';
import { ContractError } from '../../core/errors.ts';
import { parseJson } from '../../core/json.ts';
import { ApiError } from './errors.ts';

/**
 * Refuses a body over `maxBytes` with 413, by its `Content-Length` when sent and by counting the bytes
 * of a streamed one, so an oversized upload is cut off before it is buffered or parsed.
 *
 * A declared length is checked without touching `c.req.raw.body`: on Node, @hono/node-server then
 * reads the body straight into one buffer when the route asks for it (`c.req.arrayBuffer()`), instead
 * of building a Web `ReadableStream` over the socket for every request. The HTTP parser of every
 * runtime delivers exactly `Content-Length` bytes, so the declared figure is the body's size.
 * @param message what the 413 says (default: the generic limit message).
 */
export function limitBody(maxBytes: number, message = `the request body is over the limit of ${maxBytes} bytes`): MiddlewareHandler {
  const tooLarge = (): never => {
    throw new ApiError(413, 'payload_too_large', message);
  };
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return (c, next) => {
    const declared = c.req.header('Content-Length');
    if (declared === undefined || c.req.header('Transfer-Encoding') !== undefined) return streamed(c, next);
    // Not a plain decimal (e.g. "12, 12" or "-1"): let the counting path decide.
    if (!/^\d{1,15}$/.test(declared)) return streamed(c, next);
    if (Number(declared) > maxBytes) tooLarge();
    return next();
  };
}

/** The media type of the request, lowercased, without parameters ('' when none). */
function mediaType(c: Context): string {
  return (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Answers 415 unless the request's media type is one of `allowed`. */
export function requireMediaType(c: Context, allowed: readonly string[]): string {
  const type = mediaType(c);
  if (!allowed.includes(type)) {
    throw new ApiError(415, 'unsupported_media_type', `Content-Type must be one of ${allowed.join(', ')} (got ${JSON.stringify(type || 'none')})`);
  }
  return type;
}

/** The body as UTF-8 text; 400 `bad_encoding` when it is not valid UTF-8. */
export async function readText(c: Context): Promise<string> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  try {
    return utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new ApiError(400, 'bad_encoding', 'the request body is not valid UTF-8');
  }
}

/**
 * The body parsed as JSON; 400 `bad_json` naming the parser's complaint when it is not, 400 `too_deep`
 * when it nests deeper than `MAX_JSON_DEPTH` (`core/json.ts`: deeper values crash what walks them).
 */
export async function readJson(c: Context): Promise<unknown> {
  const text = await readText(c);
  try {
    return parseJson(text, 'the request body');
  } catch (err) {
    if (err instanceof ContractError) throw err;
    throw new ApiError(400, 'bad_json', `the request body is not JSON: ${(err as Error).message}`);
  }
}
