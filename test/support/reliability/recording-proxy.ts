/**
 * A loopback HTTP proxy in front of a server that records every request it forwards — method, path,
 * query, headers and body — as the server receives them. Pointing the browser at the proxy catches
 * what page-level hooks can miss: beacons and keepalive fetches sent while a page unloads, requests of
 * dedicated and service workers, module and WASM fetches.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  /** Path without the query. */
  path: string;
  /** The raw query (`''` when none). */
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Status the upstream answered (0 when it could not be reached). */
  status: number;
}

export interface RecordingProxy {
  url: string;
  requests: Recorded[];
  /** Replaces the answer to matching requests (e.g. a worker script that throws). */
  override(match: (r: Recorded) => boolean, answer: { status: number; type: string; body: string } | null): void;
  /**
   * Holds matching requests from now on (recorded at once, forwarded only after `release`): a response
   * as slow as a test needs, e.g. a chunk that must not load before the page is closed. `close` releases.
   */
  hold(match: (r: Recorded) => boolean): { release(): void };
  close(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'host']);

export function startRecordingProxy(upstream: string): Promise<RecordingProxy> {
  const requests: Recorded[] = [];
  let overrides: Array<{ match: (r: Recorded) => boolean; answer: { status: number; type: string; body: string } }> = [];
  const holds: Array<{ match: (r: Recorded) => boolean; released: Promise<void>; release(): void }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://proxy');
        const rec: Recorded = { method: req.method ?? 'GET', path: url.pathname, query: url.search.replace(/^\?/, ''), headers: req.headers, body: Buffer.concat(chunks), status: 0 };
        requests.push(rec);
        for (const h of holds.filter((h) => h.match(rec))) await h.released;
        const hit = overrides.find((o) => o.match(rec));
        if (hit) {
          rec.status = hit.answer.status;
          res.writeHead(hit.answer.status, { 'Content-Type': hit.answer.type, 'Cache-Control': 'no-store' });
          res.end(hit.answer.body);
          return;
        }
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
        try {
          const upstreamRes = await fetch(`${upstream}${req.url}`, {
            method: rec.method,
            headers,
            body: rec.method === 'GET' || rec.method === 'HEAD' ? undefined : new Uint8Array(rec.body),
            redirect: 'manual',
          });
          rec.status = upstreamRes.status;
          const out: Record<string, string> = {};
          upstreamRes.headers.forEach((v, k) => {
            if (!HOP.has(k)) out[k] = v;
          });
          const body = Buffer.from(await upstreamRes.arrayBuffer());
          res.writeHead(upstreamRes.status, out);
          res.end(body);
        } catch {
          res.writeHead(502);
          res.end();
        }
      })();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        requests,
        override(match, answer) {
          overrides = overrides.filter((o) => o.match !== match);
          if (answer) overrides.push({ match, answer });
        },
        hold(match) {
          let release = (): void => undefined;
          const released = new Promise<void>((resolve) => (release = resolve));
          const h = { match, released, release };
          holds.push(h);
          return {
            release() {
              if (holds.includes(h)) holds.splice(holds.indexOf(h), 1);
              h.release();
            },
          };
        },
        close: () =>
          new Promise<void>((done) => {
            for (const h of holds.splice(0)) h.release();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
