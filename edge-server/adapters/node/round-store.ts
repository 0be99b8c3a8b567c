/**
 * `RoundStore` on the local file system, per model:
 *
 *   dir/<model>/updates.log   accepted updates not yet consumed by a round: append-only, fsynced
 *   dir/<model>/rounds.log    closed rounds: append-only, fsynced (a round's record is its commit)
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
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_NAME } from '../../../core/artifact/manifest.ts';
import type { RoundRecord, RoundStore, StoredUpdate } from '../../federated/store.ts';
import { syncDir, writeFileAtomic } from './durable-file.ts';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3), as zip and PNG use it. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, 8);
  return out;
}

/** The intact frames of a log and the byte length they span (the rest is a torn tail). */
function readFrames(data: Buffer): { payloads: Buffer[]; valid: number } {
  const payloads: Buffer[] = [];
  let at = 0;
  while (at + 8 <= data.length) {
    const length = data.readUInt32LE(at);
    if (at + 8 + length > data.length) break;
    const payload = data.subarray(at + 8, at + 8 + length);
    if (crc32(payload) !== data.readUInt32LE(at + 4)) break;
    payloads.push(payload);
    at += 8 + length;
  }
  return { payloads, valid: at };
}

/** Update frame payload: [u32 header length][header JSON][update bytes]. */
function encodeUpdateFrame(u: StoredUpdate): Buffer {
  const { bytes, ...header } = u;
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(4 + json.length + bytes.length);
  out.writeUInt32LE(json.length, 0);
  out.set(json, 4);
  out.set(bytes, 4 + json.length);
  return frame(out);
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

/**
 * Opens (creating if needed) a round store directory.
 * @example const rounds = await openDiskRoundStore('.edge-recs/federated');
 */
export async function openDiskRoundStore(dir: string): Promise<RoundStore> {
  await mkdir(dir, { recursive: true });
  const created = new Set<string>();
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
      if (!MODEL_NAME.test(model)) return { rounds: [], pending: [] };
      const path = join(dir, model);
      const rounds = (await readLog(join(path, 'rounds.log'))).map((p) => JSON.parse(p.toString('utf8')) as RoundRecord);
      const consumed = rounds.at(-1)?.lastSeq ?? 0;
      const pending = (await readLog(join(path, 'updates.log'))).map(decodeUpdateFrame).filter((u) => u.seq > consumed);
      return { rounds, pending };
    },

    async append(model, updates) {
      if (updates.length === 0) return;
      const path = await modelDir(model);
      await appendSynced(join(path, 'updates.log'), Buffer.concat(updates.map(encodeUpdateFrame)));
    },

    async commitRound(model, record) {
      const path = await modelDir(model);
      await appendSynced(join(path, 'rounds.log'), frame(Buffer.from(JSON.stringify(record))));
      // Committed. Now drop the consumed updates (best kept short: they are the only per-device data held).
      const log = join(path, 'updates.log');
      const keep = (await readLog(log)).filter((p) => decodeUpdateFrame(p).seq > record.lastSeq);
      await writeFileAtomic(log, Buffer.concat(keep.map((p) => frame(p))));
    },

    async models() {
      const names = await readdir(dir).catch(() => [] as string[]);
      return names.filter((n) => MODEL_NAME.test(n));
    },
  };
}

