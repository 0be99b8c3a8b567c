/**
 * Edge server throughput on loopback: manifest and blob GETs per second on the Node adapter (the real
 * `edge-server/adapters/node/main.ts` in its own process, disk storage) beside nginx serving the same
 * files as static files in the same run, and the same nginx as the Node deployment's front
 * (`main.ts --nginx-config`: blobs from the Node server's store, the rest proxied), then metric-batch uploads (`POST /v1/metrics`, each fsynced
 * before its 202) and federated update uploads (`POST /v1/updates`, each stored durably before its 202).
 *
 *   npm run bench -- server        writes bench/results/server.json
 *
 * Load comes from wrk (Debian package `wrk`, installed with nginx when missing: a C load generator
 * takes far less of a 2-core machine than one written in JavaScript would, so it measures the servers
 * rather than itself). Each server gets one process (`worker_processes 1` for nginx) and the load
 * generator one thread, so on 2 cores each side has about one core; `SERVER_BENCH_PIN=1` pins the
 * server to CPU 0 and wrk to CPU 1.
 *
 * The machine may be shared, so the figures are taken to survive that: Node, nginx and the front alternate in
 * `SERVER_BENCH_ROUNDS` short rounds per request kind (medians reported, and the median of the per-round
 * Node / nginx ratios), and beside requests/s each side's CPU time per request is read from /proc
 * (server processes with all their threads, and wrk's own): CPU per request moves far less than
 * requests/s when other jobs take the cores, and 1e6 / (µs per request) is what one core would serve.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArtifact } from '../core/artifact/artifact.ts';
import { canonicalJson, utf8 } from '../core/artifact/bytes.ts';
import { generateKeyFile } from '../core/artifact/signing.ts';
import { encodeUpdate, NONCE_BYTES, UPDATE_MEDIA_TYPE } from '../core/federated/codec.ts';
import { paramShapes, type ModelConfig } from '../core/model/config.ts';
import { initWeights, size } from '../core/model/weights.ts';
import { normal, rng } from '../core/random.ts';
import { nginxFrontConfig } from '../edge-server/adapters/node/nginx-front.ts';
import { openDiskStorage } from '../edge-server/adapters/node/storage.ts';
import { publishArtifact } from '../edge-server/models/registry.ts';
import { freePort } from '../test/support/free-port.ts';

/** The widget benchmark's model size: a 12k-item catalog, SASRec 2 blocks, dim 64, uint8 as shipped. */
const CONFIG = { numItems: 12_000, dim: 64, blocks: 2, heads: 1, maxLen: 50 };
/** The demo shop's model (`npm start`): what federated updates are made for here. */
const DEMO: ModelConfig = { numItems: 240, dim: 32, blocks: 1, heads: 1, maxLen: 50 };
const SECONDS = Number(process.env.SERVER_BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.SERVER_BENCH_CONNECTIONS ?? 64);
/** Alternating Node / nginx rounds per request kind (and update rounds); medians are reported. */
const ROUNDS = Number(process.env.SERVER_BENCH_ROUNDS ?? 3);
/** Pin the server under test to CPU 0 and wrk to CPU 1 (`taskset`), so neither takes the other's core. */
const PIN = process.env.SERVER_BENCH_PIN === '1';
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
/**
 * The shop page's origin: the widget's requests are cross-origin, so every request carries it, the
 * Node server grants it CORS (`--allow-origin`) and nginx adds the same grant headers.
 * `SERVER_BENCH_ORIGIN=` (empty) measures same-origin requests with CORS off.
 */
const SHOP_ORIGIN = process.env.SERVER_BENCH_ORIGIN ?? 'https://shop.example';
/** nginx's unprivileged user when this runs as root. */
const NOBODY = 65534;

interface WrkResult {
  requestsPerSec: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  mbPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number };
  /** CPU time of the server under test (all its processes and threads) per completed request. */
  serverCpuUsPerRequest?: number;
  /** wrk's own CPU time per completed request. */
  loadGenCpuUsPerRequest: number;
}

/** CPU seconds (user + system, all threads) used so far by `pid` and its child processes (nginx's worker). */
function cpuSeconds(pid: number): number {
  const read = (p: number): { ppid: number; ticks: number } | null => {
    try {
      // Fields after the command name, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
    } catch {
      return null;
    }
  };
  let ticks = read(pid)?.ticks ?? 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = read(Number(entry));
    if (child?.ppid === pid) ticks += child.ticks;
  }
  return ticks / CLOCK_TICKS;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** The round whose requests/s is the median (the lower middle one for an even count). */
const medianRound = (rs: WrkResult[]): WrkResult => [...rs].sort((a, b) => a.requestsPerSec - b.requestsPerSec)[Math.floor((rs.length - 1) / 2)]!;
const pinned = (cpu: number, command: string, args: string[]): [string, string[]] => (PIN ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args]);

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

const toMs = (value: string, unit: string): number => Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? NaN);

/**
 * Runs wrk and reads its report (`--latency` gives the percentiles); with `serverPid`, also the
 * server's CPU time per request over the run. wrk runs under bash so that `times` reports its CPU.
 */
function wrk(url: string, options: { script?: string; serverPid?: number } = {}): Promise<WrkResult> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', ...(SHOP_ORIGIN ? ['-H', `Origin: ${SHOP_ORIGIN}`] : []), ...(options.script ? ['-s', options.script] : []), url];
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const [command, commandArgs] = pinned(1, 'bash', ['-c', `wrk ${quoted}; status=$?; echo "@@times"; times; exit $status`]);
  const cpuBefore = options.serverPid === undefined ? 0 : cpuSeconds(options.serverPid);
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const serverCpu = options.serverPid === undefined ? NaN : cpuSeconds(options.serverPid) - cpuBefore;
      const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
      const latency = (p: number): number => {
        const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
        return m ? Math.round(toMs(m[1]!, m[2]!) * 100) / 100 : NaN;
      };
      const transfer = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
      const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      // `times`: the shell's own user/system time, then its children's (wrk's), as "1m2.345s 0m0.678s".
      const times = out.slice(out.indexOf('@@times')).split('\n')[2]?.match(/(\d+)m([\d.]+)s/g) ?? [];
      const loadGenCpu = times.reduce((sum, t) => {
        const [, m, sec] = /(\d+)m([\d.]+)s/.exec(t)!;
        return sum + Number(m) * 60 + Number(sec);
      }, 0);
      const requests = num(/(\d+) requests in/);
      const perRequest = (seconds: number): number => Math.round((seconds / requests) * 1e6 * 10) / 10;
      const result: WrkResult = {
        requestsPerSec: Math.round(num(/Requests\/sec:\s+([\d.]+)/)),
        requests,
        non2xx: num(/Non-2xx or 3xx responses: (\d+)/) || 0,
        socketErrors: errors ? errors.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
        mbPerSec: transfer ? Math.round(Number(transfer[1]) * ({ B: 1e-6, KB: 1e-3, MB: 1, GB: 1e3 }[transfer[2]!] ?? NaN) * 10) / 10 : NaN,
        latencyMs: { p50: latency(50), p90: latency(90), p99: latency(99) },
        ...(options.serverPid === undefined ? {} : { serverCpuUsPerRequest: perRequest(serverCpu) }),
        loadGenCpuUsPerRequest: perRequest(loadGenCpu),
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

/**
 * wrk script: each request the template with its own 16-digit nonce and client token; `round` (0-99)
 * leads both, so the rounds of one run never repeat a token and every upload is a new one.
 */
function updatesLua(bodyPath: string, nonceOffset: number, round: number): string {
  return `local f = assert(io.open(${JSON.stringify(bodyPath)}, "rb"))
local body = f:read("*a")
f:close()
local prefix = body:sub(1, ${nonceOffset})
local suffix = body:sub(${nonceOffset + 17})
local n = 0
request = function()
  n = n + 1
  local id = string.format("%02d%014d", ${round}, n)
  return wrk.format("POST", "/v1/updates", { ["Content-Type"] = "${UPDATE_MEDIA_TYPE}", ["X-Client-Token"] = "bench-" .. id }, prefix .. id .. suffix)
end
`;
}

/** nginx's `add_header` is not inherited by a location that has its own, so each location repeats the grant. */
const CORS_NGINX = SHOP_ORIGIN ? `add_header Access-Control-Allow-Origin "${SHOP_ORIGIN}"; add_header Vary Origin;` : '';

/** nginx's main configuration around `http` (an `http {}` body), as one unprivileged worker in the foreground. */
function nginxMain(dir: string, http: string): string {
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
${http}
}
`;
}

/** The baseline: nginx serving the same bytes as static files, with the same CORS grant. */
function nginxStatic(root: string, port: number): string {
  return `  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location /v1/blobs/ { ${CORS_NGINX} add_header Cache-Control "public, max-age=31536000, immutable"; }
    location = /v1/models/default/manifest { ${CORS_NGINX} default_type application/json; add_header Cache-Control "public, max-age=60, must-revalidate"; }
  }`;
}

/**
 * Starts nginx with `http` in `dir`, unprivileged (as root it runs as nobody through setpriv, owning
 * only its directory and what `readable` names), and resolves once `probe` answers.
 */
async function startNginx(dir: string, http: string, probe: string, readable: string[]): Promise<ChildProcess> {
  await mkdir(dir);
  await writeFile(join(dir, 'nginx.conf'), nginxMain(dir, http));
  if (process.getuid?.() === 0) for (const path of [dir, ...readable]) await chownTree(path, NOBODY);
  const args = ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')];
  const { child } =
    process.getuid?.() === 0
      ? await startChild(...pinned(0, 'setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'nginx', ...args]), {})
      : await startChild(...pinned(0, 'nginx', args), {});
  for (let i = 0; i < 50; i++) {
    if ((await fetch(probe).catch(() => null))?.ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx (${dir}) did not answer ${probe}`);
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
    // Admission off here only: wrk cannot blind a Privacy Pass token per request. What it adds per update
    // (one RSA-PSS verification and a spent-set write) is in the admission tests, not in this figure.
    await writeFile(federatedConfig, JSON.stringify({ cohort: 10_000_000, epsilonBudget: 1e9, maxUpdatesPerDay: 1_000_000, admission: false }));
    const shard = artifact.manifest.shards[0]!;
    const items = artifact.manifest.items;

    // nginx's document root: the same bytes at the same paths.
    const root = join(work, 'nginx-root');
    await mkdir(join(root, 'v1', 'blobs'), { recursive: true });
    await mkdir(join(root, 'v1', 'models', 'default'), { recursive: true });
    for (const ref of [shard, items]) await writeFile(join(root, 'v1', 'blobs', ref.sha256), artifact.files.get(ref.path)!);
    await writeFile(join(root, 'v1', 'models', 'default', 'manifest'), utf8.encode(canonicalJson(artifact.manifest)));
    const serverArgs = [...(SHOP_ORIGIN ? ['--allow-origin', SHOP_ORIGIN] : []), '--trusted-key', keyFile, '--admin-token', ADMIN_TOKEN, '--federation-key', federationKeyFile, '--federated-config', federatedConfig];
    const profile = process.env.SERVER_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SERVER_BENCH_CPU_PROF}`] : [];
    const node = await startChild(...pinned(0, process.execPath, [...profile, '--import', 'tsx', 'edge-server/adapters/node/main.ts', ...serverArgs]), {
      env: { ...process.env, PORT: '0', EDGE_RECS_DATA: dataDir, NODE_ENV: 'production' },
      ready: /EdgeRecs edge server: (http:\/\/\S+)/,
    });
    children.push(node.child);
    const nodeUrl = node.match![1]!.replace('localhost', '127.0.0.1').replace(/\/$/, '');

    if (process.getuid?.() === 0) await chmod(work, 0o755);
    const nginxPort = await freePort();
    const nginxUrl = `http://127.0.0.1:${nginxPort}`;
    const nginx = await startNginx(join(work, 'nginx'), nginxStatic(root, nginxPort), `${nginxUrl}/v1/models/default/manifest`, [root]);
    children.push(nginx);
    // The production shape of a Node deployment (`main.ts --nginx-config`): nginx serves blobs straight
    // from the Node server's store and proxies the rest to it.
    const frontPort = await freePort();
    const frontUrl = `http://127.0.0.1:${frontPort}`;
    const frontConfig = nginxFrontConfig({ storeDir: join(dataDir, 'store'), upstream: new URL(nodeUrl).host, listen: `127.0.0.1:${frontPort}`, allowedOrigins: SHOP_ORIGIN ? [SHOP_ORIGIN] : [] });
    const front = await startNginx(join(work, 'front'), frontConfig, `${frontUrl}/v1/models/default/manifest`, [dataDir]);
    children.push(front);

    const targets = {
      manifest: '/v1/models/default/manifest',
      blobShard: `/v1/blobs/${shard.sha256}`,
      blobItems: `/v1/blobs/${items.sha256}`,
    };
    for (const [, path] of Object.entries(targets)) {
      for (const base of [nodeUrl, nginxUrl, frontUrl]) {
        const res = await fetch(base + path);
        if (!res.ok) throw new Error(`${base}${path}: HTTP ${res.status}`);
        await res.arrayBuffer();
      }
    }

    type Round = { node: WrkResult; nginx: WrkResult; front: WrkResult };
    type Compared = { bytes: number; node: WrkResult; nginx: WrkResult; front: WrkResult; nodeVsNginx: number; cpuNginxVsNode: number; frontVsNginx: number; rounds: Round[] };
    const results: Record<string, Compared> = {};
    const sizes = { manifest: utf8.encode(canonicalJson(artifact.manifest)).byteLength, blobShard: shard.bytes, blobItems: items.bytes };
    const loadBefore = loadavg()[0]!;
    for (const [name, path] of Object.entries(targets)) {
      const rounds: Round[] = [];
      // Alternating, so a burst of other work on the machine lands on every side rather than one. The
      // front's CPU is nginx's alone: what it proxies costs Node's too, which the Node column shows.
      for (let r = 0; r < ROUNDS; r++) {
        const nodeRound = await wrk(nodeUrl + path, { serverPid: node.child.pid! });
        const nginxRound = await wrk(nginxUrl + path, { serverPid: nginx.pid! });
        const frontRound = await wrk(frontUrl + path, { serverPid: front.pid! });
        rounds.push({ node: nodeRound, nginx: nginxRound, front: frontRound });
      }
      const ratio = (f: (r: Round) => number): number => Math.round(median(rounds.map(f)) * 100) / 100;
      results[name] = {
        bytes: sizes[name as keyof typeof sizes],
        node: medianRound(rounds.map((r) => r.node)),
        nginx: medianRound(rounds.map((r) => r.nginx)),
        front: medianRound(rounds.map((r) => r.front)),
        nodeVsNginx: ratio((r) => r.node.requestsPerSec / r.nginx.requestsPerSec),
        frontVsNginx: ratio((r) => r.front.requestsPerSec / r.nginx.requestsPerSec),
        // Above 1: nginx spends more CPU per request than Node (Node would serve more on an idle core).
        cpuNginxVsNode: ratio((r) => r.nginx.serverCpuUsPerRequest! / r.node.serverCpuUsPerRequest!),
        rounds,
      };
    }
    await stop(front);
    await stop(nginx);

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
    const metrics = await wrk(`${nodeUrl}/v1/metrics`, { script: metricsLua, serverPid: node.child.pid! });
    const readout = (await (await fetch(`${nodeUrl}/v1/admin/metrics?model=default`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
      byPlacement: Array<{ impression: number | null }>;
    };
    const impressions = readout.byPlacement.reduce((n, p) => n + (p.impression ?? 0), 0);
    const accepted = metrics.requests - metrics.non2xx;
    // Every acknowledged batch must be counted; batches in flight when wrk stopped may be counted too.
    const metricsCounted = impressions / 24;

    // Federated updates, each with its own client token and nonce, in ROUNDS runs.
    const template = updateTemplate();
    const bodyPath = join(work, 'update.bin');
    await writeFile(bodyPath, template.bytes);
    const uploadRounds: WrkResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const updatesScript = join(work, `updates-${r}.lua`);
      await writeFile(updatesScript, updatesLua(bodyPath, template.nonceOffset, r));
      uploadRounds.push(await wrk(`${nodeUrl}/v1/updates`, { script: updatesScript, serverPid: node.child.pid! }));
    }
    // One more update after the runs: its `pending` counts every update stored for the round so far.
    const last = new Uint8Array(template.bytes);
    last.set(new TextEncoder().encode('9'.repeat(NONCE_BYTES)), template.nonceOffset);
    const probe = await fetch(`${nodeUrl}/v1/updates`, { method: 'POST', headers: { 'Content-Type': UPDATE_MEDIA_TYPE, 'X-Client-Token': 'bench-probe-token-0123' }, body: last });
    const probeBody = (await probe.json()) as { pending?: number; error?: { code: string; message: string } };
    if (probe.status !== 202) throw new Error(`POST /v1/updates answered ${probe.status}: ${JSON.stringify(probeBody)}`);
    const updatesAccepted = uploadRounds.reduce((n, u) => n + u.requests - u.non2xx, 0);
    const updatesStored = probeBody.pending! - 1;
    const uploads = medianRound(uploadRounds);
    const updates = {
      ...uploads,
      medianCpuUsPerRequest: median(uploadRounds.map((u) => u.serverCpuUsPerRequest!)),
      bytes: template.bytes.byteLength,
      accepted: updatesAccepted,
      stored: updatesStored,
      lost: Math.max(0, updatesAccepted - updatesStored),
      rounds: uploadRounds,
    };
    const loadAfter = loadavg()[0]!;

    await stop(node.child);

    const fmt = (n: number): string => Math.round(n).toLocaleString('en');
    const cpu = (r: WrkResult): string => fmt(r.serverCpuUsPerRequest!);
    const label = { manifest: '`GET /v1/models/default/manifest`', blobItems: '`GET /v1/blobs/…` (items.json)', blobShard: '`GET /v1/blobs/…` (weight shard)' };
    const table = [
      '| request | bytes | Node req/s | nginx req/s | Node / nginx | Node behind nginx front req/s (÷ nginx) | server CPU µs/req, Node / nginx | Node p50 / p99 ms |',
      '|---|---|---|---|---|---|---|---|',
      ...(['manifest', 'blobItems', 'blobShard'] as const).map((name) => {
        const r = results[name]!;
        return `| ${label[name]} | ${fmt(r.bytes)} | ${fmt(r.node.requestsPerSec)} | ${fmt(r.nginx.requestsPerSec)} | ${r.nodeVsNginx} | ${fmt(r.front.requestsPerSec)} (${r.frontVsNginx}) | ${cpu(r.node)} / ${cpu(r.nginx)} | ${r.node.latencyMs.p50} / ${r.node.latencyMs.p99} |`;
      }),
      `| \`POST /v1/metrics\` (6 counters, fdatasync'ed before the 202) | ${batch.length} | ${fmt(metrics.requestsPerSec)} | – | – | – | ${cpu(metrics)} | ${metrics.latencyMs.p50} / ${metrics.latencyMs.p99} |`,
      `| \`POST /v1/updates\` (stored durably before the 202) | ${fmt(template.bytes.byteLength)} | ${fmt(uploads.requestsPerSec)} | – | – | – | ${fmt(updates.medianCpuUsPerRequest)} | ${uploads.latencyMs.p50} / ${uploads.latencyMs.p99} |`,
    ].join('\n');
    console.log(table);
    console.log(
      `updates: ${updatesAccepted} acknowledged, ${updatesStored} stored, ${updates.lost} lost; metrics: ${accepted} acknowledged, ${metricsCounted} counted; load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}`,
    );
    return {
      benchmark: 'server',
      what: `requests/s on loopback, wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, ${ROUNDS} alternating rounds per request kind (medians); Node adapter (main.ts, disk storage) vs nginx ${nginxVersion()} (1 worker, sendfile) serving the same bytes; front: the same nginx with main.ts --nginx-config in front of the Node server (blobs from its store, the rest proxied); server CPU µs per request from /proc`,
      setup: { seconds: SECONDS, connections: CONNECTIONS, rounds: ROUNDS, pinned: PIN, loadAverage: { before: loadBefore, after: loadAfter } },
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
