/**
 * `edge-recs models`, `catalog upload` and `bestsellers upload` run for real (child processes through
 * the bin script) against a real edge server in this process (`@hono/node-server` on a loopback port).
 * Each test checks what the server serves afterwards, not only what the command prints.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactForm } from '../../core/artifact/upload.ts';
import { serveNode, type NodeServer } from '../../edge-server/adapters/node/serve.ts';
import { createApp } from '../../edge-server/app.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { memoryWidget, signer, tinyArtifact } from '../support/edge-server/fixtures.ts';
import { type ProcessRun, runEdgeRecs } from '../support/cli.ts';

/**
 * A test runs up to five CLI processes. These commands load no tfjs (`cli.ts` imports the commands that
 * need it only when they run): well under a second each, a few seconds on a loaded 2-core machine.
 */
const CLI_TIMEOUT = 60_000;
const TOKEN = 'release-test-token-0123456789';

const edgeRecs = (args: string[], env: Record<string, string> = {}): Promise<ProcessRun> => runEdgeRecs(args, { env, timeoutMs: 30_000 });

let dir: string;
let server: NodeServer;
let closedAdmin: NodeServer;
let admin: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-release-'));
  const { key, trusted } = await signer();
  server = await serveNode({ port: 0, hostname: '127.0.0.1', app: createApp({ storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN] }) });
  // A server nobody set up for administration: no admin token.
  closedAdmin = await serveNode({ port: 0, hostname: '127.0.0.1', app: createApp({ storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}) }) });
  for (const [i, v] of ['v1', 'v2', 'v3'].entries()) {
    const res = await fetch(`${server.url}/v1/admin/models/default/versions`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: artifactForm(await tinyArtifact(key, v, i + 1)) });
    expect(res.status).toBe(201);
  }
  admin = ['--server', server.url, '--token', TOKEN];
});

afterAll(async () => {
  await server?.close();
  await closedAdmin?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The version a manifest request in `bucket` (0-99) gets. */
const served = async (bucket: number): Promise<string | null> =>
  (await fetch(`${server.url}/v1/models/default/manifest`, { headers: { 'X-Canary-Bucket': String(bucket) } })).headers.get('X-Model-Version');

describe('edge-recs models', { timeout: CLI_TIMEOUT }, () => {
  it('lists the versions, oldest first, and who gets which; --json prints the record on one line', async () => {
    const [list, json] = await Promise.all([edgeRecs(['models', 'list', ...admin]), edgeRecs(['models', 'list', '--json', '--server', server.url], { EDGE_RECS_TOKEN: TOKEN })]);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('default: v3 current for everyone');
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/))).toEqual([
      ['v1', expect.stringMatching(/^\d{4}-\d\d-\d\dT/)],
      ['v2', expect.stringMatching(/^\d{4}-/)],
      ['v3', expect.stringMatching(/^\d{4}-/), 'current'],
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'default', current: 'v3', canary: null, versions: [{ version: 'v1' }, { version: 'v2' }, { version: 'v3' }] });
  });

  it('rolls back, runs a canary, promotes and stops the canary, saying what each changed', async () => {
    const rollback = await edgeRecs(['models', 'rollback', ...admin]);
    expect(rollback.stdout).toBe('default: rolled back; v2 now current for everyone\n');
    expect([await served(0), await served(99)]).toEqual(['v2', 'v2']);

    const canary = await edgeRecs(['models', 'canary', 'set', 'v3', '--percent', '10', ...admin]);
    expect(canary.stdout).toBe('default: v3 now on 10% (canary), v2 current\n');
    expect([await served(0), await served(9), await served(10), await served(99)]).toEqual(['v3', 'v3', 'v2', 'v2']);

    const promote = await edgeRecs(['models', 'promote', 'v1', ...admin]);
    expect(promote.stdout).toBe('default: v1 now current; v3 stays on 10% (canary)\n');
    expect([await served(9), await served(10)]).toEqual(['v3', 'v1']);

    const stop = await edgeRecs(['models', 'canary', 'stop', '--json', ...admin]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ current: 'v1', canary: null });
    expect(await served(0)).toBe('v1');

    const back = await edgeRecs(['models', 'promote', 'v3', ...admin]);
    expect(back.stdout).toBe('default: v3 now current for everyone\n');
    expect(await served(0)).toBe('v3');
  });

  it('fails with the server\'s code and message (exit 1), and a hint for a token the server refuses', async () => {
    const [unknown, ofCurrent, wrongToken, disabled] = await Promise.all([
      edgeRecs(['models', 'promote', 'v9', ...admin]),
      edgeRecs(['models', 'canary', 'set', 'v3', '--percent', '5', ...admin]),
      edgeRecs(['models', 'list', '--server', server.url, '--token', 'wrong-token-0123456789abc']),
      edgeRecs(['models', 'list', '--server', closedAdmin.url, '--token', TOKEN]),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`edge-recs: ${server.url} refused promoting default@v9: unknown_version: model default has no version "v9" (published: v1, v2, v3)\n`);
    expect(ofCurrent.code).toBe(1);
    expect(ofCurrent.stderr).toMatch(/refused a canary of default@v3: bad_canary: v3 is already the current version/);
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toMatch(/refused the versions of default: forbidden: .*\(check --token or EDGE_RECS_TOKEN/);
    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toMatch(/admin_disabled: .*\(the server has no admin token configured/);
    expect(await served(0)).toBe('v3');
  });

  it('exits 2 on usage errors, before any request: no token, no server, a bad percentage, a missing version', async () => {
    const [noToken, noServer, percent, missing] = await Promise.all([
      edgeRecs(['models', 'list', '--server', server.url]),
      edgeRecs(['models', 'list'], { EDGE_RECS_TOKEN: TOKEN }),
      edgeRecs(['models', 'canary', 'set', 'v2', '--percent', '0', ...admin]),
      edgeRecs(['models', 'promote', ...admin]),
    ]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/--token \(or the EDGE_RECS_TOKEN environment variable\) is required/);
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toMatch(/--server \(or the EDGE_RECS_SERVER environment variable\) is required/);
    expect(percent.code).toBe(2);
    expect(percent.stderr).toMatch(/--percent must be a percentage, an integer 1-100 \(got "0"\)/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument 'version'/);
    expect(await served(0)).toBe('v3');
  });
});

const TSV = 'id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type\nsku-1\tCream\t/p/1\t/i/1\t9.50 EUR\tin stock\tBeauty\nsku-2\tSoap\t/p/2\t/i/2\t3.00 EUR\tin stock\tBeauty\n';
const XML = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Shop</title>
<item><g:id>sku-x</g:id><title>Lamp</title><link>https://shop.example/p/x</link><g:image_link>https://shop.example/i/x.png</g:image_link><g:price>20.00 EUR</g:price><g:availability>in stock</g:availability><g:product_type>Home</g:product_type></item>
</channel></rss>`;
const JSON_CATALOG = JSON.stringify({
  updatedAt: '2026-03-01T00:00:00Z',
  products: [{ id: 'sku-j', title: 'Mug', link: '/p/j', image_link: '/i/j', price: 8, currency: 'EUR', availability: 'in_stock', product_type: 'Home' }],
});

const catalogIds = async (): Promise<string[]> => ((await (await fetch(`${server.url}/v1/catalog`)).json()) as { products: Array<{ id: string }> }).products.map((p) => p.id);

describe('edge-recs catalog upload', { timeout: CLI_TIMEOUT }, () => {
  it('sends a Merchant Center TSV (.txt, sniffed), an XML feed, a gzipped feed and a JSON catalog with the right Content-Type', async () => {
    await writeFile(join(dir, 'feed.txt'), TSV);
    const tsv = await edgeRecs(['catalog', 'upload', join(dir, 'feed.txt'), ...admin]);
    expect(tsv.code, tsv.stderr).toBe(0);
    expect(tsv.stdout).toBe(`catalog: 2 products from feed.txt (Merchant Center TSV feed) now served at ${server.url}/v1/catalog\n`);
    expect(await catalogIds()).toEqual(['sku-1', 'sku-2']);

    await writeFile(join(dir, 'feed.xml'), XML);
    await writeFile(join(dir, 'feed.tsv.gz'), gzipSync(TSV.replace('sku-2', 'sku-3')));
    const xml = await edgeRecs(['catalog', 'upload', join(dir, 'feed.xml'), '--json', ...admin]);
    expect(xml.code, xml.stderr).toBe(0);
    expect(JSON.parse(xml.stdout)).toMatchObject({ products: 1, etag: expect.stringMatching(/^"[0-9a-f]{64}"$/) });
    expect(await catalogIds()).toEqual(['sku-x']);
    const gz = await edgeRecs(['catalog', 'upload', join(dir, 'feed.tsv.gz'), ...admin]);
    expect(gz.stdout).toMatch(/^catalog: 2 products from feed\.tsv\.gz \(Merchant Center TSV feed\)/);
    expect(await catalogIds()).toEqual(['sku-1', 'sku-3']);

    await writeFile(join(dir, 'catalog.export'), JSON_CATALOG);
    const json = await edgeRecs(['catalog', 'upload', join(dir, 'catalog.export'), ...admin]);
    expect(json.stdout).toMatch(/^catalog: 1 product from catalog\.export \(JSON catalog\)/);
    expect(await catalogIds()).toEqual(['sku-j']);
  });

  it('names the bad line and field from the server, refuses a format it cannot tell (exit 2), and keeps the catalog', async () => {
    await writeFile(join(dir, 'bad.tsv'), TSV.replace('9.50 EUR', 'free'));
    await writeFile(join(dir, 'products.csv'), 'id,title\nsku-1,Cream\n');
    const [bad, csv, forced] = await Promise.all([
      edgeRecs(['catalog', 'upload', join(dir, 'bad.tsv'), ...admin]),
      edgeRecs(['catalog', 'upload', join(dir, 'products.csv'), ...admin]),
      edgeRecs(['catalog', 'upload', join(dir, 'products.csv'), '--format', 'csv', ...admin]),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/refused catalog bad\.tsv \(Merchant Center TSV feed\): bad_catalog: line 2 \(item "sku-1"\): field "price"/);
    expect(csv.code).toBe(2);
    expect(csv.stderr).toMatch(/products\.csv: cannot tell its format: .*--format json\|tsv\|xml/);
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(/--format must be one of json, tsv, xml \(got "csv"\)/);
    expect(await catalogIds()).toEqual(['sku-j']);
  });
});

const bestsellers = async (): Promise<string[]> =>
  ((await (await fetch(`${server.url}/v1/popular?model=default`)).json()) as { bestsellers: Array<{ id: string }> }).bestsellers.map((b) => b.id);

describe('edge-recs bestsellers upload', { timeout: CLI_TIMEOUT }, () => {
  it('reads a CSV export (first column, header skipped, quoted ids), a text list and JSON, best first', async () => {
    await writeFile(join(dir, 'top.csv'), 'item_id,units\n"sku-2, large",40\nsku-1,31\n\nsku-3,7\n');
    const csv = await edgeRecs(['bestsellers', 'upload', join(dir, 'top.csv'), ...admin]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe('default: bestsellers replaced by 3 ids from top.csv, best first (sku-2, large, sku-1, sku-3)\n');
    expect(await bestsellers()).toEqual(['sku-2, large', 'sku-1', 'sku-3']);

    await writeFile(join(dir, 'top.txt'), 'sku-9\r\n  sku-8  \r\n');
    await writeFile(join(dir, 'top.json'), JSON.stringify({ ids: ['sku-7', 'sku-6'] }));
    const txt = await edgeRecs(['bestsellers', 'upload', join(dir, 'top.txt'), '--json', ...admin]);
    expect(JSON.parse(txt.stdout)).toMatchObject({ model: 'default', count: 2 });
    expect(await bestsellers()).toEqual(['sku-9', 'sku-8']);
    const json = await edgeRecs(['bestsellers', 'upload', join(dir, 'top.json'), ...admin]);
    expect(json.code, json.stderr).toBe(0);
    expect(await bestsellers()).toEqual(['sku-7', 'sku-6']);
  });

  it('refuses a list for a model the server has not published, naming --name, and stores nothing', async () => {
    const { key, trusted } = await signer();
    const storage = createMemoryStorage();
    const shop = await serveNode({ port: 0, hostname: '127.0.0.1', app: createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN] }) });
    try {
      const res = await fetch(`${shop.url}/v1/admin/models/shop/versions`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: artifactForm(await tinyArtifact(key, 'v1', 1, 'shop')) });
      expect(res.status).toBe(201);
      await writeFile(join(dir, 'shop-top.csv'), 'id\nsku-1\nsku-2\n');
      // The merchant forgot --name: the list would go to "default", which this server never published.
      const forgot = await edgeRecs(['bestsellers', 'upload', join(dir, 'shop-top.csv'), '--server', shop.url, '--token', TOKEN]);
      expect(forgot.code).toBe(1);
      expect(forgot.stdout).toBe('');
      expect(forgot.stderr).toContain('unknown_model: no model named "default" is published');
      expect(forgot.stderr).toContain('--name picks the model');
      const popular = async (model: string): Promise<unknown> => ((await (await fetch(`${shop.url}/v1/popular?model=${model}`)).json()) as { bestsellers: unknown }).bestsellers;
      expect(await popular('default')).toEqual([]);
      const named = await edgeRecs(['bestsellers', 'upload', join(dir, 'shop-top.csv'), '--name', 'shop', '--server', shop.url, '--token', TOKEN]);
      expect(named.code, named.stderr).toBe(0);
      expect(await popular('shop')).toEqual([{ id: 'sku-1', score: 2 }, { id: 'sku-2', score: 1 }]);
    } finally {
      await shop.close();
    }
  });

  it('names the file and line of a repeated or refused id, and changes nothing', async () => {
    await writeFile(join(dir, 'twice.txt'), 'sku-1\nsku-2\nsku-1\n');
    await writeFile(join(dir, 'long.csv'), `id\nsku-1\n${'x'.repeat(300)}\n`);
    await writeFile(join(dir, 'empty.txt'), '\n\n');
    const [twice, long, empty] = await Promise.all([
      edgeRecs(['bestsellers', 'upload', join(dir, 'twice.txt'), ...admin]),
      edgeRecs(['bestsellers', 'upload', join(dir, 'long.csv'), ...admin]),
      edgeRecs(['bestsellers', 'upload', join(dir, 'empty.txt'), ...admin]),
    ]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`${join(dir, 'twice.txt')}:3: "sku-1" is listed twice (first on line 1)`);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(new RegExp(`bad_bestsellers: ${join(dir, 'long.csv').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: `));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/empty\.txt: no ids in it/);
    expect(await bestsellers()).toEqual(['sku-7', 'sku-6']);
  });
});
