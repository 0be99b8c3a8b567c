/**
 * `edge-recs publish` run for real (a child process through the bin script) against a real edge server
 * in this process (`@hono/node-server` on an ephemeral loopback port).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyFile, TrustedKey } from '../../core/artifact/signing.ts';
import { serveNode, type NodeServer } from '../../edge-server/adapters/node/serve.ts';
import { createApp } from '../../edge-server/app.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { memoryWidget, signer, tinyArtifact } from '../support/edge-server/fixtures.ts';
import { writeArtifactDir } from '../../model-export/artifact/artifact-fs.ts';
import { type ProcessRun, runEdgeRecs } from '../support/cli.ts';

/**
 * A test runs up to five CLI processes. These commands load no tfjs (`cli.ts` imports the commands that
 * need it only when they run): well under a second each, a few seconds on a loaded 2-core machine.
 */
const CLI_TIMEOUT = 60_000;
const TOKEN = 'publish-test-token-0123456789';

const edgeRecs = (args: string[], env: Record<string, string> = {}): Promise<ProcessRun> => runEdgeRecs(['publish', ...args], { env, timeoutMs: 30_000 });

let dir: string;
let server: NodeServer;
let key: Required<KeyFile>;
let trusted: TrustedKey[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-publish-'));
  ({ key, trusted } = await signer());
  const app = createApp({ storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN] });
  server = await serveNode({ port: 0, hostname: '127.0.0.1', app });
  await writeArtifactDir(join(dir, 'v1'), await tinyArtifact(key, 'v1', 1));
  await writeArtifactDir(join(dir, 'v2'), await tinyArtifact(key, 'v2', 2));
  const { key: stranger } = await signer();
  await writeArtifactDir(join(dir, 'forged'), await tinyArtifact(stranger, 'v3', 3));
  await writeArtifactDir(join(dir, 'unsigned'), await tinyArtifact(undefined, 'v4', 4));
  await writeArtifactDir(join(dir, 'v5'), await tinyArtifact(key, 'v5', 5));
  await writeArtifactDir(join(dir, 'fresh'), await tinyArtifact(key, 'f1', 6, 'fresh'));
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The version a manifest request gets; with a bucket (0-99), the side of a canary that bucket is on. */
const version = async (bucket?: number): Promise<string | null> =>
  (await fetch(`${server.url}/v1/models/default/manifest`, bucket === undefined ? {} : { headers: { 'X-Canary-Bucket': String(bucket) } })).headers.get('X-Model-Version');

describe('edge-recs publish', { timeout: CLI_TIMEOUT }, () => {
  it('uploads a signed artifact, which the server then serves as the current version', async () => {
    const run = await edgeRecs(['--artifact', join(dir, 'v1'), '--server', server.url, '--token', TOKEN]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^published default@v1 to ${server.url} \\([\\d,]+ bytes\\); current version: v1\\n$`));
    expect(await version()).toBe('v1');
  });

  it('takes the token from EDGE_RECS_TOKEN, prints JSON with --json, and reports a repeat as already published', async () => {
    const [first, again] = [
      await edgeRecs(['--artifact', join(dir, 'v2'), '--server', `${server.url}/`, '--json', '--name', 'default'], { EDGE_RECS_TOKEN: TOKEN }),
      await edgeRecs(['--artifact', join(dir, 'v2'), '--server', server.url, '--token', TOKEN]),
    ];
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ name: 'default', version: 'v2', created: true, current: 'v2' });
    expect(again.stdout).toMatch(/^already published default@v2/);
    expect(await version()).toBe('v2');
  });

  it('fails (exit 1) naming the server\'s refusal: a wrong token, an untrusted key', async () => {
    const [wrong, forged] = await Promise.all([
      edgeRecs(['--artifact', join(dir, 'v1'), '--server', server.url, '--token', 'wrong-token-0123456789abc']),
      edgeRecs(['--artifact', join(dir, 'forged'), '--server', server.url, '--token', TOKEN]),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused default@v1: forbidden: the admin token is not valid \(check --token or EDGE_RECS_TOKEN/);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/refused default@v3: untrusted_key: /);
    expect(await version()).toBe('v2');
  });

  it('fails before uploading on usage errors (exit 2), an unsigned artifact, a missing directory or an unreachable server', async () => {
    const [noToken, badName, unsigned, missing] = await Promise.all([
      edgeRecs(['--artifact', join(dir, 'v1'), '--server', server.url]),
      edgeRecs(['--artifact', join(dir, 'v1'), '--server', server.url, '--token', TOKEN, '--name', 'other']),
      edgeRecs(['--artifact', join(dir, 'unsigned'), '--server', server.url, '--token', TOKEN]),
      edgeRecs(['--artifact', join(dir, 'nope'), '--server', server.url, '--token', TOKEN]),
    ]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/--token \(or the EDGE_RECS_TOKEN environment variable\) is required/);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/the artifact is model "default", and the name is signed/);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(/not signed; export it with --sign-key/);
    expect(missing.stderr).toMatch(/manifest\.json: not found/);
    const closed = await serveNode({ port: 0, hostname: '127.0.0.1', app: createApp({ storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}) }) });
    await closed.close();
    const unreachable = await edgeRecs(['--artifact', join(dir, 'v1'), '--server', closed.url, '--token', TOKEN]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('fails before uploading on a tampered or missing artifact file, naming it (the reader eval and export use)', async () => {
    const artifact = await tinyArtifact(key, 'v9', 9);
    await writeArtifactDir(join(dir, 'tampered'), artifact);
    const shard = artifact.manifest.shards[0]!.path;
    const bytes = await readFile(join(dir, 'tampered', shard));
    bytes[0] = bytes[0]! ^ 0xff;
    await writeFile(join(dir, 'tampered', shard), bytes);
    await writeArtifactDir(join(dir, 'incomplete'), artifact);
    await rm(join(dir, 'incomplete', 'items.json'));
    const [tampered, incomplete] = await Promise.all([
      edgeRecs(['--artifact', join(dir, 'tampered'), '--server', server.url, '--token', TOKEN]),
      edgeRecs(['--artifact', join(dir, 'incomplete'), '--server', server.url, '--token', TOKEN]),
    ]);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain(`${join(dir, 'tampered')}: ${shard}: SHA-256 does not match the manifest`);
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toContain(`${join(dir, 'incomplete')}: missing file items.json`);
    expect((await fetch(`${server.url}/v1/models/default/manifest`)).headers.get('X-Model-Version')).not.toBe('v9');
  });

  it('publishes with --canary N: the new version on N% of requests, the current one for the rest, and says so', async () => {
    const run = await edgeRecs(['--artifact', join(dir, 'v5'), '--server', server.url, '--token', TOKEN, '--canary', '10']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^published default@v5 to ${server.url} \\([\\d,]+ bytes\\); now v5 on 10% \\(canary\\), v2 current\\n$`));
    expect([await version(0), await version(9), await version(10), await version(99)]).toEqual(['v5', 'v5', 'v2', 'v2']);

    const again = await edgeRecs(['--artifact', join(dir, 'v5'), '--server', server.url, '--canary', '20', '--json'], { EDGE_RECS_TOKEN: TOKEN });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ name: 'default', version: 'v5', created: false, current: 'v2', canary: { version: 'v5', percent: 20 } });
    expect(await version(19)).toBe('v5');
  });

  it('refuses --canary outside 1-100 (exit 2) and a canary of a model\'s first version (the server\'s 409), publishing nothing', async () => {
    const bad = await Promise.all(['0', '101', 'ten'].map((p) => edgeRecs(['--artifact', join(dir, 'fresh'), '--server', server.url, '--token', TOKEN, '--canary', p])));
    for (const run of bad) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--canary must be a percentage, an integer 1-100/);
    }
    const first = await edgeRecs(['--artifact', join(dir, 'fresh'), '--server', server.url, '--token', TOKEN, '--canary', '10']);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/refused fresh@f1: no_current_version: .*publish f1 without a canary first/);
    expect((await fetch(`${server.url}/v1/models/fresh/manifest`)).status).toBe(404);
  });
});
