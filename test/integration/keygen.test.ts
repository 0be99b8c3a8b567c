/**
 * The key files of `edge-recs keygen` used as its output says, with nothing edited in between: the
 * private file signs an artifact, and the public file is what the Node server's `--trusted-key` and
 * the Worker's `TRUSTED_KEYS` take, each then accepting that artifact from `edge-recs publish`.
 * Real processes: the CLI, the Node server (`adapters/node/main.ts`), the Worker in workerd.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, startWorker } from '../support/edge-server/workerd.ts';
import { tinyArtifact } from '../support/edge-server/fixtures.ts';
import { readKeyFile, writeArtifactDir } from '../../model-export/artifact/artifact-fs.ts';
import { childEnv, type ProcessRun, ROOT, runEdgeRecs } from '../support/cli.ts';

const TOKEN = 'keygen-test-token-0123456789';

const edgeRecs = (...args: string[]): Promise<ProcessRun> => runEdgeRecs(args, { timeoutMs: 60_000 });

let dir: string;
let privatePath: string;
let publicPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-keygen-'));
  privatePath = join(dir, 'release.json');
  publicPath = join(dir, 'release.pub.json');
  const keygen = await edgeRecs('keygen', '--out', privatePath);
  expect(keygen.code, keygen.stderr).toBe(0);
  const key = await readKeyFile(privatePath, { privateKey: 'required' });
  await writeArtifactDir(join(dir, 'artifact'), await tinyArtifact(key, 'k1', 1));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the public key file of edge-recs keygen', () => {
  it('is what the Node server\'s --trusted-key takes: it then accepts a model signed by the private file', async () => {
    const server = spawn(process.execPath, ['--import', 'tsx', 'edge-server/adapters/node/main.ts', '--trusted-key', publicPath, '--admin-token', TOKEN], {
      cwd: ROOT,
      env: childEnv({ PORT: '0', EDGE_RECS_DATA: join(dir, 'node-data') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        server.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        server.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const match = /EdgeRecs edge server: (http:\/\/\S+?)\/?$/m.exec(out);
          if (match) resolve(match[1]!);
        });
        server.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${err}`)));
      });
      const run = await edgeRecs('publish', '--artifact', join(dir, 'artifact'), '--server', url, '--token', TOKEN);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^published default@k1 .*current version: k1\n$/);
    } finally {
      server.kill('SIGTERM');
    }
  }, 90_000);

  it('is a ready value of the Worker\'s TRUSTED_KEYS: the Worker in workerd then accepts the same model', async () => {
    const assetsDir = join(dir, 'assets');
    await mkdir(assetsDir, { recursive: true });
    await writeFile(join(assetsDir, 'edge-recs.js'), 'export {};');
    const mf = await startWorker({ script: await bundleWorker(), vars: { TRUSTED_KEYS: await readFile(publicPath, 'utf8'), ADMIN_TOKENS: TOKEN }, assetsDir });
    try {
      const url = (await mf.ready).href;
      const run = await edgeRecs('publish', '--artifact', join(dir, 'artifact'), '--server', url, '--token', TOKEN, '--json');
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ name: 'default', version: 'k1', created: true, current: 'k1' });
    } finally {
      await mf.dispose();
    }
  }, 90_000);
});
