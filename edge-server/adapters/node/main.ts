/**
 * `npx tsx edge-server/adapters/node/main.ts`: the edge server on Node with disk storage. Every flag and
 * environment variable, with its default: `USAGE` in `args.ts` (`--help`). An unknown option or a flag
 * without its value is a one-line usage error, exit code 2. `npm start` runs `demo/main.ts`, which starts
 * this server through `runNodeServer` with the demo shop (`--demo`).
 */
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Hono } from 'hono';
import { publicPart } from '../../../core/artifact/key-file.ts';
import type { KeyFile, TrustedKey } from '../../../core/artifact/signing.ts';
import { loadOrCreateKeyFile, readKeyFile } from './key-file.ts';
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

/** What `--demo` adds to the server, composed outside the edge server (`demo/main.ts`). */
export interface NodeDemo {
  /** Round settings when no `--federated-config` is given. */
  federation: Record<string, unknown>;
  /**
   * Publishes what the demo shop needs into the server's stores on first start (its model, signed with
   * `signingKey`, and its catalog) and returns the routes to mount beside the API (`AppOptions.mount`).
   * `widgetKeys` are the keys the widget's script tag pins: the release key and the federation's.
   */
  prepare(context: { storage: Storage; catalog: CatalogStore; signingKey: KeyFile; trusted: readonly TrustedKey[]; widgetKeys: readonly KeyFile[] }): Promise<(app: Hono) => void>;
}

/** The demo's admin token: made once (like its signing key) so the dashboard works out of the box. */
async function loadOrCreateToken(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const token = randomBytes(24).toString('hex');
    await writeFile(path, `${token}\n`, { mode: 0o600 });
    return token;
  }
}

async function main(values: ServerArgs, demo: NodeDemo | undefined): Promise<void> {
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
  let federationKey: KeyFile | undefined = values['federation-key'] ? await readKeyFile(values['federation-key'], { privateKey: 'required' }) : undefined;
  if (demo) {
    federationKey ??= await loadOrCreateKeyFile(join(dataDir, 'demo-federation-key.json'));
    const key = await loadOrCreateKeyFile(join(dataDir, 'demo-signing-key.json'));
    trusted.push(publicPart(key));
    // The federation's key beside the release key, so the widget also runs the versions rounds publish.
    mount = await demo.prepare({ storage, catalog, signingKey: key, trusted, widgetKeys: [key, federationKey] });
    if (adminTokens.length === 0) {
      adminTokenFile = join(dataDir, 'admin-token');
      adminTokens.push(await loadOrCreateToken(adminTokenFile));
    }
  }
  const federatedConfig = values['federated-config'] ? JSON.parse(await readFile(values['federated-config'], 'utf8')) : demo ? demo.federation : {};
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
    adminSessions,
    ...(federation ? { federated: { federation, hashToken: nodeTokenHash, admission } } : {}),
  });
  const server = await serveNode({ port, app, ...(values.host !== undefined ? { hostname: values.host } : {}) });
  const url = `${server.url}/`;
  if (adminTokens.length > 0) console.log(`Admin dashboard: ${url}dashboard${adminTokenFile ? ` (token in ${adminTokenFile})` : ''}`);
  console.log(demo ? `EdgeRecs demo: ${url}` : `EdgeRecs edge server: ${url}`);
  const stop = (): void => void server.close().then(() => analytics.close()).then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * Runs the server for command line `argv` (without node and the script): prints `--help` or a usage
 * error (exit 2), or starts serving until SIGINT or SIGTERM. `demo`: what `--demo` serves (`demo/main.ts`
 * passes it); without it, `--demo` is a usage error.
 */
export function runNodeServer(argv: readonly string[], demo?: NodeDemo): void {
  let values: ServerArgs;
  try {
    values = parseServerArgs([...argv]);
    if (values.demo && !demo) throw new UsageError('--demo is served by the demo shop\'s entry, demo/main.ts (npm start)');
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
  main(values, values.demo ? demo : undefined).catch((e: unknown) => {
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
