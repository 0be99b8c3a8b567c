/**
 * `RoundStore` on the local file system, per model:
 *
 *   dir/<model>/updates.log   accepted updates not yet consumed by a round: append-only, fsynced
 *   dir/<model>/rounds.log    closed rounds: append-only, fsynced (a round's record is its commit)
 *   dir/<model>/resets.log    privacy-budget resets: append-only, fsynced
 *   dir/<model>/round.key     the open round's source-hash key (`RoundStore.roundKey`), JSON; deleted
 *                             when the round commits
 *
 * Each log is a sequence of frames `[length u32][crc32 u32][payload]`. An append writes all its frames
 * with one write and one `fdatasync` before it resolves (so concurrent uploads share one sync: group
 * commit). A crash can leave only a torn *last* frame, never acknowledged; opening a log keeps the
 * frames up to the first bad one and truncates the rest.
 *
 * After a round commits, the updates it consumed are removed by rewriting `updates.log` with only the
 * pending ones (temp file, fsync, atomic rename, directory fsync). A crash before that rename is
 * harmless: `load` skips every update up to the last round's `lastSeq` whether or not it is still in
 * the file. Assumes one process writes a directory at a time, as the blob storage does.
 */
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { MODEL_NAME } from '../../../core/artifact/manifest.ts';
import { newRoundKey, type BudgetReset, type RoundRecord, type RoundStore, type StoredUpdate } from '../../federated/store.ts';
import { syncDir, writeFileAtomic } from './durable-file.ts';

const FRAME_HEADER = 8;

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER);
  return out;
}

/** The intact frames of a log and the byte length they span (the rest is a torn tail). */
function readFrames(data: Buffer): { payloads: Buffer[]; valid: number } {
  const payloads: Buffer[] = [];
  let at = 0;
  while (at + FRAME_HEADER <= data.length) {
    const length = data.readUInt32LE(at);
    if (at + FRAME_HEADER + length > data.length) break;
    const payload = data.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length);
    if (crc32(payload) !== data.readUInt32LE(at + 4)) break;
    payloads.push(payload);
    at += FRAME_HEADER + length;
  }
  return { payloads, valid: at };
}

/**
 * Frames for a batch of updates, in one buffer (one copy of each update's bytes, one write). Update
 * frame payload: [u32 header length][header JSON][update bytes].
 */
function encodeUpdateFrames(updates: readonly StoredUpdate[]): Buffer {
  const headers = updates.map(({ bytes: _, ...header }) => Buffer.from(JSON.stringify(header)));
  let total = 0;
  for (let i = 0; i < updates.length; i++) total += FRAME_HEADER + 4 + headers[i]!.length + updates[i]!.bytes.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < updates.length; i++) {
    const json = headers[i]!;
    const bytes = updates[i]!.bytes;
    const length = 4 + json.length + bytes.length;
    const payload = at + FRAME_HEADER;
    out.writeUInt32LE(json.length, payload);
    json.copy(out, payload + 4);
    out.set(bytes, payload + 4 + json.length);
    out.writeUInt32LE(length, at);
    out.writeUInt32LE(crc32(out.subarray(payload, payload + length)), at + 4);
    at = payload + length;
  }
  return out;
}

function decodeUpdateFrame(payload: Buffer): StoredUpdate {
  const n = payload.readUInt32LE(0);
  const header = JSON.parse(payload.subarray(4, 4 + n).toString('utf8')) as Omit<StoredUpdate, 'bytes'>;
  return { ...header, bytes: new Uint8Array(payload.subarray(4 + n)) };
}


/** Reads a log, truncating a torn tail so later appends follow intact frames. */
async function readLog(path: string): Promise<Buffer[]> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const { payloads, valid } = readFrames(data);
  if (valid < data.length) {
    const handle = await open(path, 'r+');
    try {
      await handle.truncate(valid);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return payloads;
}

async function appendSynced(path: string, bytes: Buffer): Promise<void> {
  const handle = await open(path, 'a');
  try {
    await handle.write(bytes);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** An update log kept open between appends, and its length (where a failed append is cut back to). */
interface OpenLog {
  handle: FileHandle;
  length: number;
}

/**
 * Opens (creating if needed) a round store directory.
 * @example const rounds = await openDiskRoundStore('.edge-recs/federated');
 */
export async function openDiskRoundStore(dir: string): Promise<RoundStore> {
  await mkdir(dir, { recursive: true });
  const created = new Set<string>();
  const logs = new Map<string, OpenLog>();
  const modelDir = async (model: string): Promise<string> => {
    if (!MODEL_NAME.test(model)) throw new Error(`round store: bad model name ${JSON.stringify(model)}`);
    const path = join(dir, model);
    if (!created.has(model)) {
      await mkdir(path, { recursive: true });
      await syncDir(dir);
      created.add(model);
    }
    return path;
  };

  return {
    async load(model) {
      if (!MODEL_NAME.test(model)) return { rounds: [], pending: [], resets: [] };
      const path = join(dir, model);
      const rounds = (await readLog(join(path, 'rounds.log'))).map((p) => JSON.parse(p.toString('utf8')) as RoundRecord);
      const consumed = rounds.at(-1)?.lastSeq ?? 0;
      const pending = (await readLog(join(path, 'updates.log'))).map(decodeUpdateFrame).filter((u) => u.seq > consumed);
      const resets = (await readLog(join(path, 'resets.log'))).map((p) => JSON.parse(p.toString('utf8')) as BudgetReset);
      return { rounds, pending, resets };
    },

    async append(model, updates) {
      if (updates.length === 0) return;
      const path = await modelDir(model);
      // Kept open: an open, write and close per batch cost more than the write. The engine appends and
      // commits one model's rounds on one queue, so nothing else touches the log meanwhile.
      let log = logs.get(model);
      if (!log) {
        const handle = await open(join(path, 'updates.log'), 'a');
        log = { handle, length: (await handle.stat()).size };
        logs.set(model, log);
      }
      const bytes = encodeUpdateFrames(updates);
      try {
        const { bytesWritten } = await log.handle.write(bytes);
        if (bytesWritten !== bytes.length) throw new Error(`round store: short write to ${join(path, 'updates.log')} (${bytesWritten} of ${bytes.length} bytes)`);
        await log.handle.datasync();
        log.length += bytes.length;
      } catch (err) {
        // Not acknowledged, so not kept: cut the log back, or a torn frame here would hide every frame
        // appended after it from the next `load`. Reopened on the next append.
        logs.delete(model);
        await log.handle.truncate(log.length).catch(() => undefined);
        await log.handle.close().catch(() => undefined);
        throw err;
      }
    },

    async commitRound(model, record) {
      const path = await modelDir(model);
      await appendSynced(join(path, 'rounds.log'), frame(Buffer.from(JSON.stringify(record))));
      // The rewrite below replaces the file: the next append opens the new one.
      const current = logs.get(model);
      logs.delete(model);
      await current?.handle.close();
      // Committed. Now drop the consumed updates (best kept short: they are the only per-device data held).
      const log = join(path, 'updates.log');
      const keep = (await readLog(log)).filter((p) => decodeUpdateFrame(p).seq > record.lastSeq);
      await writeFileAtomic(log, Buffer.concat(keep.map((p) => frame(p))));
      // The round's source hashes can no longer be linked to addresses once its key is gone. A crash
      // before this leaves a key for a closed round, which `roundKey` replaces for the next one.
      await rm(join(path, 'round.key'), { force: true });
      await syncDir(path);
    },

    async roundKey(model, round) {
      const path = join(await modelDir(model), 'round.key');
      try {
        const stored = JSON.parse(await readFile(path, 'utf8')) as { round?: unknown; key?: unknown };
        if (stored.round === round && typeof stored.key === 'string' && /^[0-9a-f]{64}$/.test(stored.key)) return stored.key;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
      }
      const key = newRoundKey();
      await writeFileAtomic(path, Buffer.from(JSON.stringify({ round, key })));
      return key;
    },

    async recordReset(model, reset) {
      const path = await modelDir(model);
      await appendSynced(join(path, 'resets.log'), frame(Buffer.from(JSON.stringify(reset))));
    },

    async models() {
      const names = await readdir(dir).catch(() => [] as string[]);
      return names.filter((n) => MODEL_NAME.test(n));
    },
  };
}

