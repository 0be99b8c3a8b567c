/**
 * The Node edge server's command line (`main.ts`): its flags, its environment variables, the `--help`
 * text that lists them all with their defaults, and the parse that turns a mistake into a `UsageError`.
 */
import { isIP } from 'node:net';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ANALYTICS_DEFAULTS } from '../../analytics/settings.ts';
import { trustedProxies } from './peer.ts';

export const DEFAULT_PORT = 8787;
export const DEFAULT_DATA = '.edge-recs';
const DEFAULT_NGINX_LISTEN = '80';

/** The flags `main.ts` takes (`node:util` `parseArgs` options). */
export const SERVER_OPTIONS = {
  help: { type: 'boolean', short: 'h', default: false },
  host: { type: 'string' },
  'trusted-key': { type: 'string', multiple: true, default: [] as string[] },
  'allow-origin': { type: 'string', multiple: true, default: [] as string[] },
  'admin-token': { type: 'string', multiple: true, default: [] as string[] },
  'federation-key': { type: 'string' },
  'federated-config': { type: 'string' },
  'nginx-config': { type: 'boolean', default: false },
  'nginx-listen': { type: 'string', default: DEFAULT_NGINX_LISTEN },
  'suppress-below': { type: 'string' },
  'trust-proxy': { type: 'string', multiple: true, default: [] as string[] },
} satisfies NonNullable<ParseArgsConfig['options']>;

/** The environment variables `main.ts` reads. */
export const SERVER_ENVIRONMENT = ['PORT', 'EDGE_RECS_DATA', 'EDGE_RECS_ADMIN_TOKENS'] as const;

/** `--help`: every flag and environment variable, with its default. */
export const USAGE = `Usage: npx tsx edge-server/adapters/node/main.ts [options]

The EdgeRecs edge server on Node with disk storage, run from a checkout after \`npm ci\` and
\`npm run build\` (it serves the built widget from dist/).

Options:
  --host ADDRESS           the interface to listen on, e.g. 127.0.0.1 behind the nginx front on the
                           same machine, so only nginx reaches Node (default: all interfaces, as a
                           container needs)
  --trusted-key FILE       a public key file (\`edge-recs keygen\` writes one) whose signatures
                           publishing accepts; repeatable (default: none)
  --allow-origin ORIGIN    a shop origin that may load the widget and call /v1/* cross-origin, e.g.
                           https://shop.example; repeatable (default: none, same origin only)
  --admin-token TOKEN      a bearer token for /v1/admin/* and /dashboard; repeatable, added to
                           EDGE_RECS_ADMIN_TOKENS (default: none, so the admin API and dashboard answer
                           404)
  --federation-key FILE    turns on federated learning: the \`edge-recs keygen\` key file (private part
                           included) that signs the versions rounds publish; rounds and accepted
                           updates live in DATA/federated (default: off)
  --federated-config FILE  round settings as JSON (createFederation options: cohort, epsilonBudget,
                           delta, aggregation, ...) (default: the federation defaults); its
                           "admission" sets the update tokens
                           ({ "tokensPerDay": 1, "maxSourcesPerDay": 100000 }; keys in DATA/admission),
                           "admission": false takes updates without tokens (unsafe)
  --nginx-config           print the nginx configuration that fronts this server (nginx serves the
                           blobs from DATA/store by sendfile, Node the rest) for these PORT,
                           EDGE_RECS_DATA, --host and --allow-origin, and exit (default: off)
  --nginx-listen PARAMS    nginx's \`listen\` in that configuration (default: ${DEFAULT_NGINX_LISTEN})
  --suppress-below K       the admin read-out and dashboard hide counts below K, and revenue with
                           fewer than K purchases behind it; 1 shows everything, e.g. for a test
                           shop (default: ${ANALYTICS_DEFAULTS.suppressBelow})
  --trust-proxy ADDR      a proxy in front of this server (an IP address or CIDR range, e.g.
                           127.0.0.1 for the nginx front on the same machine) whose X-Forwarded-For
                           names the client address that per-source limits count by, and whose
                           X-Forwarded-Proto says whether the client used TLS; repeatable (default:
                           none, the socket's address counts and the connection is plain HTTP)
  -h, --help               print this help and exit

Environment:
  PORT                     listening port (default: ${DEFAULT_PORT})
  EDGE_RECS_DATA           data directory (default: ${DEFAULT_DATA})
  EDGE_RECS_ADMIN_TOKENS   admin bearer tokens, comma-separated (default: none)
`;

/** A command line this server does not take; `main.ts` prints its message on one line and exits 2. */
export class UsageError extends Error {}

type Parsed = ReturnType<typeof parseArgs<{ options: typeof SERVER_OPTIONS }>>['values'];
export type ServerArgs = Omit<Parsed, 'suppress-below'> & { 'suppress-below'?: number };

/** Reads `args` (without node and the script); throws `UsageError` for an unknown flag, a missing or bad value. */
export function parseServerArgs(args: string[]): ServerArgs {
  let values: Parsed;
  try {
    values = parseArgs({ args, options: SERVER_OPTIONS }).values;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError((e as Error).message);
    throw e;
  }
  const host = values.host;
  // An IP address, or a host name the resolver can look up (RFC 1123 labels); never a URL or host:port.
  if (host !== undefined && isIP(host) === 0 && !/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(host)) {
    throw new UsageError(`--host must be an IP address or a host name, e.g. 127.0.0.1, ::1 or localhost (got ${JSON.stringify(host)})`);
  }
  try {
    trustedProxies(values['trust-proxy']);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const text = values['suppress-below'];
  if (text === undefined) return { ...values, 'suppress-below': undefined };
  const k = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(k) || k < 1) throw new UsageError(`--suppress-below must be a whole number of at least 1 (got ${JSON.stringify(text)})`);
  return { ...values, 'suppress-below': k };
}
