/**
 * `edge-recs catalog upload` signs the catalog when it has a signing key (`--sign-key`, else
 * `EDGE_RECS_SIGN_KEY`), run for real (child processes through the bin script) against a real edge server
 * on a loopback port (`@hono/node-server`), whose served catalog is then checked with the public key.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyFile, type KeyFile } from '../../core/artifact/signing.ts';
import { verifyCatalog } from '../../core/catalog-signature.ts';
import { parseCatalog, type Catalog } from '../../core/catalog.ts';
import { parseCatalogText } from '../../core/catalog-text.ts';
import { serveNode, type NodeServer } from '../../edge-server/adapters/node/serve.ts';
import { createApp } from '../../edge-server/app.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { memoryWidget } from '../support/edge-server/fixtures.ts';
import { runEdgeRecs, type ProcessRun } from '../support/cli.ts';

const TOKEN = 'catalog-signing-token-0123456789';
const TSV = 'id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type\nsku-1\tCream\t/p/1\t/i/1\t9.50 EUR\tin stock\tBeauty\nsku-2\tSoap\t/p/2\t/i/2\t3.00 EUR\tin stock\tBeauty\n';
const XML = `<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><item>
<g:id>x-1</g:id><g:title>Kettle</g:title><g:link>https://shop.example/x-1</g:link><g:image_link>https://img.example/x-1.jpg</g:image_link>
<g:price>30.00 GBP</g:price><g:availability>in stock</g:availability><g:google_product_category>Home &gt; Kitchen</g:google_product_category></item></channel></rss>`;

let dir: string;
let server: NodeServer;
let key: Required<KeyFile>;
let admin: string[];

const edgeRecs = (args: string[], env: Record<string, string> = {}): Promise<ProcessRun> => runEdgeRecs(args, { env, timeoutMs: 30_000 });
const served = async (): Promise<Catalog> => parseCatalog(await (await fetch(`${server.url}/v1/catalog`)).json());

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-catalog-signing-'));
  key = await generateKeyFile();
  const stranger = await generateKeyFile();
  await writeFile(join(dir, 'release.json'), JSON.stringify(key));
  await writeFile(join(dir, 'release.pub.json'), JSON.stringify({ alg: 'Ed25519', keyId: key.keyId, publicKey: key.publicKey }));
  await writeFile(join(dir, 'stranger.json'), JSON.stringify(stranger));
  await writeFile(join(dir, 'feed.tsv'), TSV);
  await writeFile(join(dir, 'feed.xml'), XML);
  const trustedKeys = [{ keyId: key.keyId, publicKey: key.publicKey }];
  server = await serveNode({ port: 0, hostname: '127.0.0.1', app: createApp({ storage: createMemoryStorage(), trustedKeys, widget: memoryWidget({}), adminTokens: [TOKEN] }) });
  admin = ['--server', server.url, '--token', TOKEN];
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('edge-recs catalog upload with a signing key', { timeout: 90_000 }, () => {
  it('--sign-key: parses the feed, signs it, and the server serves it with a signature the public key verifies', async () => {
    const run = await edgeRecs(['catalog', 'upload', join(dir, 'feed.tsv'), '--sign-key', join(dir, 'release.json'), ...admin]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`catalog: 2 products from feed.tsv (Merchant Center TSV feed) now served at ${server.url}/v1/catalog, signed by key ${key.keyId}\n`);
    const catalog = await served();
    expect(catalog.signature?.keyId).toBe(key.keyId);
    expect((await verifyCatalog(catalog, [{ keyId: key.keyId, publicKey: key.publicKey }])).keyId).toBe(key.keyId);
    // The same products the server makes of the feed unsigned.
    const { signature: _s, ...unsigned } = catalog;
    expect(unsigned.products).toEqual(parseCatalogText(TSV, 'tsv').products);
  });

  it('signs by default when EDGE_RECS_SIGN_KEY names the key (an XML feed here); --json names the key', async () => {
    const run = await edgeRecs(['catalog', 'upload', join(dir, 'feed.xml'), '--json', ...admin], { EDGE_RECS_SIGN_KEY: join(dir, 'release.json') });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ products: 1, signedBy: key.keyId });
    expect((await served()).products.map((p) => p.id)).toEqual(['x-1']);
  });

  it('without a key the catalog goes unsigned, as before', async () => {
    const run = await edgeRecs(['catalog', 'upload', join(dir, 'feed.tsv'), '--json', ...admin]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ products: 2, signedBy: null });
    expect((await served()).signature).toBeUndefined();
  });

  it('refuses a key the server does not trust (exit 1, catalog kept) and a public key file (exit 2)', async () => {
    const before = await served();
    const [stranger, publicOnly] = await Promise.all([
      edgeRecs(['catalog', 'upload', join(dir, 'feed.xml'), '--sign-key', join(dir, 'stranger.json'), ...admin]),
      edgeRecs(['catalog', 'upload', join(dir, 'feed.xml'), '--sign-key', join(dir, 'release.pub.json'), ...admin]),
    ]);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/refused catalog feed\.xml \(Merchant Center XML feed\): untrusted_key: the catalog is signed by unknown key [0-9a-f]{16}/);
    expect(publicOnly.code).toBe(2);
    expect(publicOnly.stderr).toMatch(/release\.pub\.json: holds no private key/);
    expect(await served()).toEqual(before);
  });
});
