/**
 * Drives the Node edge server with a federation on disk in a child process — the fixture the round
 * store's SIGKILL test uses (`test/support/edge-server/federated-server.fixture.ts`: disk blob and round
 * stores, `createFederation`, `createApp`, `serveNode`, as production composes them) — for two harnesses:
 * - `crashTrials`: SIGKILL the server at a random point of a burst of uploads, many times over, then
 *   check on disk that no acknowledged update is lost and none is counted twice;
 * - `loadTest`: N simulated devices uploading valid updates concurrently for a while (a fresh client
 *   token and nonce per update), then check that every acknowledged update is stored, exactly once.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pool } from '../abuse/main-process.ts';
import { killHard, startFixtureServer } from '../edge-server/fixture-process.ts';

export { killHard };
import { openDiskRoundStore } from '../../../edge-server/adapters/node/round-store.ts';
import { openDiskStorage } from '../../../edge-server/adapters/node/storage.ts';
import { clientToken, deviceAddress, tinyUpdate } from '../edge-server/federated.ts';
import { tokenFor } from '../edge-server/tokens.ts';
import { publishArtifact } from '../../../edge-server/models/registry.ts';
import { signer, tinyArtifact } from '../edge-server/fixtures.ts';

/** A data directory with a published base version and the fixture's config. */
async function federatedDataDir(cohort: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-recs-reliability-'));
  const { key, trusted } = await signer();
  const { key: signingKey } = await signer();
  await publishArtifact(await openDiskStorage(join(dir, 'store')), await tinyArtifact(key, 'v1'), { trusted });
  await writeFile(join(dir, 'config.json'), JSON.stringify({ trustedKeys: trusted, signingKey, cohort }));
  return dir;
}

export interface Running {
  child: ChildProcess;
  url: string;
}

/** The fixture server in a child process; resolves with its URL once it listens. */
export const startServer = (dir: string): Promise<Running> => startFixtureServer(dir);

/**
 * Uploads as a device at `address` (the fixture trusts X-Forwarded-For from loopback): one network source
 * per device, with an admission token issued to it (`admission`, or one obtained now).
 */
async function post(url: string, token: string, body: Uint8Array<ArrayBuffer>, address: string, admission?: string): Promise<{ status: number; id?: string }> {
  const res = await fetch(`${url}/v1/updates`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': token, 'X-Forwarded-For': address, Authorization: admission ?? (await tokenFor(url, address)) },
    body,
  });
  const json = (await res.json()) as { id?: string };
  return { status: res.status, id: json.id };
}

/** Every update id the disk holds (rounds' and pending), read after the server is gone. */
async function counted(dir: string): Promise<{ ids: string[]; rounds: Array<{ round: number; updates: number; status: string; version: string | null }>; versions: string[]; current: string }> {
  const state = await (await openDiskRoundStore(join(dir, 'federated'))).load('default');
  const record = (await (await openDiskStorage(join(dir, 'store'))).meta.getModel('default'))!;
  return {
    ids: [...state.rounds.flatMap((r) => r.updateIds), ...state.pending.map((u) => u.id)],
    rounds: state.rounds.map((r) => ({ round: r.round, updates: r.updateIds.length, status: r.status, version: r.version })),
    versions: record.versions.map((v) => v.version),
    current: record.current,
  };
}

export interface CrashReport {
  trials: number;
  sent: number;
  acknowledged: number;
  stored: number;
  lost: number;
  countedTwice: number;
  rounds: number;
  /** Rounds whose update count is not the cohort, or that are not published in order. */
  badRounds: number;
  /** The registry's versions are v1 then each round's version, and the current one is the last round's. */
  registryConsistent: boolean;
}

/**
 * `trials` times: start the server, send a burst of concurrent uploads (new devices, plus re-sends of
 * earlier updates), SIGKILL it after a random number of answers. Then restart once, re-send everything,
 * and check the disk.
 */
export async function crashTrials(options: { trials: number; cohort?: number; burst?: number; seed?: number }): Promise<CrashReport> {
  const cohort = options.cohort ?? 4;
  const burst = options.burst ?? 2 * cohort + 3;
  let seed = options.seed ?? 1;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const dir = await federatedDataDir(cohort);
  try {
    const sent = new Map<string, { token: string; body: Uint8Array<ArrayBuffer>; address: string }>();
    const acked = new Map<string, string>();
    let conflicting = 0; // a re-send answered with another id than the first
    let device = 0;
    let answered = 0;
    const send = async (url: string, key: string): Promise<void> => {
      const { token, body, address } = sent.get(key)!;
      let r: { status: number; id?: string };
      try {
        r = await post(url, token, body, address);
      } catch {
        return; // killed mid-request: no answer, the device sends it again later
      }
      if (r.status === 202 || r.status === 200) {
        const before = acked.get(key);
        if (before && before !== r.id) conflicting++;
        acked.set(key, r.id!);
        answered++;
      }
    };
    for (let trial = 0; trial < options.trials; trial++) {
      answered = 0;
      const { child, url } = await startServer(dir);
      const version = (await fetch(`${url}/v1/models/default/manifest`)).headers.get('X-Model-Version')!;
      const inFlight: Array<Promise<void>> = [];
      for (let i = 0; i < burst; i++) {
        const n = device++;
        const key = `${clientToken(n)}:${n}`;
        const nonce = Uint8Array.from({ length: 16 }, (_, k) => (n * 7 + k * 13 + (n >> 8)) & 0xff);
        sent.set(key, { token: clientToken(n), body: tinyUpdate({ seed: n + 1, baseVersion: version, nonce, rows: [1 + (n % 5)] }), address: deviceAddress(n) });
        inFlight.push(send(url, key));
      }
      const earlier = [...sent.keys()];
      for (let i = 0; i < 4 && earlier.length > burst; i++) inFlight.push(send(url, earlier[Math.floor(random() * (earlier.length - burst))]!));
      const settled = Promise.all(inFlight);
      let done = false;
      void settled.then(() => (done = true));
      const killAt = Math.floor(random() * (burst + 1));
      while (!done && answered < killAt) await new Promise((r) => setTimeout(r, 1));
      await killHard(child);
      await settled;
    }
    const { child, url } = await startServer(dir);
    for (const key of sent.keys()) await send(url, key);
    await killHard(child);

    const disk = await counted(dir);
    const ids = new Set(disk.ids);
    const lost = [...acked.values()].filter((id) => !ids.has(id)).length;
    const badRounds = disk.rounds.filter((r, i) => r.round !== i + 1 || r.updates !== cohort || r.status !== 'published').length;
    const registryConsistent = disk.versions.join() === ['v1', ...disk.rounds.map((r) => r.version)].join() && disk.current === (disk.rounds.at(-1)?.version ?? 'v1');
    return {
      trials: options.trials,
      sent: sent.size,
      acknowledged: new Set(acked.values()).size,
      stored: disk.ids.length,
      lost,
      countedTwice: disk.ids.length - ids.size + conflicting,
      rounds: disk.rounds.length,
      badRounds,
      registryConsistent,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface LoadReport {
  devices: number;
  seconds: number;
  requests: number;
  acknowledged: number;
  stored: number;
  lost: number;
  countedTwice: number;
  /** Answers other than 202 (e.g. 429, 503), by status; network errors under `error`. */
  other: Record<string, number>;
  updatesPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/**
 * `devices` concurrent simulated devices each uploading valid updates back to back for `seconds`, or until
 * each has spent its two admission tokens (issued before the clock starts) (a
 * fresh client token and nonce per update, as rotating devices would), against the fixture server on
 * loopback; then every in-flight request is awaited, the server is stopped and the disk is read.
 */
export async function loadTest(options: { devices: number; seconds: number }): Promise<LoadReport> {
  // No round closes during the run: the figure is intake, and every stored update stays pending to count.
  const dir = await federatedDataDir(10_000_000);
  const { child, url } = await startServer(dir);
  try {
    const version = (await fetch(`${url}/v1/models/default/manifest`)).headers.get('X-Model-Version')!;
    // A few distinct bodies re-used with a fresh nonce each: encoding is not what is measured.
    const bodies = Array.from({ length: 16 }, (_, i) => tinyUpdate({ seed: i + 1, baseVersion: version, rows: [1 + (i % 5)] }));
    // The nonce follows "ERU", format, encoding, then the model and base version as varint-length strings.
    const nonceAt = 5 + 1 + 'default'.length + 1 + version.length;
    const acked = new Set<string>();
    const other: Record<string, number> = {};
    const latencies: number[] = [];
    let requests = 0;
    let seq = 0;
    // Devices hold their admission token before they upload (the widget keeps it in IndexedDB): the figure
    // is the intake's, not this one test process blinding tokens, so a pool is issued before the clock
    // starts, two per device, and a device stops when none is left.
    // 16 issuances in flight at a time (as devices arrive, not all at once), each retried once on a
    // dropped connection: a refused token would fail the test for a reason the load figure is not about.
    const tokens: Array<{ address: string; authorization: string }> = [];
    const addresses = Array.from({ length: options.devices * 2 }, (_, i) => deviceAddress(1_000_000 + i));
    await pool(addresses.length, 16, async (i) => {
      const address = addresses[i]!;
      tokens.push({ address, authorization: await tokenFor(url, address).catch(() => tokenFor(url, address)) });
    });
    const deadline = performance.now() + options.seconds * 1000;
    const device = async (d: number): Promise<void> => {
      while (performance.now() < deadline) {
        const held = tokens.pop();
        if (!held) break;
        const n = seq++;
        const body = new Uint8Array(bodies[n % bodies.length]!);
        new DataView(body.buffer).setUint32(nonceAt, n, true);
        const token = `load-${d.toString(36)}-${n.toString(36).padStart(12, '0')}`;
        const started = performance.now();
        requests++;
        try {
          const r = await post(url, token, body, held.address, held.authorization);
          latencies.push(performance.now() - started);
          if (r.status === 202) acked.add(r.id!);
          else other[r.status] = (other[r.status] ?? 0) + 1;
        } catch (e) {
          const cause = (e as { cause?: { code?: string; message?: string } }).cause;
          const key = `error ${cause?.code ?? cause?.message ?? String(e)}`;
          other[key] = (other[key] ?? 0) + 1;
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: options.devices }, (_, d) => device(d)));
    const elapsed = (performance.now() - started) / 1000;
    await killHard(child);
    const disk = await counted(dir);
    const ids = new Set(disk.ids);
    latencies.sort((a, b) => a - b);
    return {
      devices: options.devices,
      seconds: Math.round(elapsed * 10) / 10,
      requests,
      acknowledged: acked.size,
      stored: disk.ids.length,
      lost: [...acked].filter((id) => !ids.has(id)).length,
      countedTwice: disk.ids.length - ids.size,
      other,
      updatesPerSecond: Math.round(acked.size / elapsed),
      latencyMs: { p50: Math.round(quantile(latencies, 0.5)), p90: Math.round(quantile(latencies, 0.9)), p99: Math.round(quantile(latencies, 0.99)), max: Math.round(latencies.at(-1) ?? 0) },
    };
  } finally {
    await killHard(child);
    await rm(dir, { recursive: true, force: true });
  }
}
