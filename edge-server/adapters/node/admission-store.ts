/**
 * `AdmissionStore` on the local file system (`createAdmission({ store })`, `federated/admission.ts`):
 *
 *   dir/keys.json      the live issuer keys (private keys included), replaced atomically; mode 0600
 *   dir/<keyId>.log    per key: `i <sourceHash> <count>` (tokens issued to a keyed source hash),
 *                      `s <nonce>` (a token spent), `u <nonce>` (given back: its upload was refused)
 *
 * A key's log goes with the key, two days after its day. Log lines are appended with one write each
 * and not fsynced: a killed process loses nothing (the kernel has the bytes), a power cut may lose the
 * last lines, i.e. let a source have one more token that day or a token be spent twice. A torn last line
 * is skipped. Assumes one process writes a directory at a time.
 */
import { mkdir, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdmissionStore, IssuerKeyRecord } from '../../federated/admission.ts';
import { writeFileAtomic } from './durable-file.ts';

const KEY_ID = /^[0-9a-f]{64}$/;
const LINE = /^(?:i [0-9a-f]{32} \d{1,4}|[su] [0-9a-f]{64})$/;

/** Opens (creating) the store in `dir`. @example createAdmission({ store: await openDiskAdmissionStore('.edge-recs/admission') }) */
export async function openDiskAdmissionStore(dir: string): Promise<AdmissionStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keysFile = join(dir, 'keys.json');
  let keys: IssuerKeyRecord[] = [];
  try {
    keys = JSON.parse(await readFile(keysFile, 'utf8')) as IssuerKeyRecord[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${keysFile}: ${(err as Error).message}`);
  }
  keys = keys.filter((k) => KEY_ID.test(k.id));
  const logs = new Map<string, FileHandle>();
  const logOf = async (keyId: string): Promise<FileHandle> => {
    if (!KEY_ID.test(keyId)) throw new Error(`admission store: bad key id ${keyId}`);
    let handle = logs.get(keyId);
    if (!handle) logs.set(keyId, (handle = await open(join(dir, `${keyId}.log`), 'a', 0o600)));
    return handle;
  };
  // Appends of one key are chained so lines never interleave.
  let tail: Promise<unknown> = Promise.resolve();
  const append = (keyId: string, line: string): Promise<void> => {
    const run = tail.then(async () => {
      await (await logOf(keyId)).write(`${line}\n`);
    });
    tail = run.catch(() => undefined);
    return run;
  };
  const saveKeys = (): Promise<void> => writeFileAtomic(keysFile, `${JSON.stringify(keys)}\n`);

  return {
    async load() {
      const issued: Record<string, Record<string, number>> = {};
      const spent: Record<string, string[]> = {};
      for (const key of keys) {
        const counts: Record<string, number> = {};
        const nonces = new Set<string>();
        let text = '';
        try {
          text = await readFile(join(dir, `${key.id}.log`), 'utf8');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        for (const line of text.split('\n')) {
          if (!LINE.test(line)) continue;
          const [kind, value, count] = line.split(' ') as [string, string, string?];
          if (kind === 'i') counts[value] = Math.max(counts[value] ?? 0, Number(count));
          else if (kind === 's') nonces.add(value);
          else nonces.delete(value);
        }
        issued[key.id] = counts;
        spent[key.id] = [...nonces];
      }
      return { keys: structuredClone(keys), issued, spent };
    },
    async addKey(key) {
      keys = [...keys.filter((k) => k.id !== key.id), { ...key }];
      await saveKeys();
    },
    async issued(keyId, sourceHash, count) {
      await append(keyId, `i ${sourceHash} ${count}`);
    },
    async spent(keyId, nonce, isSpent) {
      await append(keyId, `${isSpent ? 's' : 'u'} ${nonce}`);
    },
    async dropKey(keyId) {
      keys = keys.filter((k) => k.id !== keyId);
      await saveKeys();
      await tail;
      await logs.get(keyId)?.close();
      logs.delete(keyId);
      await rm(join(dir, `${keyId}.log`), { force: true });
    },
  };
}
