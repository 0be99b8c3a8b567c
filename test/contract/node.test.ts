/** The contract suite on Node: `createApp` on disk storage in a temp dir, called in process. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { openDiskAnalytics, type DiskAnalyticsStore } from '../../edge-server/adapters/node/analytics-store.ts';
import { openDiskCatalog } from '../../edge-server/adapters/node/catalog-store.ts';
import { openDiskStorage } from '../../edge-server/adapters/node/storage.ts';
import { openDiskRoundStore } from '../../edge-server/adapters/node/round-store.ts';
import { nodeTokenHash } from '../../edge-server/adapters/node/token-hash.ts';
import { createApp } from '../../edge-server/app.ts';
import { createFederation } from '../../edge-server/federated/federation.ts';
import { createAdmission } from '../../edge-server/federated/admission.ts';
import { openDiskAdmissionStore } from '../../edge-server/adapters/node/admission-store.ts';
import { nodeRsaRaw } from '../../edge-server/adapters/node/rsa-raw.ts';
import { describeContract } from './suite.ts';
import { publishArtifact } from '../../edge-server/models/registry.ts';
import type { Storage } from '../../edge-server/models/storage.ts';
import { testPeer } from '../support/edge-server/federated.ts';
import { memoryWidget } from '../support/edge-server/fixtures.ts';

describeContract('Node (disk storage)', async (config) => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-recs-contract-'));
  let storage: Storage;
  let app: Hono;
  // A restart is what a new process does: open the directory afresh and build a new app on it.
  let analytics: DiskAnalyticsStore | undefined;
  const start = async (): Promise<void> => {
    await analytics?.close();
    storage = await openDiskStorage(dir);
    analytics = await openDiskAnalytics(join(dir, 'analytics'));
    app = createApp({
      storage,
      trustedKeys: config.trustedKeys,
      allowedOrigins: config.allowedOrigins,
      widget: memoryWidget(config.widget),
      adminTokens: config.adminTokens,
      analytics: { store: analytics },
      catalog: await openDiskCatalog(join(dir, 'catalog')),
      federated: {
        federation: createFederation({
          storage,
          rounds: await openDiskRoundStore(join(dir, 'federated')),
          signingKey: config.federation.signingKey,
          cohort: config.federation.cohort,
          epsilonBudget: config.federation.epsilonBudget,
          epsilonPerDay: config.federation.epsilonPerDay,
          aggregation: { releaseThreshold: config.federation.releaseThreshold },
        }),
        hashToken: nodeTokenHash,
        admission: createAdmission({ store: await openDiskAdmissionStore(join(dir, 'admission')), rsaRaw: nodeRsaRaw, tokensPerDay: config.federation.tokensPerDay }),
      },
      // The client address from the suite's test header, as the Workers runtime reads CF-Connecting-IP.
      peer: testPeer,
    });
  };
  await start();
  return {
    fetch: async (path, init) => app.request(path, init),
    publish: async (artifact) => ({ created: (await publishArtifact(storage, artifact, { trusted: config.trustedKeys })).created }),
    restart: start,
    close: async () => {
      await analytics?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
