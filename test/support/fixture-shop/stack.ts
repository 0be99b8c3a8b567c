/**
 * Sets up the fixture shop as a new merchant would, with the README only and the project's real tools:
 *
 * 1. The shop's GA4 BigQuery export (`history.ts`: daily gzipped shards of nested JSON) and its Merchant
 *    Center TSV feed are written to disk; `edge-recs train --catalog` learns a tiny model from the
 *    export as it is, `edge-recs keygen` makes a signing key pair, `edge-recs export --quantize uint8
 *    --sign-key` signs the model, all as child processes.
 * 2. The real Node edge server (`main.ts`, a child process) starts on `127.0.0.1` with the shop's origin
 *    (`http://localhost:PORT`, another origin and site) allowed, an admin token and the public key
 *    trusted; `edge-recs publish` uploads the model and `edge-recs catalog upload` the feed.
 * 3. The shop's pages carry the README's script tag: the loader cross-origin with the SRI hash of the
 *    loader the edge server serves (its copy of the build, `startEdgeServer`; the hash `dist/integrity.json`
 *    gives for that build) and the public key pinned.
 *
 * Federated learning is off (no `--federation-key`): a merchant's first deployment.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { edgeRecsOk, startEdgeServer, type EdgeServer } from '../e2e/edge-server.ts';
import { feedTsv } from './catalog.ts';
import { ga4DailyShards } from './history.ts';
import { startFixtureShop, type FixtureShop, type WidgetTag } from './server.ts';

/** The data summary of `edge-recs train --json` (what was read, kept and skipped). */
export interface TrainingData {
  files: number;
  shapes: string[];
  rows: number;
  kept: number;
  skippedEvents: Record<string, number>;
  catalog?: { learned: number; notInCatalog: { top: Array<[string, number]> } };
}

/** The model's name: the shop's own, not `default`, so `data-model` is exercised. */
export const MODEL = 'fjellpine';

export interface FixtureStack {
  shop: FixtureShop;
  edge: EdgeServer;
  adminToken: string;
  model: string;
  /** The summary `edge-recs train --json` printed. */
  training: { config: { numItems: number }; data?: TrainingData };
  /** What the GA4 export handed to `train` holds: daily files and event rows. */
  exported: { files: number; rows: number };
  /** The script tag the shop's pages carry (`shop.setWidget`), e.g. to point it at a proxy in front of `edge`. */
  widget: WidgetTag;
  stop(): Promise<void>;
}

export async function startFixtureStack(): Promise<FixtureStack> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-recs-fixture-shop-'));
  const cleanup: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  try {
    const shop = await startFixtureShop();
    cleanup.unshift(() => shop.stop());

    // The shop's own exports, as downloaded: GA4's BigQuery tables (a directory of daily gzipped shards)
    // and the Merchant Center feed.
    const exportDir = join(dir, 'ga4-export');
    await mkdir(exportDir);
    const shards = ga4DailyShards({ origin: shop.url });
    for (const [name, bytes] of shards) await writeFile(join(exportDir, name), bytes);
    const exported = { files: shards.size, rows: [...shards.values()].reduce((n, gz) => n + gunzipSync(gz).toString().split('\n').filter(Boolean).length, 0) };
    const feedFile = join(dir, 'merchant-center-feed.tsv');
    await writeFile(feedFile, feedTsv(shop.url));

    // Training runs while the server is set up: the server needs only the public key and the feed.
    const keyFile = join(dir, 'keys', 'release.json');
    const adminToken = randomBytes(24).toString('hex');
    const trainedModel = edgeRecsOk(['train', '--data', exportDir, '--catalog', feedFile, '--out', join(dir, 'run'), '--dim', '16', '--blocks', '1', '--epochs', '20', '--patience', '3', '--negatives', '0', '--seed', '7', '--json']);
    trainedModel.catch(() => undefined);
    await mkdir(join(dir, 'keys'));
    const key = JSON.parse(await edgeRecsOk(['keygen', '--out', keyFile, '--json'])) as { publicKeyFile: string; dataPublicKey: string };
    const edge = await startEdgeServer({
      dataDir: join(dir, 'edge-data'),
      // k = 1: one shopper's journey shows in the read-out (k-suppression is tested in edge-server/analytics).
      args: ['--allow-origin', shop.url, '--admin-token', adminToken, '--trusted-key', key.publicKeyFile, '--suppress-below', '1'],
    });
    cleanup.unshift(() => edge.stop());
    const admin = { EDGE_RECS_TOKEN: adminToken, EDGE_RECS_SERVER: edge.url };
    const [training] = await Promise.all([
      trainedModel.then(async (out) => {
        await edgeRecsOk(['export', '--model', join(dir, 'run'), '--quantize', 'uint8', '--sign-key', keyFile, '--name', MODEL, '--out', join(dir, 'artifact')]);
        await edgeRecsOk(['publish', '--artifact', join(dir, 'artifact'), '--json'], admin);
        return JSON.parse(out.trim().split('\n').at(-1)!) as FixtureStack['training'];
      }),
      edgeRecsOk(['catalog', 'upload', feedFile, '--json'], admin),
    ]);

    const widget: WidgetTag = { edgeUrl: edge.url, integrity: edge.integrity, model: MODEL, publicKey: key.dataPublicKey };
    shop.setWidget(widget);

    return {
      shop,
      edge,
      adminToken,
      model: MODEL,
      training,
      exported,
      widget,
      async stop() {
        for (const step of cleanup) await step();
      },
    };
  } catch (e) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw e;
  }
}
