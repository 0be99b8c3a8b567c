/**
 * `npm start`: the Node edge server (`edge-server/adapters/node/main.ts`) with the demo shop composed in
 * (`NodeServerExtension`). On first start it makes the demo's signing and federation keys and, unless one
 * is given, an admin token (kept in the data directory, so the dashboard works out of the box), trains,
 * signs and publishes the demo's default model and publishes the demo catalog; the shop's pages are
 * mounted beside the API. Every flag is the server's own (`--help`).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseKeyFile, publicPart } from '../core/artifact/key-file.ts';
import { generateKeyFile, type KeyFile } from '../core/artifact/signing.ts';
import { runNodeServer, type NodeServerExtension } from '../edge-server/adapters/node/main.ts';
import { catalogJson } from '../edge-server/catalog/store.ts';
import { currentManifest, publishArtifact } from '../edge-server/models/registry.ts';

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

/**
 * The demo's signing and federation keys: made on first start and kept. Only a missing file is replaced; a damaged one
 * is an error, since a new key would make every model the old one signed untrusted.
 */
async function loadOrCreateKeyFile(path: string): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const key = await generateKeyFile();
    await writeFile(path, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
    return key;
  }
  return parseKeyFile(text, path, { privateKey: 'required' });
}

/** The demo's admin token: made once (like its keys) so the dashboard works out of the box. */
async function loadOrCreateToken(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const token = randomBytes(24).toString('hex');
    await writeFile(path, `${token}\n`, { mode: 0o600 });
    return token;
  }
}

const demo: NodeServerExtension = {
  name: 'EdgeRecs demo',
  federation: DEMO_FEDERATION,
  async prepare({ dataDir, storage, catalog, trusted: given, federationKey: givenFederationKey, adminTokens }) {
    const federationKey = givenFederationKey ?? (await loadOrCreateKeyFile(join(dataDir, 'demo-federation-key.json')));
    const signingKey = await loadOrCreateKeyFile(join(dataDir, 'demo-signing-key.json'));
    const trusted = [...given, publicPart(signingKey)];
    // The federation's key beside the release key, so the widget also runs the versions rounds publish.
    const widgetKeys = [signingKey, federationKey];
    const adminTokenFile = adminTokens.length === 0 ? join(dataDir, 'admin-token') : undefined;
    if (!(await currentManifest(storage, 'default'))) {
      console.log('Training the demo model on simulated shoppers (first start only)...');
      // Loaded only when needed: training pulls in tfjs.
      const { buildDefaultModel } = await import('./default-model.ts');
      const started = performance.now();
      const artifact = await buildDefaultModel(signingKey);
      await publishArtifact(storage, artifact, { trusted });
      console.log(`Published model default@${artifact.manifest.version} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    if (!(await catalog.get())) {
      // The demo shop publishes its catalog as a merchant would; an admin's later upload is kept.
      const { demoCatalog } = await import('./catalog.ts');
      await catalog.put(catalogJson(demoCatalog()));
    }
    const { demoRoutes } = await import('./server.ts');
    const keys = widgetKeys.map((k) => `${k.keyId}:${k.publicKey}`).join(' ');
    const snippet = `<script type="module" src="/widget/edge-recs.js" data-model="default" data-public-key="${keys}"></script>`;
    const routes = demoRoutes({
      snippet,
      appJs: () => readFile(resolve('dist/demo/app.js'), 'utf8').catch(() => null),
    });
    return {
      trusted: [publicPart(signingKey)],
      federationKey,
      ...(adminTokenFile ? { adminTokens: [await loadOrCreateToken(adminTokenFile)], adminTokenFile } : {}),
      mount: (app) => app.route('/', routes),
      // What a merchant's own page needs (the README's snippet), whole: this server's loader and the keys models are signed with.
      startupLines: (url) => [
        `Script tag for your own pages: <script type="module" src="${url}widget/edge-recs.js" data-model="default" data-public-key="${keys}"></script>`,
        '  (a page on another origin: start with -- --allow-origin https://your-shop.example; the demo catalog\'s links and images are paths on this server, so use your own catalog there: docs/catalog.md)',
      ],
    };
  },
};

runNodeServer(process.argv.slice(2), demo);
