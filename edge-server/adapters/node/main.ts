/**
 * `npx tsx edge-server/adapters/node/main.ts`: the edge server on Node with disk storage. Every flag and
 * environment variable, with its default: `USAGE` in `args.ts` (`--help`). An unknown option or a flag
 * without its value is a one-line usage error, exit code 2. A program may add to the server from the
 * outside (`NodeServerExtension`): `npm start` runs `demo/main.ts`, which starts it through
 * `runNodeServer` with the demo shop.
 */
import { realpathSync } from 'node:fs';
import { readFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Hono } from 'hono';
import { publicPart } from '../../../core/artifact/key-file.ts';
import type { KeyFile, TrustedKey } from '../../../core/artifact/signing.ts';
import { readKeyFile } from './key-file.ts';
import { nodePeer, trustedProxies } from './peer.ts';
import { createApp } from '../../app.ts';
import type { CatalogStore } from '../../catalog/store.ts';
import type { Storage } from '../../models/storage.ts';
import { openDiskAnalytics } from './analytics-store.ts';
import { workerCatalogParser } from './catalog-parser.ts';
import { openDiskCatalog } from './catalog-store.ts';
import { openDiskAdminSessions } from './admin-sessions.ts';
import { createFederation } from '../../federated/federation.ts';
import { createAdmission, type AdmissionOptions } from '../../federated/admission.ts';
import { openDiskAdmissionStore } from './admission-store.ts';
import { nodeRsaRaw } from './rsa-raw.ts';
import { DEFAULT_DATA, DEFAULT_PORT, parseServerArgs, UsageError, USAGE, type ServerArgs } from './args.ts';
import { nginxFrontConfig } from './nginx-front.ts';
import { openDiskRoundStore } from './round-store.ts';
import { serveNode } from './serve.ts';
import { nodeTokenHash } from './token-hash.ts';
import { openDiskStorage } from './storage.ts';
import { widgetDir } from './widget-dir.ts';
import { nodeCompressor } from './compressor.ts';

/**
 * What a program that embeds the server adds to it, composed from the outside (`demo/main.ts`, the demo
 * shop of `npm start`): the server knows nothing of what it adds.
 */
export interface NodeServerExtension {
  /** How the server names itself in its start-up line (`<name>: <url>`). */
  name: string;
  /** Round settings when no `--federated-config` is given. */
  federation?: Record<string, unknown>;
  /** Runs once the stores are open, before the app is built; what it returns is added to the server's settings. */
  prepare(context: ExtensionContext): Promise<ExtensionResult>;
}

export interface ExtensionContext {
  dataDir: string;
  storage: Storage;
  catalog: CatalogStore;
  /** The keys of `--trusted-key`. */
  trusted: readonly TrustedKey[];
  /** The key of `--federation-key`, if one was given. */
  federationKey: KeyFile | undefined;
  /** The tokens of `--admin-token` and `EDGE_RECS_ADMIN_TOKENS`. */
  adminTokens: readonly string[];
}

export interface ExtensionResult {
  /** More keys whose signatures publishing accepts. */
  trusted?: readonly TrustedKey[];
  /** Turns federated learning on where no `--federation-key` was given. */
  federationKey?: KeyFile;
  /** More admin tokens, and the file one is kept in (printed with the dashboard's address). */
  adminTokens?: readonly string[];
  adminTokenFile?: string;
  /** Routes beside the API (`AppOptions.mount`). */
  mount?: (app: Hono) => void;
  /** Lines printed once the server listens, before its start-up line; `url` is its address (ending in `/`). */
  startupLines?: (url: string) => string[];
}

async function main(values: ServerArgs, extension: NodeServerExtension | undefined): Promise<void> {
  const port = Number(process.env.PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number (got "${process.env.PORT}")`);
  const dataDir = resolve(process.env.EDGE_RECS_DATA ?? DEFAULT_DATA);
  if (values['nginx-config']) {
    // nginx reaches Node where it listens: on loopback when Node listens on every interface.
    const host = values.host;
    const upstream = `${host === undefined || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`;
    process.stdout.write(nginxFrontConfig({ storeDir: join(dataDir, 'store'), upstream, listen: values['nginx-listen'], allowedOrigins: values['allow-origin'] }));
    return;
  }
  await mkdir(dataDir, { recursive: true });
  const storage = await openDiskStorage(join(dataDir, 'store'));
  const analytics = await openDiskAnalytics(join(dataDir, 'analytics'));
  const catalog = await openDiskCatalog(join(dataDir, 'catalog'));
  const adminSessions = await openDiskAdminSessions(join(dataDir, 'admin-sessions'));
  const adminTokens = [
    ...values['admin-token'],
    ...(process.env.EDGE_RECS_ADMIN_TOKENS ?? '').split(',').map((t) => t.trim()).filter(Boolean),
  ];
  let adminTokenFile: string | undefined;
  const trusted: TrustedKey[] = [];
  for (const file of values['trusted-key']) trusted.push(publicPart(await readKeyFile(file)));
  let mount: ((app: Hono) => void) | undefined;
  let startupLines: ExtensionResult['startupLines'];
  let federationKey: KeyFile | undefined = values['federation-key'] ? await readKeyFile(values['federation-key'], { privateKey: 'required' }) : undefined;
  if (extension) {
    const added = await extension.prepare({ dataDir, storage, catalog, trusted: [...trusted], federationKey, adminTokens: [...adminTokens] });
    trusted.push(...(added.trusted ?? []));
    federationKey ??= added.federationKey;
    adminTokens.push(...(added.adminTokens ?? []));
    adminTokenFile = added.adminTokenFile;
    mount = added.mount;
    startupLines = added.startupLines;
  }
  const federatedConfig = values['federated-config'] ? JSON.parse(await readFile(values['federated-config'], 'utf8')) : (extension?.federation ?? {});
  // `admission` in the federated config: the token issuer's options (tokensPerDay, maxSourcesPerDay, issuerName), or false (unsafe).
  const { admission: admissionConfig, ...roundConfig } = federatedConfig as { admission?: Omit<AdmissionOptions, 'store' | 'rsaRaw' | 'now'> | false };
  const federation = federationKey
    ? createFederation({ ...roundConfig, storage, rounds: await openDiskRoundStore(join(dataDir, 'federated')), signingKey: federationKey })
    : undefined;
  const admission =
    federation && admissionConfig !== false ? createAdmission({ ...admissionConfig, store: await openDiskAdmissionStore(join(dataDir, 'admission')), rsaRaw: nodeRsaRaw }) : false;
  const app = createApp({
    storage,
    trustedKeys: trusted,
    widget: widgetDir(resolve('dist')),
    allowedOrigins: values['allow-origin'],
    mount,
    adminTokens,
    analytics: { store: analytics, ...(values['suppress-below'] !== undefined ? { suppressBelow: values['suppress-below'] } : {}) },
    catalog,
    // Off the event loop: a large feed must not pause every other request while it is parsed.
    parseCatalog: workerCatalogParser(),
    peer: nodePeer(trustedProxies(values['trust-proxy'])),
    compressor: nodeCompressor,
    adminSessions,
    ...(federation ? { federated: { federation, hashToken: nodeTokenHash, admission } } : {}),
  });
  const server = await serveNode({ port, app, ...(values.host !== undefined ? { hostname: values.host } : {}) });
  const url = `${server.url}/`;
  for (const line of startupLines?.(url) ?? []) console.log(line);
  if (adminTokens.length > 0) console.log(`Admin dashboard: ${url}dashboard${adminTokenFile ? ` (token in ${adminTokenFile})` : ''}`);
  console.log(`${extension?.name ?? 'EdgeRecs edge server'}: ${url}`);
  const stop = (): void => void server.close().then(() => analytics.close()).then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * Runs the server for command line `argv` (without node and the script): prints `--help` or a usage
 * error (exit 2), or starts serving until SIGINT or SIGTERM, with `extension` added where one is given.
 */
export function runNodeServer(argv: readonly string[], extension?: NodeServerExtension): void {
  let values: ServerArgs;
  try {
    values = parseServerArgs([...argv]);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    // One line, no stack trace: the person at the terminal typed something this server does not take.
    process.stderr.write(`edge-recs server: ${e.message} (run with --help for the options)\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  main(values, extension).catch((e: unknown) => {
    console.error(`edge-recs server: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}

/** Whether this module is the script node was started with (not imported, as `demo/main.ts` imports it). */
function isScript(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isScript()) runNodeServer(process.argv.slice(2));
