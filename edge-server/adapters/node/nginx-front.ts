/**
 * nginx in front of the Node edge server: the production shape of a Node deployment.
 *
 * The Node process answers everything, but a Node HTTP server cannot send a file without copying it
 * through user space (no `sendfile` for sockets), and its per-request cost is several times nginx's:
 * on this project's 2-core bench a 133 KB blob runs at 0.4x nginx's requests/s even from a bare
 * `node:http` server, and at 0.2-0.3x from the edge server. Blobs are immutable and content-addressed
 * files on disk, so nginx can serve them straight from the store with the same answer the Node route
 * gives, and hand every other request (manifests, updates, metrics, admin, the widget) to Node:
 *
 *   GET/HEAD /v1/blobs/<sha256>  from STORE/blobs/<2 hex>/<62 hex> by sendfile, with the same ETag
 *                                ("<sha256>"), Cache-Control, security headers and CORS grant as
 *                                Node's answer
 *   the same path otherwise      handed to Node, which answers exactly: conditional and ranged
 *                                requests (rare: revalidations, resumed downloads), an unknown blob
 *                                (404 JSON), preflights and other methods
 *   everything else              proxied to Node over kept-alive connections
 *   Node down                    503 JSON `{ "error": { "code": "unavailable", ... } }`, Retry-After
 *   body over the limit          413 JSON, as Node answers it
 *   compression                  Node's own (brotli or gzip after the client's Accept-Encoding, which
 *                                nginx passes on), passed through unchanged: nginx's gzip filter leaves
 *                                an answer with a Content-Encoding alone, so br reaches the client
 *                                without nginx's brotli module. nginx gzips (level 6) only a compressible
 *                                answer over 1 KB that Node left plain to a client that takes gzip
 *                                (a Node server without a compressor). Blobs stay as stored (not
 *                                compressible: see docs/deployment.md).
 *
 * `edge-server/adapters/node/nginx-front.test.ts` runs a real nginx with this configuration in front of
 * the real server and checks the answers are the same; `npm run bench -- server` measures it.
 */
import { isAbsolute } from 'node:path';
import { show } from '../../../core/errors.ts';
import { CORS_POLICY } from '../../middleware/security.ts';
import { IMMUTABLE } from '../../middleware/http.ts';
import { optionError, type Fail } from '../../../core/options.ts';
import { API_SECURITY_HEADERS, exactOrigin } from '../../middleware/security.ts';
import { blobsRoot } from './storage.ts';

export interface NginxFrontOptions {
  /** The Node server's storage directory (`EDGE_RECS_DATA/store` for `main.ts`): nginx reads its blobs. */
  storeDir: string;
  /** Where the Node server listens, as nginx reaches it. @example '127.0.0.1:8787' */
  upstream: string;
  /** nginx's `listen` parameters. Default `80`. @example '443 ssl' */
  listen?: string;
  /** The shop origins the Node server allows (`--allow-origin`): nginx grants the same. Default none. */
  allowedOrigins?: readonly string[];
  /**
   * Largest request body nginx passes on, in bytes: the Node server's largest limit (artifact and
   * catalog uploads, 64 MiB by default), which it still enforces per route. Default 64 MiB.
   */
  maxBodyBytes?: number;
}

/** A string as an nginx quoted token: nginx reads `\\` and `\"` escapes inside double quotes. */
const quote = (value: string): string => `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;

/**
 * A map source matching exactly `value`: map compares plain strings ignoring case, and CORS (like the
 * Node server) compares origins byte for byte, so a case-sensitive anchored regex instead.
 */
const exactly = (value: string): string => quote(`~^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** A JSON error body as nginx's `return` sends it (the same shape as `ApiError`'s). */
const jsonError = (code: string, message: string): string => quote(JSON.stringify({ error: { code, message } }));

/** What nginx's gzip takes, as `isCompressible` (middleware/compress.ts); text/html is always on. */
const COMPRESSIBLE_TYPES = ['application/json', 'text/javascript', 'application/javascript', 'application/wasm', 'image/svg+xml', 'text/plain', 'text/css', 'application/manifest+json'];

const fail: Fail = optionError('nginxFrontConfig');

/**
 * The nginx configuration (`http {}` context: a `map`, an `upstream` and a `server`) that fronts the
 * Node edge server. Write it to e.g. `/etc/nginx/conf.d/edge-recs.conf`; add TLS to `listen` and the
 * `ssl_certificate` lines as for any site.
 * @example await writeFile('/etc/nginx/conf.d/edge-recs.conf', nginxFrontConfig({ storeDir: '/var/lib/edge-recs/store', upstream: '127.0.0.1:8787', allowedOrigins: ['https://shop.example'] }));
 */
export function nginxFrontConfig(options: NginxFrontOptions): string {
  const { storeDir, upstream, listen = '80', allowedOrigins = [], maxBodyBytes = 64 * 1024 * 1024 } = options;
  if (typeof storeDir !== 'string' || !isAbsolute(storeDir) || /[\s;{}"'\\$]/.test(storeDir)) {
    fail(`storeDir must be an absolute path without spaces, quotes, ";", "{", "}" or "$" (got ${show(storeDir)})`);
  }
  if (typeof upstream !== 'string' || !/^[\w.-]+:\d{1,5}$|^\[[\da-f:.]+\]:\d{1,5}$|^unix:\/[^\s;{}"'$]+$/i.test(upstream)) {
    fail(`upstream must be host:port, [IPv6]:port or unix:/path (got ${show(upstream)})`);
  }
  if (typeof listen !== 'string' || !/^[\w.:[\] -]+$/.test(listen)) fail(`listen must be nginx listen parameters like "80" or "443 ssl" (got ${show(listen)})`);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024) fail(`maxBodyBytes must be an integer >= 1024 (got ${show(maxBodyBytes)})`);
  const origins = allowedOrigins.map((origin, i) => exactOrigin(origin) ?? fail(`allowedOrigins[${i}] must be an origin like "https://shop.example" (got ${show(origin)})`));
  const expose = CORS_POLICY.exposeHeaders.join(',');
  const security = Object.entries(API_SECURITY_HEADERS).map(([name, value]) => `add_header ${name} ${quote(value)} always;`);
  // A location with add_header of its own inherits none, so every location that answers itself lists them all.
  // As Node's CORS middleware: a grant for a listed origin (nginx leaves out a header whose value is
  // empty), `Vary: Origin` on every answer; nothing at all when no origin is listed.
  const cors = origins.length === 0 ? [] : [
    'add_header Access-Control-Allow-Origin $edge_recs_cors_origin always;',
    'add_header Access-Control-Expose-Headers $edge_recs_cors_expose always;',
    'add_header Vary Origin always;',
  ];
  const apiHeaders = [...security, ...cors];
  const blobHeaders = [`add_header ETag "\\"$edge_recs_fan$edge_recs_rest\\"" always;`, `add_header Cache-Control ${quote(IMMUTABLE)} always;`, ...apiHeaders];
  const indent = (lines: readonly string[], depth: number): string => lines.map((line) => `${'  '.repeat(depth)}${line}`).join('\n');
  const proxy = [
    'proxy_pass http://edge_recs;',
    'proxy_http_version 1.1;',
    'proxy_set_header Connection "";',
    'proxy_set_header Host $host;',
    'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
  ];
  return `# EdgeRecs edge server behind nginx (generated by \`main.ts --nginx-config\`; see nginx-front.ts).
# nginx serves blobs straight from the Node server's content-addressed store; Node answers the rest.

map $http_origin $edge_recs_cors_origin {
  default "";
${indent(origins.map((o) => `${exactly(o)} $http_origin;`), 1)}
}
map $http_origin $edge_recs_cors_expose {
  default "";
${indent(origins.map((o) => `${exactly(o)} ${quote(expose)};`), 1)}
}
# Conditional and ranged blob requests (revalidations, resumed downloads: rare) go to Node, which
# answers them exactly; plain GETs and HEADs, the widget's downloads, are served from the store.
map "$http_range$http_if_none_match$http_if_range" $edge_recs_to_node {
  default 1;
  "" 0;
}

upstream edge_recs {
  server ${upstream};
  keepalive 64;
}

server {
  listen ${listen};
  server_tokens off;
  client_max_body_size ${maxBodyBytes};
  gzip on;
  gzip_proxied any;
  gzip_comp_level 6;
  gzip_min_length 1024;
  gzip_types ${COMPRESSIBLE_TYPES.join(' ')};
  # Whatever nginx refuses itself is answered in the API's error shape.
  error_page 413 = @edge_recs_too_large;
  error_page 502 503 504 = @edge_recs_unavailable;

  location ~ "^/v1/blobs/(?<edge_recs_fan>[0-9a-f]{2})(?<edge_recs_rest>[0-9a-f]{62})$" {
    alias ${blobsRoot(storeDir)}/$edge_recs_fan/$edge_recs_rest;
    sendfile on;
    tcp_nopush on;
    etag off;
    types { }
    default_type application/octet-stream;
${indent(blobHeaders, 2)}
    # 418 only routes the request: conditional or ranged (above), not stored (404), or a method the
    # file handler does not take (405, e.g. a CORS preflight). Node answers those, errors as JSON.
    if ($edge_recs_to_node) {
      return 418;
    }
    error_page 404 405 418 = @edge_recs;
  }

  location / {
${indent(proxy, 2)}
  }

  location @edge_recs {
${indent(proxy, 2)}
  }

  location @edge_recs_too_large {
    default_type application/json;
    add_header Cache-Control no-store always;
${indent(apiHeaders, 2)}
    return 413 ${jsonError('payload_too_large', `the request body is over the limit of ${maxBodyBytes} bytes`)};
  }

  location @edge_recs_unavailable {
    default_type application/json;
    add_header Cache-Control no-store always;
${indent(apiHeaders, 2)}
    add_header Retry-After 5 always;
    return 503 ${jsonError('unavailable', 'the edge server is not answering; try again shortly')};
  }
}
`;
}
