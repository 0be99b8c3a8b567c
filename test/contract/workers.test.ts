/**
 * The contract suite on workerd (Miniflare: R2, Durable Objects, static assets): the Worker bundled as
 * `wrangler deploy` would, configured through its vars, published to over its admin API.
 */
import { join } from 'node:path';
import { fetchFrom, publishOverAdminApi, startWorker, workerFixture, writeFiles } from '../support/edge-server/workerd.ts';
import { describeContract } from './suite.ts';

const worker = workerFixture();

describeContract('workerd (Miniflare: R2, Durable Objects, static assets)', async (config) => {
  const dir = await worker.dir('contract');
  const options = {
    script: worker.script(),
    vars: {
      TRUSTED_KEYS: JSON.stringify(config.trustedKeys),
      ALLOWED_ORIGINS: config.allowedOrigins.join(', '),
      ADMIN_TOKENS: config.adminTokens.join(','),
      FEDERATED_SIGNING_KEY: JSON.stringify(config.federation.signingKey),
      FEDERATED_CONFIG: JSON.stringify({
        cohort: config.federation.cohort,
        epsilonBudget: config.federation.epsilonBudget,
        epsilonPerDay: config.federation.epsilonPerDay,
        aggregation: { releaseThreshold: config.federation.releaseThreshold },
        admission: { tokensPerDay: config.federation.tokensPerDay },
      }),
    },
    assetsDir: await writeFiles(join(dir, 'assets'), config.widget),
    persistDir: join(dir, 'state'),
  };
  let mf = await startWorker(options);
  return {
    fetch: (path, init) => fetchFrom(mf, path, init),
    publish: (artifact) => publishOverAdminApi(mf, config.adminTokens[0]!, artifact),
    restart: async () => {
      await mf.dispose();
      mf = await startWorker(options);
    },
    close: () => mf.dispose(),
  };
});

