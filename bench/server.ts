/**
 * Edge server throughput on loopback: manifest and blob GETs per second on the Node adapter (the real
 * `edge-server/adapters/node/main.ts` in its own process, disk storage) beside nginx serving the same
 * files as static files in the same run, then metric-batch uploads (`POST /v1/metrics`, each fsynced
 * before its 202) and, when the server takes them, federated update uploads (`POST /v1/updates`).
 *
 *   npm run bench -- server        writes bench/results/server.json
 *
 * Load comes from wrk (Debian package `wrk`, installed with nginx when missing: a C load generator
 * takes far less of a 2-core machine than one written in JavaScript would, so it measures the servers
 * rather than itself). Each server gets one process (`worker_processes 1` for nginx) and the load
 * generator one thread, so on 2 cores each side has about one core. Runs are sequential, never
 * concurrent. Other work on the machine moves the figures; compare within one run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArtifact } from '../core/artifact/artifact.ts';
import { canonicalJson, utf8 } from '../core/artifact/bytes.ts';
import { generateKeyFile } from '../core/artifact/signing.ts';
import { encodeUpdate, NONCE_BYTES, UPDATE_MEDIA_TYPE } from '../core/federated/codec.ts';
import { paramShapes, type ModelConfig } from '../core/model/config.ts';
import { initWeights, size } from '../core/model/weights.ts';
import { normal, rng } from '../core/random.ts';
import { openDiskStorage } from '../edge-server/adapters/node/storage.ts';
import { publishArtifact } from '../edge-server/registry.ts';

/** The widget benchmark's model size: a 12k-item catalog, SASRec 2 blocks, dim 64, uint8 as shipped. */
const CONFIG = { numItems: 12_000, dim: 64, blocks: 2, heads: 1, maxLen: 50 };
/** The demo shop's model (`npm start`): what federated updates are made for here. */
const DEMO: ModelConfig = { numItems: 240, dim: 32, blocks: 1, heads: 1, maxLen: 50 };
const SECONDS = Number(process.env.SERVER_BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.SERVER_BENCH_CONNECTIONS ?? 64);
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
/** nginx's unprivileged user when this runs as root. */
const NOBODY = 65534;

interface WrkResult {
  requestsPerSec: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  mbPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number };
}

function ensureTools(): void {
  const missing = ['nginx', 'wrk'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  console.error(`bench/server: installing ${missing.join(', ')} (Debian packages)...`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args: string[]): void => {
    const r = spawnSync(sudo[0] ?? args[0]!, sudo.length ? args : args.slice(1), { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed; install ${missing.join(' and ')} and run again`);
  };
  run(['apt-get', 'update']);
  run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const toMs = (value: string, unit: string): number => Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? NaN);

/** Runs wrk and reads its report (`--latency` gives the percentiles). */
function wrk(url: string, script?: string): Promise<WrkResult> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', ...(script ? ['-s', script] : []), url];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
      const latency = (p: number): number => {
        const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
        return m ? Math.round(toMs(m[1]!, m[2]!) * 100) / 100 : NaN;
      };
      const transfer = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
      const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const result: WrkResult = {
        requestsPerSec: Math.round(num(/Requests\/sec:\s+([\d.]+)/)),
        requests: num(/(\d+) requests in/),
        non2xx: num(/Non-2xx or 3xx responses: (\d+)/) || 0,
        socketErrors: errors ? errors.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
        mbPerSec: transfer ? Math.round(Number(transfer[1]) * ({ B: 1e-6, KB: 1e-3, MB: 1, GB: 1e3 }[transfer[2]!] ?? NaN) * 10) / 10 : NaN,
        latencyMs: { p50: latency(50), p90: latency(90), p99: latency(99) },
      };
      if (code !== 0 || Number.isNaN(result.requestsPerSec)) reject(new Error(`wrk ${args.join(' ')} failed (${code}):\n${out}`));
      else resolve(result);
    });
  });
}

/** Starts a child and resolves once `ready` matches its output. */
function startChild(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; ready?: RegExp; timeoutMs?: number }): Promise<{ child: ChildProcess; match: RegExpExecArray | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    // No readiness line to wait for (nginx prints nothing): the caller polls instead.
    if (!options.ready) {
      child.once('spawn', () => resolve({ child, match: null }));
      child.once('error', reject);
      return;
    }
    const ready = options.ready;
    let log = '';
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${log}`)), options.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      const match = ready.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}:\n${log}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * One device update for the demo model (dense deltas of every non-embedding weight and 30 item rows,
 * int8, ~9 KB: what the widget uploads), encoded once; and where its 16-byte nonce sits, so the load
 * generator can give every request its own nonce (and client token) without re-encoding.
 */
function updateTemplate(): { bytes: Uint8Array; nonceOffset: number } {
  const g = normal(rng(7));
  const dense = new Map<string, Float32Array>();
  for (const [name, shape] of paramShapes(DEMO)) if (name !== 'item_emb') dense.set(name, Float32Array.from({ length: size(shape) }, () => g() * 0.001));
  const indices = Uint32Array.from({ length: 30 }, (_, i) => 1 + i * 8);
  const rows = { indices, values: Float32Array.from({ length: 30 * DEMO.dim }, () => g() * 0.001) };
  const encode = (fill: number): Uint8Array => encodeUpdate({ model: 'demo', baseVersion: 'v1', nonce: new Uint8Array(NONCE_BYTES).fill(fill), config: DEMO, dense, rows });
  const a = encode(0);
  const b = encode(255);
  const nonceOffset = a.findIndex((byte, i) => byte !== b[i]);
  if (nonceOffset < 0 || a.length !== b.length) throw new Error('could not locate the nonce in an encoded update');
  return { bytes: a, nonceOffset };
}

/** wrk script: each request the template with its own 16-digit nonce and client token. */
function updatesLua(bodyPath: string, nonceOffset: number): string {
  return `local f = assert(io.open(${JSON.stringify(bodyPath)}, "rb"))
local body = f:read("*a")
f:close()
local prefix = body:sub(1, ${nonceOffset})
local suffix = body:sub(${nonceOffset + 17})
local n = 0
request = function()
  n = n + 1
  local id = string.format("%016d", n)
  return wrk.format("POST", "/v1/updates", { ["Content-Type"] = "${UPDATE_MEDIA_TYPE}", ["X-Client-Token"] = "bench-" .. id }, prefix .. id .. suffix)
end
`;
}

function nginxConfig(root: string, dir: string, port: number): string {
  const temp = (name: string): string => `${name}_temp_path ${join(dir, `${name}-temp`)};`;
  return `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location /v1/blobs/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
    location = /v1/models/default/manifest { default_type application/json; add_header Cache-Control "public, max-age=60, must-revalidate"; }
  }
}
`;
}

async function chownTree(path: string, uid: number): Promise<void> {
  await chown(path, uid, uid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid);
    else await chown(child, uid, uid);
  }
}

export async function run(): Promise<Record<string, unknown>> {
  ensureTools();
  const work = await mkdtemp(join(tmpdir(), 'edge-recs-bench-server-'));
  const children: ChildProcess[] = [];
  try {
    // The model, published into the Node adapter's disk storage the way the server itself would.
    const key = await generateKeyFile();
    const artifact = await buildArtifact(
      { name: 'default', version: 'v1', config: CONFIG, itemIds: Array.from({ length: CONFIG.numItems }, (_, i) => `sku-${i + 1}`), weights: initWeights(CONFIG, 1), quantization: 'uint8' },
      key,
    );
    const dataDir = join(work, 'data');
    await mkdir(dataDir, { recursive: true });
    const { manifestSha256 } = await publishArtifact(await openDiskStorage(join(dataDir, 'store')), artifact, { trusted: [{ keyId: key.keyId, publicKey: key.publicKey }] });
    const keyFile = join(work, 'trusted-key.json');
    await writeFile(keyFile, JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey }));
    // Federated intake: the demo-size model, a federation key, and a cohort no run reaches, so the
    // figure is the intake itself (validation, durable store before each 202), not round closes.
    const demo = await buildArtifact(
      { name: 'demo', version: 'v1', config: DEMO, itemIds: Array.from({ length: DEMO.numItems }, (_, i) => `sku-${i + 1}`), weights: initWeights(DEMO, 2), quantization: 'uint8' },
      key,
    );
    await publishArtifact(await openDiskStorage(join(dataDir, 'store')), demo, { trusted: [{ keyId: key.keyId, publicKey: key.publicKey }] });
    const federationKeyFile = join(work, 'federation-key.json');
    await writeFile(federationKeyFile, JSON.stringify(await generateKeyFile()));
    const federatedConfig = join(work, 'federated.json');
    await writeFile(federatedConfig, JSON.stringify({ cohort: 10_000_000, epsilonBudget: 1e9, maxUpdatesPerDay: 1_000_000 }));
    const shard = artifact.manifest.shards[0]!;
    const items = artifact.manifest.items;

    // nginx's document root: the same bytes at the same paths.
    const root = join(work, 'nginx-root');
    await mkdir(join(root, 'v1', 'blobs'), { recursive: true });
    await mkdir(join(root, 'v1', 'models', 'default'), { recursive: true });
    for (const ref of [shard, items]) await writeFile(join(root, 'v1', 'blobs', ref.sha256), artifact.files.get(ref.path)!);
    await writeFile(join(root, 'v1', 'models', 'default', 'manifest'), utf8.encode(canonicalJson(artifact.manifest)));
    const nginxDir = join(work, 'nginx');
    await mkdir(nginxDir);
    const nginxPort = await freePort();
    await writeFile(join(nginxDir, 'nginx.conf'), nginxConfig(root, nginxDir, nginxPort));

    const serverArgs = ['--trusted-key', keyFile, '--admin-token', ADMIN_TOKEN, '--federation-key', federationKeyFile, '--federated-config', federatedConfig];
    const node = await startChild(process.execPath, ['--import', 'tsx', 'edge-server/adapters/node/main.ts', ...serverArgs], {
      env: { ...process.env, PORT: '0', EDGE_RECS_DATA: dataDir, NODE_ENV: 'production' },
      ready: /EdgeRecs edge server: (http:\/\/\S+)/,
    });
    children.push(node.child);
    const nodeUrl = node.match![1]!.replace('localhost', '127.0.0.1').replace(/\/$/, '');

    // Unprivileged: as root, nginx runs as nobody (setpriv), owning only its temp directory.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      await chmod(work, 0o755);
      await chownTree(root, NOBODY);
      await chownTree(nginxDir, NOBODY);
    }
    const nginxArgs = ['-p', nginxDir, '-e', join(nginxDir, 'error.log'), '-c', join(nginxDir, 'nginx.conf')];
    const nginxStart = asRoot
      ? startChild('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'nginx', ...nginxArgs], {})
      : startChild('nginx', nginxArgs, {});
    const nginx = await nginxStart;
    children.push(nginx.child);
    const nginxUrl = `http://127.0.0.1:${nginxPort}`;
    for (let i = 0; i < 50; i++) {
      if ((await fetch(`${nginxUrl}/v1/models/default/manifest`).catch(() => null))?.ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const targets = {
      manifest: '/v1/models/default/manifest',
      blobShard: `/v1/blobs/${shard.sha256}`,
      blobItems: `/v1/blobs/${items.sha256}`,
    };
    for (const [, path] of Object.entries(targets)) {
      for (const base of [nodeUrl, nginxUrl]) {
        const res = await fetch(base + path);
        if (!res.ok) throw new Error(`${base}${path}: HTTP ${res.status}`);
        await res.arrayBuffer();
      }
    }

    const results: Record<string, { node: WrkResult; nginx: WrkResult; nodeVsNginx: number; bytes: number }> = {};
    const sizes = { manifest: utf8.encode(canonicalJson(artifact.manifest)).byteLength, blobShard: shard.bytes, blobItems: items.bytes };
    for (const [name, path] of Object.entries(targets)) {
      const nodeResult = await wrk(nodeUrl + path);
      const nginxResult = await wrk(nginxUrl + path);
      results[name] = { bytes: sizes[name as keyof typeof sizes], node: nodeResult, nginx: nginxResult, nodeVsNginx: Math.round((nodeResult.requestsPerSec / nginxResult.requestsPerSec) * 100) / 100 };
    }
    await stop(nginx.child);

    // Metric batches: a realistic one (a page view's counters), every accepted one fsynced before its 202.
    const batch = JSON.stringify({
      model: 'default',
      counters: ['for-you', 'similar', 'cart'].flatMap((placement) => [
        { placement, modelVersion: 'v1', variant: 'viewed.1', event: 'impression', count: 8 },
        { placement, modelVersion: 'v1', variant: 'viewed.1', event: 'click', count: 1 },
      ]),
    });
    const metricsLua = join(work, 'metrics.lua');
    await writeFile(metricsLua, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(batch)}\nwrk.headers["Content-Type"] = "application/json"\n`);
    const metrics = await wrk(`${nodeUrl}/v1/metrics`, metricsLua);
    const readout = (await (await fetch(`${nodeUrl}/v1/admin/metrics?model=default`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
      byPlacement: Array<{ impression: number | null }>;
    };
    const impressions = readout.byPlacement.reduce((n, p) => n + (p.impression ?? 0), 0);
    const accepted = metrics.requests - metrics.non2xx;
    // Every acknowledged batch must be counted; batches in flight when wrk stopped may be counted too.
    const metricsCounted = impressions / 24;

    // Federated updates, each with its own client token and nonce.
    const template = updateTemplate();
    const bodyPath = join(work, 'update.bin');
    await writeFile(bodyPath, template.bytes);
    const updatesScript = join(work, 'updates.lua');
    await writeFile(updatesScript, updatesLua(bodyPath, template.nonceOffset));
    const uploads = await wrk(`${nodeUrl}/v1/updates`, updatesScript);
    // One more update after the run: its `pending` counts every update stored for the round so far.
    const last = new Uint8Array(template.bytes);
    last.set(new TextEncoder().encode('9'.repeat(NONCE_BYTES)), template.nonceOffset);
    const probe = await fetch(`${nodeUrl}/v1/updates`, { method: 'POST', headers: { 'Content-Type': UPDATE_MEDIA_TYPE, 'X-Client-Token': 'bench-probe-token-0123' }, body: last });
    const probeBody = (await probe.json()) as { pending?: number; error?: { code: string; message: string } };
    if (probe.status !== 202) throw new Error(`POST /v1/updates answered ${probe.status}: ${JSON.stringify(probeBody)}`);
    const updatesAccepted = uploads.requests - uploads.non2xx;
    const updatesStored = probeBody.pending! - 1;
    const updates = { ...uploads, bytes: template.bytes.byteLength, accepted: updatesAccepted, stored: updatesStored, lost: Math.max(0, updatesAccepted - updatesStored) };

    await stop(node.child);

    const table = [
      '| request | bytes | Node adapter req/s | nginx req/s | Node / nginx | Node p99 ms |',
      '|---|---|---|---|---|---|',
      ...Object.entries(results).map(
        ([name, r]) => `| GET ${name === 'manifest' ? 'manifest' : name === 'blobShard' ? 'blob (weight shard)' : 'blob (items.json)'} | ${r.bytes.toLocaleString('en')} | ${r.node.requestsPerSec.toLocaleString('en')} | ${r.nginx.requestsPerSec.toLocaleString('en')} | ${r.nodeVsNginx} | ${r.node.latencyMs.p99} |`,
      ),
      `| POST /v1/metrics (fsynced) | ${batch.length} | ${metrics.requestsPerSec.toLocaleString('en')} | – | – | ${metrics.latencyMs.p99} |`,
      `| POST /v1/updates (stored before 202) | ${template.bytes.byteLength.toLocaleString('en')} | ${uploads.requestsPerSec.toLocaleString('en')} | – | – | ${uploads.latencyMs.p99} |`,
    ].join('\n');
    console.log(table);
    return {
      benchmark: 'server',
      what: `requests/s on loopback, wrk -t1 -c${CONNECTIONS} -d${SECONDS}s; Node adapter (main.ts, disk storage) vs nginx ${nginxVersion()} (1 worker, sendfile) serving the same bytes`,
      model: { config: CONFIG, quantization: 'uint8', manifestSha256 },
      results,
      metricsUploads: { ...metrics, accepted, batchesCounted: metricsCounted, lost: Math.max(0, accepted - metricsCounted) },
      updateUploads: updates,
      table,
    };
  } finally {
    for (const child of children) await stop(child).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

function nginxVersion(): string {
  const out = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return /nginx\/([\d.]+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? 'unknown';
}
