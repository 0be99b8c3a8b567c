import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoundRecord, StoredUpdate } from '../../federated/store.ts';
import { clientToken, deviceAddress, tinyUpdate } from '../../../test/support/edge-server/federated.ts';
import { publishArtifact } from '../../models/registry.ts';
import { signer, tinyArtifact } from '../../../test/support/edge-server/fixtures.ts';
import { killHard, startFixtureServer } from '../../../test/support/edge-server/fixture-process.ts';
import { openDiskRoundStore } from './round-store.ts';
import { openDiskStorage } from './storage.ts';
import { tokenFor } from '../../../test/support/edge-server/tokens.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-recs-rounds-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const update = (seq: number): StoredUpdate => ({
  seq,
  id: `id-${seq}`,
  tokenHash: 'ab'.repeat(16),
  nonce: String(seq).padStart(32, '0'),
  receivedAt: 1_700_000_000_000 + seq,
  baseVersion: 'v1',
  bytes: Uint8Array.from([1, 2, 3, seq]),
});

const round = (n: number, lastSeq: number): RoundRecord => ({
  model: 'default',
  round: n,
  closedAt: '2026-01-01T00:00:00.000Z',
  status: 'published',
  updates: 2,
  lastSeq,
  updateIds: [],
  baseVersion: 'v1',
  version: `fed-${n}`,
  epsilon: 1,
  totalEpsilon: n,
  delta: 1e-6,
});

describe('disk round store', () => {
  it('keeps appended updates and committed rounds across a reopen, and drops the consumed updates', async () => {
    const dir = await tempDir();
    const store = await openDiskRoundStore(dir);
    await store.append('default', [update(1), update(2)]);
    await store.append('default', [update(3)]);
    let state = await (await openDiskRoundStore(dir)).load('default');
    expect(state.pending.map((u) => u.seq)).toEqual([1, 2, 3]);
    expect(state.pending[2]!.bytes).toEqual(Uint8Array.from([1, 2, 3, 3]));
    await store.commitRound('default', round(1, 2));
    state = await (await openDiskRoundStore(dir)).load('default');
    expect(state.rounds).toEqual([round(1, 2)]);
    expect(state.pending.map((u) => u.seq)).toEqual([3]);
    expect(await store.models()).toEqual(['default']);
    expect(await store.load('nothing-here')).toEqual({ rounds: [], pending: [], resets: [] });
  });

  it('keeps a round\'s source-hash key until the round commits, then deletes it; keeps budget resets', async () => {
    const dir = await tempDir();
    const store = await openDiskRoundStore(dir);
    const key = await store.roundKey('default', 1);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await (await openDiskRoundStore(dir)).roundKey('default', 1)).toBe(key); // survives a reopen
    await store.append('default', [update(1), update(2)]);
    await store.commitRound('default', round(1, 2));
    await expect(stat(join(dir, 'default', 'round.key'))).rejects.toThrow(/ENOENT/);
    const next = await store.roundKey('default', 2);
    expect(next).not.toBe(key);
    const reset = { at: '2026-03-01T10:00:00.000Z', by: 'admin:0123456789ab', afterRound: 1, before: { totalEpsilon: 1, todayEpsilon: 1 }, after: { totalEpsilon: 0, todayEpsilon: 0 } };
    await store.recordReset('default', reset);
    expect((await (await openDiskRoundStore(dir)).load('default')).resets).toEqual([reset]);
  });

  it('ignores a torn last frame (a crash mid-write) and appends after the intact ones', async () => {
    const dir = await tempDir();
    const store = await openDiskRoundStore(dir);
    await store.append('default', [update(1)]);
    const log = join(dir, 'default', 'updates.log');
    const intact = (await stat(log)).size;
    await appendFile(log, Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    const reopened = await openDiskRoundStore(dir);
    expect((await reopened.load('default')).pending.map((u) => u.seq)).toEqual([1]);
    expect((await stat(log)).size).toBe(intact);
    await reopened.append('default', [update(2)]);
    expect((await reopened.load('default')).pending.map((u) => u.seq)).toEqual([1, 2]);
  });

  it('skips updates a committed round consumed even when they are still in the log (crash before compaction)', async () => {
    const dir = await tempDir();
    const store = await openDiskRoundStore(dir);
    await store.append('default', [update(1), update(2), update(3)]);
    const before = await readFile(join(dir, 'default', 'updates.log'));
    await store.commitRound('default', round(1, 2));
    await writeFile(join(dir, 'default', 'updates.log'), before); // as if the compaction never happened
    expect((await store.load('default')).pending.map((u) => u.seq)).toEqual([3]);
  });
});


describe('kill -9 during federated rounds (real child process)', () => {
  it('loses no acknowledged update and counts none twice over several crashes', { timeout: 120_000 }, async () => {
    const COHORT = 4;
    const dir = await tempDir();
    const { key, trusted } = await signer();
    const { key: signingKey } = await signer();
    const storage = await openDiskStorage(join(dir, 'store'));
    await publishArtifact(storage, await tinyArtifact(key, 'v1'), { trusted });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ trustedKeys: trusted, signingKey, cohort: COHORT }));

    /** Updates sent, by token:nonce, with their body; what the server answered when it did. */
    const sent = new Map<string, { token: string; body: Uint8Array<ArrayBuffer> }>();
    const acked = new Map<string, string>(); // token:nonce → id
    const post = async (url: string, token: string, body: Uint8Array<ArrayBuffer>, sentKey: string): Promise<number> => {
      let res: Response;
      let json: { id?: string };
      const address = deviceAddress(Number(/^device-(\d+)-/.exec(token)![1]));
      try {
        res = await fetch(`${url}/v1/updates`, {
          method: 'POST',
          // Each device from its own address (the fixture trusts X-Forwarded-For from loopback).
          headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': token, 'X-Forwarded-For': address, Authorization: await tokenFor(url, address) },
          body,
        });
        json = (await res.json()) as { id?: string };
      } catch {
        return 0; // killed mid-request: no answer, so the device would send it again
      }
      if (res.status === 202 || res.status === 200) {
        const previous = acked.get(sentKey);
        if (previous) expect(json.id).toBe(previous); // a re-send must get the first answer's id
        acked.set(sentKey, json.id!);
        answered++;
      } else expect([409, 429]).toContain(res.status);
      return res.status;
    };

    let device = 0;
    let answered = 0;
    for (let trial = 0; trial < 5; trial++) {
      answered = 0;
      const { child, url } = await startFixtureServer(dir);
      const version = (await fetch(`${url}/v1/models/default/manifest`)).headers.get('X-Model-Version')!;
      // A burst of concurrent uploads (enough to close two rounds), and re-sends of earlier updates;
      // SIGKILL lands somewhere inside it.
      const burst: Array<Promise<unknown>> = [];
      for (let i = 0; i < 2 * COHORT + 3; i++) {
        const n = device++;
        const token = clientToken(n);
        const nonce = Uint8Array.from({ length: 16 }, (_, k) => (n * 7 + k) & 0xff);
        const body = tinyUpdate({ seed: n + 1, baseVersion: version, nonce, rows: [1 + (n % 5)] });
        const sentKey = `${token}:${n}`;
        sent.set(sentKey, { token, body });
        burst.push(post(url, token, body, sentKey));
      }
      for (const [sentKey, { token, body }] of [...sent].slice(0, 4)) burst.push(post(url, token, body, sentKey));
      // Kill after a different number of answers each trial: before the first round closes, while it
      // closes, between rounds.
      const settled = Promise.all(burst);
      let done = false;
      void settled.then(() => (done = true));
      while (!done && answered < [1, 3, 4, 6, 9][trial]!) await new Promise((r) => setTimeout(r, 1));
      await killHard(child);
      await settled;
    }

    // Restart once more: recovery finishes any committed round's publish; re-send everything unanswered or not.
    const { child, url } = await startFixtureServer(dir);
    for (const [sentKey, { token, body }] of sent) await post(url, token, body, sentKey);
    await killHard(child);

    const state = await (await openDiskRoundStore(join(dir, 'federated'))).load('default');
    if (process.env.DEBUG_CRASH) console.log(`rounds ${state.rounds.length}, pending ${state.pending.length}, acked ${acked.size} of ${sent.size} sent`);
    const counted = [...state.rounds.flatMap((r) => r.updateIds), ...state.pending.map((u) => u.id)];
    expect(new Set(counted).size).toBe(counted.length); // none counted twice
    for (const id of acked.values()) expect(counted).toContain(id); // none acknowledged lost
    expect(state.rounds.length).toBeGreaterThanOrEqual(2);
    state.rounds.forEach((r, i) => {
      expect(r.round).toBe(i + 1);
      expect(r.updateIds).toHaveLength(COHORT);
      expect(r.status).toBe('published');
    });
    const record = (await (await openDiskStorage(join(dir, 'store'))).meta.getModel('default'))!;
    expect(record.versions.map((v) => v.version)).toEqual(['v1', ...state.rounds.map((r) => r.version)]);
    expect(record.current).toBe(state.rounds.at(-1)!.version);
  });
});
