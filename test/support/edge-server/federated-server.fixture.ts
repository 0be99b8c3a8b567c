/**
 * The Node edge server with a federation on disk, composed as production composes it (disk blob and
 * round stores, `createFederation`, `createApp`, `serveNode`), for tests that kill it with SIGKILL.
 *
 *   node --import tsx federated-server.fixture.ts DATA_DIR
 *
 * DATA_DIR holds `config.json` ({ trustedKeys, signingKey, cohort }); prints `{"url":...}` once listening.
 * Trusts X-Forwarded-For from 127.0.0.1: clients name their address in it, one network source per device.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp } from '../../../edge-server/app.ts';
import { createFederation } from '../../../edge-server/federated/federation.ts';
import { createAdmission } from '../../../edge-server/federated/admission.ts';
import { openDiskAdmissionStore } from '../../../edge-server/adapters/node/admission-store.ts';
import { nodePeer, trustedProxies } from '../../../edge-server/adapters/node/peer.ts';
import { nodeRsaRaw } from '../../../edge-server/adapters/node/rsa-raw.ts';
import { openDiskRoundStore } from '../../../edge-server/adapters/node/round-store.ts';
import { serveNode } from '../../../edge-server/adapters/node/serve.ts';
import { nodeTokenHash } from '../../../edge-server/adapters/node/token-hash.ts';
import { openDiskStorage } from '../../../edge-server/adapters/node/storage.ts';
import { widgetDir } from '../../../edge-server/adapters/node/widget-dir.ts';

const dir = process.argv[2]!;
const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
const storage = await openDiskStorage(join(dir, 'store'));
const federation = createFederation({
  storage,
  rounds: await openDiskRoundStore(join(dir, 'federated')),
  signingKey: config.signingKey,
  cohort: config.cohort,
  aggregation: { releaseThreshold: 1 },
  epsilonBudget: 1e6,
  epsilonPerDay: 1e6,
  maxUpdatesPerDay: 1000,
});
// Behind a "proxy" on loopback: tests send each device's address in X-Forwarded-For (`deviceAddress`), so
// every device is its own network source, as on the internet.
const app = createApp({
  storage,
  trustedKeys: config.trustedKeys,
  widget: widgetDir(join(dir, 'no-widget')),
  // Admission as in production (disk store, OpenSSL signing); a simulated device re-sends after a crash, so an address gets several tokens a day.
  federated: { federation, hashToken: nodeTokenHash, admission: createAdmission({ store: await openDiskAdmissionStore(join(dir, 'admission')), rsaRaw: nodeRsaRaw, tokensPerDay: 1000 }) },
  peer: nodePeer(trustedProxies(['127.0.0.1'])),
});
const server = await serveNode({ port: 0, hostname: '127.0.0.1', app });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
