/**
 * `AnalyticsStore` on the local file system: an append-only log of ops with group commit, plus
 * snapshots.
 *
 *   dir/log-<gen>.jsonl   ops, one JSON line each, appended and fdatasync'ed before a write resolves
 *   dir/snapshot.json     the state after every op in logs with a generation below its `gen`
 *
 * Group commit: writes that arrive while a sync is in flight are written and synced together by the
 * next one, so thousands of metric batches a second cost a few syncs, not one each. A write resolves
 * only after its line is on disk, and the in-memory state (what reads see) changes only then.
 *
 * Crash safety: a crash can leave at most a torn last line in the newest log, which replay drops;
 * that write had not resolved, so nothing acknowledged is lost and nothing is counted twice. Each open
 * starts a new log generation, so a torn line is never followed by later lines. A snapshot is written
 * to a temp file, fsynced and renamed over the old one (atomic), and only then are the logs it covers
 * removed. Assumes one process writes a directory at a time, as `openDiskStorage` does.
 */
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalyticsStore } from '../../analytics/store.ts';
import { AnalyticsState, START_CODES, type AnalyticsOp, type AnalyticsSnapshot } from '../../analytics/state.ts';
import { syncDir, writeFileAtomic } from './durable-file.ts';

const SNAPSHOT = 'snapshot.json';
const LOG = /^log-(\d+)\.jsonl$/;

export interface DiskAnalyticsOptions {
  /**
   * Log size in bytes past which the state is snapshotted and the log started afresh. Default 8 MiB:
   * replay on start stays well under a second, and snapshots stay rare.
   * @example 64 * 1024 * 1024
   */
  compactBytes?: number;
}

/** A disk store also reports how it is doing, for tests and benchmarks. */
export interface DiskAnalyticsStore extends AnalyticsStore {
  /** Syncs performed since open (one per group of writes). */
  readonly syncs: number;
  /** Closes the log file; later writes reject. */
  close(): Promise<void>;
}



const logName = (gen: number): string => `log-${gen}.jsonl`;

/** Replays one log into `state`; a torn final line (a write that never resolved) is dropped. */
async function replay(path: string, state: AnalyticsState): Promise<void> {
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop()!; // '' when the file ends in a newline; otherwise a torn write
  for (const [i, line] of lines.entries()) {
    let op: AnalyticsOp;
    try {
      op = JSON.parse(line) as AnalyticsOp;
    } catch {
      // A bad line followed by good ones is not a crash's doing: stop rather than guess.
      throw new Error(`${path}:${i + 1}: corrupt log line`);
    }
    state.apply(op);
  }
  void last;
}

/**
 * Opens (creating if needed) an analytics directory, replays it, and starts a new log generation.
 * @example const analytics = await openDiskAnalytics('.edge-recs/analytics');
 */
export async function openDiskAnalytics(dir: string, options: DiskAnalyticsOptions = {}): Promise<DiskAnalyticsStore> {
  const compactBytes = options.compactBytes ?? 8 * 1024 * 1024;
  await mkdir(dir, { recursive: true });
  let state = new AnalyticsState();
  let covered = 0;
  try {
    const snapshot = JSON.parse(await readFile(join(dir, SNAPSHOT), 'utf8')) as { gen: number; state: AnalyticsSnapshot };
    state = AnalyticsState.fromSnapshot(snapshot.state);
    covered = snapshot.gen;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${join(dir, SNAPSHOT)}: unreadable snapshot`, { cause: err });
  }
  const names = await readdir(dir);
  for (const name of names.filter((n) => n.startsWith('.') && n.endsWith('.tmp'))) await rm(join(dir, name), { force: true });
  const gens = names
    .map((n) => LOG.exec(n)?.[1])
    .filter((g): g is string => g !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  for (const gen of gens) {
    if (gen < covered) await rm(join(dir, logName(gen)), { force: true });
    else await replay(join(dir, logName(gen)), state);
  }
  let gen = Math.max(covered, (gens.at(-1) ?? -1) + 1);
  let log = await open(join(dir, logName(gen)), 'a');
  await syncDir(dir);
  let size = 0;
  let syncs = 0;
  let closed = false;

  /** Snapshots the state (covering every log below the new generation) and drops the old logs. */
  async function compact(): Promise<void> {
    const next = gen + 1;
    const nextLog = await open(join(dir, logName(next)), 'a');
    await syncDir(dir);
    const old = log;
    log = nextLog;
    gen = next;
    size = 0;
    await old.close();
    await writeFileAtomic(join(dir, SNAPSHOT), JSON.stringify({ gen: next, state: state.toSnapshot() }));
    for (const name of await readdir(dir)) {
      const g = LOG.exec(name)?.[1];
      if (g !== undefined && Number(g) < next) await rm(join(dir, name), { force: true });
    }
  }
  // Compact at once when this open replayed logs, so restarts do not pile up generations.
  if (gens.some((g) => g >= covered)) await compact();

  interface Pending {
    op: AnalyticsOp;
    line: string;
    /** Called with what `apply` answered (entries dropped past the cap, for a metrics op). */
    resolve: (dropped: number) => void;
    reject: (err: unknown) => void;
  }
  let queue: Pending[] = [];
  let writing = false;
  let broken: Error | null = null;

  async function drain(): Promise<void> {
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue;
        queue = [];
        const text = batch.map((p) => p.line).join('');
        try {
          if (broken) throw broken;
          await log.write(text);
          await log.datasync();
          syncs++;
        } catch (err) {
          // A partial write would leave a torn line followed by later ones: cut it off, or stop writing.
          try {
            await log.truncate(size);
          } catch {
            broken = new Error(`analytics log ${join(dir, logName(gen))} could not be repaired after a failed write`, { cause: err });
          }
          for (const p of batch) p.reject(err);
          continue;
        }
        size += Buffer.byteLength(text);
        for (const p of batch) p.resolve(state.apply(p.op));
        if (size >= compactBytes) await compact().catch((err: unknown) => console.error('analytics: snapshot failed (the log keeps growing):', err));
      }
    } finally {
      writing = false;
    }
  }

  function write(op: AnalyticsOp): Promise<number> {
    if (closed) return Promise.reject(new Error('analytics store is closed'));
    return new Promise((resolve, reject) => {
      queue.push({ op, line: `${JSON.stringify(op)}\n`, resolve, reject });
      if (!writing) void drain();
    });
  }

  return {
    get syncs() {
      return syncs;
    },
    ...state.readers(),
    // The cap goes into the logged op, so a replay keeps and drops exactly what was kept and dropped then.
    addMetrics: async (model, day, counters, revenue = [], maxCells, experiments) => ({
      dropped: await write({
        op: 'metrics',
        model,
        day,
        counters: counters.map((c) => ({ ...c })),
        ...(revenue.length > 0 ? { revenue: revenue.map((r) => ({ ...r })) } : {}),
        ...(maxCells === undefined ? {} : { maxCells }),
        ...(experiments && experiments.counters.length > 0 ? { experiments: experiments.counters.map((e) => ({ ...e })) } : {}),
        ...(experiments && experiments.revenue.length > 0 ? { experimentRevenue: experiments.revenue.map((e) => ({ ...e })) } : {}),
      }),
    }),
    // Decided when the logged op is applied, so a replay decides each start as it was decided then.
    startExperiment: async (model, experiment) => START_CODES[await write({ op: 'experiment-start', model, experiment: { ...experiment } })] ?? null,
    endExperiment: async (model, endedAt) => {
      const ended = await write({ op: 'experiment-end', model, endedAt });
      // The op just applied put it first (a later op of the same group may have started another since, not ended one).
      return ended === 1 ? (state.experiments(model).ended.find((e) => e.endedAt === endedAt) ?? null) : null;
    },
    addItemCounts: async (model, counts, at, halfLifeMs) => void (await write({ op: 'items', model, counts: { ...counts }, at, halfLifeMs })),
    putBestsellers: async (model, list) => void (await write({ op: 'bestsellers', model, list: { ids: [...list.ids], updatedAt: list.updatedAt } })),
    async close() {
      closed = true;
      while (writing) await new Promise((r) => setTimeout(r, 1));
      await log.close();
    },
  };
}
