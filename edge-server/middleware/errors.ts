/**
 * The server's one error boundary. Handlers throw (`ApiError`, or `ContractError` from `core/`); the
 * app's single `onError` / `notFound` turn every failure into `{ "error": { "code", "message" } }`.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ContractError } from '../../core/errors.ts';

/** An HTTP error with a stable machine-readable `code` (and any headers the status calls for). */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
  }
}

/** Codes for HTTPExceptions thrown by Hono's own middleware, which carry only a status. */
const CODES: Partial<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string, headers?: Headers | Record<string, string>): Response {
  const res = c.json({ error: { code, message } }, status);
  // An error is about this moment (a model not yet published, a bad request): never let a cache keep it.
  res.headers.set('Cache-Control', 'no-store');
  const extra = headers instanceof Headers ? headers : new Headers(headers);
  extra.forEach((value, key) => {
    if (!/^content-(type|length)$/i.test(key)) res.headers.set(key, value);
  });
  return res;
}

export const handleError: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.message, err.headers);
  if (err instanceof ContractError) return errorResponse(c, 400, err.code, err.message);
  if (err instanceof HTTPException) {
    // Keep the headers a middleware put on its response (e.g. bearer-auth's WWW-Authenticate).
    const message = err.message || (err.res?.statusText ?? '') || `HTTP ${err.status}`;
    return errorResponse(c, err.status, CODES[err.status] ?? `http_${err.status}`, message, err.res?.headers);
  }
  // A fault of ours, not of the request: log it whole here, send nothing of its internals.
  console.error(`${c.req.method} ${c.req.path}:`, err);
  return errorResponse(c, 500, 'internal', 'internal server error');
};

export const handleNotFound: NotFoundHandler = (c) =>
  errorResponse(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`);
