/** Serving a Hono app on loopback for tests: the shops and edge servers that Chromium tests talk to. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface Listening {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  url: string;
  /** Closes the port and drops every open connection (a crash, as far as clients can tell). */
  close(): Promise<void>;
}

/** Serves `app` on a free loopback port. */
export function listen(app: Hono): Promise<Listening> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
