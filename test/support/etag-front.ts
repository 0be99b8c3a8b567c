/**
 * A raw HTTP server (`node:http`) in front of an edge server, playing a server or CDN that tags shoppers
 * with ETags: with `identify`, every `GET /v1/*` answer gets an ETag and a Last-Modified date never issued
 * before (`Cache-Control: no-cache`, so a browser cache asks again with them each time), and every request
 * it receives is recorded with its validators, so a test can see whether an issued value ever came back.
 * Without `identify` it passes answers through unchanged (and still records). `rewrite` may change a
 * body (a tampering CDN); the ETag then stays the upstream's or is re-issued as identifying.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FrontRequest {
  method: string;
  /** Path and query. */
  path: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

export interface EtagFront {
  url: string;
  /** Every request received, in order. */
  requests: FrontRequest[];
  /** Every ETag and Last-Modified value issued as an identifier. */
  issued: Set<string>;
  /** Requests that carried an issued value back (If-None-Match or If-Modified-Since). */
  echoes(): FrontRequest[];
  close(): Promise<void>;
}

export interface EtagFrontOptions {
  /** Tag each answer under /v1/ with a unique ETag and Last-Modified. Default true. */
  identify?: boolean;
  /** Changes the body of an answer (path without query, the upstream body); undefined keeps it. */
  rewrite?: (path: string, body: Buffer) => Buffer | undefined;
}

const DROPPED = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive']);

/** Starts the front on a loopback port, forwarding to `target` (an origin, e.g. `http://127.0.0.1:4000`). */
export async function startEtagFront(target: string, options: EtagFrontOptions = {}): Promise<EtagFront> {
  const identify = options.identify ?? true;
  const requests: FrontRequest[] = [];
  const issued = new Set<string>();
  let next = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const seen: FrontRequest = { method: req.method ?? 'GET', path: req.url ?? '/' };
    if (header('if-none-match') !== undefined) seen.ifNoneMatch = header('if-none-match');
    if (header('if-modified-since') !== undefined) seen.ifModifiedSince = header('if-modified-since');
    requests.push(seen);

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || name === 'host' || name === 'accept-encoding' || DROPPED.has(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const upstream = await fetch(new URL(req.url ?? '/', target), { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined, redirect: 'manual' });
    let body: Buffer = Buffer.from(await upstream.arrayBuffer());
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!DROPPED.has(name)) out[name] = value;
    });
    const path = seen.path.split('?')[0]!;
    const changed = upstream.status === 200 ? options.rewrite?.(path, body) : undefined;
    if (changed) body = changed;
    if (identify && seen.method === 'GET' && path.startsWith('/v1/') && (upstream.status === 200 || upstream.status === 304)) {
      const n = next++;
      const etag = `"shopper-${String(n).padStart(6, '0')}"`;
      const date = new Date(Date.UTC(2001, 0, 1) + n * 1000).toUTCString();
      issued.add(etag);
      issued.add(date);
      out.etag = etag;
      out['last-modified'] = date;
      out['cache-control'] = 'no-cache';
    }
    res.writeHead(upstream.status, out);
    res.end(upstream.status === 304 ? undefined : body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    issued,
    echoes: () =>
      requests.filter((r) => [r.ifNoneMatch, r.ifModifiedSince].some((v) => v !== undefined && [...issued].some((id) => v.includes(id)))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
