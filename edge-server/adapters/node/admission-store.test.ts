import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IssuerKeyRecord } from '../../federated/admission.ts';
import { openDiskAdmissionStore } from './admission-store.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const key = (n: number): IssuerKeyRecord => ({ id: String(n).repeat(64).slice(0, 64), day: n * 86_400_000, publicKey: 'AA==', privateKey: 'AA==', sourceSecret: 'AA==' });
const hash = (n: number): string => n.toString(16).padStart(32, '0');
const nonce = (n: number): string => n.toString(16).padStart(64, '0');

describe('openDiskAdmissionStore', () => {
  it('keeps keys, issued counts and spent tokens across a reopen, skips a torn last line, and drops a key with its log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'admission-'));
    dirs.push(dir);
    const store = await openDiskAdmissionStore(dir);
    await store.addKey(key(1));
    await store.addKey(key(2));
    await store.issued(key(1).id, hash(7), 1);
    await store.issued(key(1).id, hash(7), 2);
    await store.spent(key(1).id, nonce(1), true);
    await store.spent(key(1).id, nonce(2), true);
    await store.spent(key(1).id, nonce(2), false); // given back
    await store.spent(key(2).id, nonce(3), true);
    // A crash in the middle of a line.
    await writeFile(join(dir, `${key(1).id}.log`), `s ${nonce(9).slice(0, 20)}`, { flag: 'a' });

    const reopened = await openDiskAdmissionStore(dir);
    const state = await reopened.load();
    expect(state.keys.map((k) => k.id)).toEqual([key(1).id, key(2).id]);
    expect(state.issued[key(1).id]).toEqual({ [hash(7)]: 2 });
    expect(state.spent[key(1).id]).toEqual([nonce(1)]);
    expect(state.spent[key(2).id]).toEqual([nonce(3)]);

    await reopened.dropKey(key(1).id);
    expect((await reopened.load()).keys.map((k) => k.id)).toEqual([key(2).id]);
    expect((await readdir(dir)).sort()).toEqual([`${key(2).id}.log`, 'keys.json']);
    expect(JSON.parse(await readFile(join(dir, 'keys.json'), 'utf8'))).toHaveLength(1);
    expect((await stat(dir)).mode & 0o077).toBe(0);
  });
});
