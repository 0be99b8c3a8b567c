/** Serves a Hono app over HTTP in Node with `@hono/node-server`. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface ServeNodeOptions {
  /** TCP port; `0` picks a free one (the returned `url` names the port actually bound). */
  port: number;
  /**
   * Interface to listen on. Default: Node's, i.e. all interfaces, as a server in a container needs.
   * Give `127.0.0.1` to keep a development server off the network.
   */
  hostname?: string;
  app: Hono;
}

export interface NodeServer {
  /** Base URL with the bound port, e.g. `http://localhost:8787`; no trailing slash. */
  url: string;
  /** Stops accepting connections, lets requests in flight finish, and resolves once closed. */
  close(): Promise<void>;
}

/** Host part of the URL for a listen address: a wildcard address is reached as `localhost`. */
function urlHost(hostname: string | undefined): string {
  if (hostname === undefined || hostname === '' || hostname === '0.0.0.0' || hostname === '::') return 'localhost';
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}

/**
 * Starts listening and resolves once the port is bound (rejects on e.g. `EADDRINUSE`).
 * @example const { url, close } = await serveNode({ port: 8787, app: createApp(options) });
 */
export function serveNode(options: ServeNodeOptions): Promise<NodeServer> {
  const { port, hostname, app } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(new TypeError(`serveNode: port must be an integer in 0..65535 (got ${String(port)})`));
  }
  return new Promise((resolve, reject) => {
    // Without createServer options @hono/node-server makes a plain node:http server.
    const server = serve({ fetch: app.fetch, port, ...(hostname ? { hostname } : {}) }) as Server;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://${urlHost(hostname)}:${bound}`,
        close: () =>
          new Promise<void>((done, fail) => {
            // Node >= 19 also drops idle keep-alive connections here, so this does not wait on them.
            server.close((err) => (err ? fail(err) : done()));
          }),
      });
    });
  });
}
