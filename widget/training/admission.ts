/**
 * The token a federated upload spends (Privacy Pass, RFC 9576-9578; `core/federated/admission-client.ts`
 * does the protocol): obtained from the edge server just before a device's first upload of the day, kept
 * in IndexedDB until an upload spends it, so a page closed between issuance and upload does not waste
 * this network source's token for the day. Imported lazily, only by a consenting device about to train,
 * so the widget's other chunks carry none of the token code.
 *
 * A token leaves the store when its upload starts (`send`) and comes back only when the server's answer
 * says it was not spent (`settle('kept')`). An upload cut off by a navigation may still reach the server
 * (it is a keepalive request) and spend the token with no page left to hear it; reusing the token on the
 * next page view would then be refused (a 401 in the shop's console). Taking it out first costs, at
 * worst, the day's token of an upload that never arrived — an update lost, never a request refused.
 *
 * The token says nothing about the shopper: it is a random value the issuer signed without seeing it.
 * What is kept: the token, the issuer key's day (a token is good for that day and the next), how many
 * tokens this device got that day, and until when the server said no.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { obtainToken } from '../../core/federated/admission-client.ts';

const DB_NAME = 'edge-recs-admission';
const STORE = 'tokens';
const DAY_MS = 86_400_000;

interface Held {
  /** The unspent token's `Authorization` value, or null. */
  authorization: string | null;
  /** Start of the issuer key's day (ms): the token redeems until two days after. */
  keyDay: number;
  /** UTC day (ms) of the last issuance, and tokens obtained on it. */
  day: number;
  obtained: number;
  /** Tokens one source gets a day, as the directory said. */
  perDay: number;
  /** No issuance request before this time (ms): the server said this source had its tokens. */
  refusedUntil: number;
}

type Admitted =
  /**
   * `authorization` null: the server takes updates without tokens. `send` takes the token out of the
   * store just before its upload; `settle` records the upload's answer ('kept': not spent, put it back).
   */
  | { ok: true; authorization: string | null; send(): Promise<void>; settle(outcome: 'spent' | 'kept'): Promise<void> }
  /** No token today (this network source had its tokens, or the issuer could not be reached): skip this round. */
  | { ok: false; reason: string };

let opening: Promise<IDBPDatabase> | null = null;
function db(): Promise<IDBPDatabase> {
  opening ??= openDB(DB_NAME, 1, {
    upgrade: (d) => void d.createObjectStore(STORE),
    // Another tab (or the shopper's "erase my data") wants the database gone or upgraded: let it.
    blocking: (_old, _new, event) => {
      (event.target as IDBDatabase).close();
      opening = null;
    },
  }).catch((e: unknown) => {
    opening = null;
    throw e;
  });
  return opening;
}

async function read(server: string): Promise<Held | null> {
  try {
    return ((await (await db()).get(STORE, server)) as Held | undefined) ?? null;
  } catch {
    return null; // No IndexedDB (private mode in some browsers): a token lives for this attempt only.
  }
}

async function write(server: string, record: Held): Promise<void> {
  try {
    await (await db()).put(STORE, record, server);
  } catch {
    // As above: not kept.
  }
}

/**
 * A token for one upload to `server`: the stored one while it is good, else a new one from the issuer
 * unless this device already had today's tokens or the server said no. Never throws but for an abort.
 */
export async function admissionToken(server: string, signal?: AbortSignal): Promise<Admitted> {
  const now = Date.now();
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  let record = await read(server);
  const held = (authorization: string) => ({
    ok: true as const,
    authorization,
    async send(): Promise<void> {
      const current = await read(server);
      if (current?.authorization === authorization) await write(server, { ...current, authorization: null });
    },
    async settle(outcome: 'spent' | 'kept'): Promise<void> {
      // Back in the store unless another token took its place meanwhile (another tab).
      const current = await read(server);
      if (outcome === 'kept' && current && current.authorization === null) await write(server, { ...current, authorization });
    },
  });
  if (record?.authorization && now < record.keyDay + 2 * DAY_MS) return held(record.authorization);
  if (record && now < record.refusedUntil) return { ok: false, reason: 'token_limit' };
  if (record && record.day === today && record.obtained >= record.perDay) return { ok: false, reason: 'token_limit' };
  let directory: { 'tokens-per-day'?: unknown; 'token-keys'?: Array<{ 'not-before'?: unknown }> } = {};
  const out = await obtainToken(server, async (url, init) => {
    const res = await fetch(url, init);
    if (init.method === 'GET' && res.ok) directory = (await res.clone().json()) as typeof directory;
    return res;
  }, signal).catch((e: unknown) => {
    if (signal?.aborted) throw e;
    return { ok: false as const, status: 0, code: 'unreachable' };
  });
  if (!out.ok) {
    // The server takes updates without tokens.
    if (out.status === 404 && out.code === 'admission_disabled') return { ok: true, authorization: null, send: async () => undefined, settle: async () => undefined };
    if (out.status === 429 || out.status === 503) {
      // Until tomorrow (UTC, when the issuer's day turns): asking again today would be refused again.
      await write(server, { ...(record ?? { authorization: null, keyDay: 0, day: today, obtained: 0, perDay: 1 }), refusedUntil: today + DAY_MS });
    }
    return { ok: false, reason: out.code || `HTTP ${out.status}` };
  }
  const perDay = typeof directory['tokens-per-day'] === 'number' ? directory['tokens-per-day'] : 1;
  const notBefore = directory['token-keys']?.[0]?.['not-before'];
  record = {
    authorization: out.authorization,
    keyDay: typeof notBefore === 'number' ? notBefore * 1000 : today,
    day: today,
    obtained: (record?.day === today ? record.obtained : 0) + 1,
    perDay,
    refusedUntil: 0,
  };
  await write(server, record);
  return held(out.authorization);
}
