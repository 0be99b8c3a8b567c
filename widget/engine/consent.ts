/**
 * Consent as the engine applies it: where the shopper's profile lives when storage consent is granted
 * (IndexedDB) and when it is withdrawn (memory, with everything stored erased).
 */
import { deleteProfileDatabase } from './profile-erasure.ts';
import { createMemoryStore, type ProfileStore } from '../storage/store.ts';

/** Consent as the loader reads it from `data-consent`, `edgeRecs.consent()` and Google Consent Mode. */
export interface ConsentState {
  /** Events, bandit counts and the model cache may be written to IndexedDB. */
  storage: boolean;
  /** Aggregate counters may be sent to `POST /v1/metrics`. */
  analytics: boolean;
}

/**
 * What a consent change does to the profile store: `device` (storage granted where the profile lived in
 * memory), `memory` (storage withdrawn, or refused with `withdraw`: what the device holds is erased), or
 * nothing.
 */
export function storeMove(persistent: boolean, consent: ConsentState & { withdraw?: boolean }): 'device' | 'memory' | undefined {
  if (consent.storage && !persistent) return 'device';
  if (!consent.storage && (persistent || consent.withdraw)) return 'memory';
  return undefined;
}

/** Storage granted: the events kept in memory so far go to `durable`. */
export async function moveToDevice(memory: ProfileStore, durable: ProfileStore): Promise<void> {
  for (const event of await memory.events()) await durable.add(event);
  memory.close();
}

/**
 * Storage withdrawn: the events go on in memory for this page; the device's copy (and the whole database,
 * model cache included) is erased. `wasPersistent`: this page had been storing, so the store is cleared
 * before the database is deleted (a deletion another tab blocks still leaves nothing behind).
 */
export async function moveToMemory(durable: ProfileStore, wasPersistent: boolean): Promise<ProfileStore> {
  const memory = createMemoryStore();
  for (const event of await durable.events()) await memory.add(event);
  if (wasPersistent) await durable.clear().catch(() => undefined);
  durable.close();
  await deleteProfileDatabase();
  return memory;
}
