/**
 * `npm start`: the Node edge server (`edge-server/adapters/node/main.ts`) with the demo shop (`--demo`).
 * On first start it trains, signs and publishes the demo's default model and publishes the demo catalog
 * (both kept in the data directory); the shop's pages are mounted beside the API. Every other flag is
 * the server's own (`--help`).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { runNodeServer, type NodeDemo } from '../edge-server/adapters/node/main.ts';
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

const demo: NodeDemo = {
  federation: DEMO_FEDERATION,
  async prepare({ storage, catalog, signingKey, trusted, widgetKeys }) {
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
    return (app) => app.route('/', routes);
  },
};

runNodeServer(process.argv.slice(2), demo);
