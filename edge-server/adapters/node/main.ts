/**
 * `npm start`: the edge server on Node with disk storage. With `--demo` it also serves the demo shop and,
 * on first start, trains, signs and publishes the demo's default model (cached in the data directory).
 * Every flag and environment variable, with its default: `USAGE` in `args.ts` (`--help`). An unknown
 * option or a flag without its value is a one-line usage error, exit code 2.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { publicPart } from '../../../core/artifact/key-file.ts';
import type { KeyFile, TrustedKey } from '../../../core/artifact/signing.ts';
import { loadOrCreateKeyFile, readKeyFile } from './key-file.ts';
import { nodePeer, trustedProxies } from './peer.ts';
import { createApp } from '../../app.ts';
import { currentManifest, publishArtifact } from '../../registry.ts';
import { catalogJson } from '../../catalog/store.ts';
import { openDiskAnalytics } from './analytics-store.ts';
import { workerCatalogParser } from './catalog-parser.ts';
import { openDiskCatalog } from './catalog-store.ts';
import { openDiskAdminSessions } from './admin-sessions.ts';
import { createFederation } from '../../federated/engine.ts';
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

let values: ServerArgs;
try {
  values = parseServerArgs(process.argv.slice(2));
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

/**
 * The demo's rounds: 20 devices, a cohort far too small for any privacy guarantee (the admin rounds list
 * shows its large ε), with noise and clipping scaled down so the demo model keeps working.
 */
const DEMO_FEDERATION = {
  cohort: 20,
  epsilonBudget: 1000,
  aggregation: { clipNorm: 0.1, rowClipNorm: 0.05, noiseMultiplier: 0.5, countNoiseMultiplier: 0.5, releaseThreshold: 2 },
  // Every demo shopper is on this one machine's address: a token per browser profile, up to a round's worth a day.
  admission: { tokensPerDay: 20 },
};

async function main(): Promise<void> {
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
  let mount: ((app: import('hono').Hono) => void) | undefined;
  let federationKey: KeyFile | undefined = values['federation-key'] ? await readKeyFile(values['federation-key'], { privateKey: 'required' }) : undefined;
  if (values.demo) federationKey ??= await loadOrCreateKeyFile(join(dataDir, 'demo-federation-key.json'));
  if (values.demo) {
    const key = await loadOrCreateKeyFile(join(dataDir, 'demo-signing-key.json'));
    trusted.push(publicPart(key));
    if (!(await currentManifest(storage, 'default'))) {
      console.log('Training the demo model on simulated shoppers (first start only)...');
      const { buildDefaultModel } = await import('../../../demo/default-model.ts');
      const started = performance.now();
      const artifact = await buildDefaultModel(key);
      await publishArtifact(storage, artifact, { trusted });
      console.log(`Published model default@${artifact.manifest.version} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    if (!(await catalog.get())) {
      // The demo shop publishes its catalog as a merchant would; an admin's later upload is kept.
      const { demoCatalog } = await import('../../../demo/catalog.ts');
      await catalog.put(catalogJson(demoCatalog()));
    }
    if (adminTokens.length === 0) {
      adminTokenFile = join(dataDir, 'admin-token');
      adminTokens.push(await loadOrCreateToken(adminTokenFile));
    }
    const { demoRoutes } = await import('../../../demo/server.ts');
    // The federation's key beside the release key, so the widget also runs the versions rounds publish.
    const keys = [key, ...(federationKey ? [federationKey] : [])].map((k) => `${k.keyId}:${k.publicKey}`).join(' ');
    const snippet = `<script type="module" src="/widget/edge-recs.js" data-model="default" data-public-key="${keys}"></script>`;
    const routes = demoRoutes({
      snippet,
      appJs: () => readFile(resolve('dist/demo/app.js'), 'utf8').catch(() => null),
    });
    mount = (app) => app.route('/', routes);
  }
  const federatedConfig = values['federated-config'] ? JSON.parse(await readFile(values['federated-config'], 'utf8')) : values.demo ? DEMO_FEDERATION : {};
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
  console.log(values.demo ? `EdgeRecs demo: ${url}` : `EdgeRecs edge server: ${url}`);
  const stop = (): void => void server.close().then(() => analytics.close()).then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`edge-recs server: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
