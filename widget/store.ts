import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { ShopEvent } from '../core/events.ts';

/** IndexedDB schema of the shopper's profile. Bump `DB_VERSION` and add a step to `upgrade` to migrate. */
interface ProfileDB extends DBSchema {
  events: { key: number; value: ShopEvent & { id?: number }; indexes: { ts: number } };
}

export const DB_NAME = 'edge-recs';
export const DB_VERSION = 1;

/** Limits that keep the on-device log small and recent. */
export interface StoreLimits {
  /** Most events kept; the oldest go first. Default 500. */
  maxEvents: number;
  /** Oldest event kept, in days. Default 90. */
  maxAgeDays: number;
}
export const STORE_DEFAULTS: StoreLimits = { maxEvents: 500, maxAgeDays: 90 };

/** Where the shopper's events live: IndexedDB, or memory when IndexedDB is unavailable (private mode, blocked). */
export interface ProfileStore {
  readonly kind: 'indexeddb' | 'memory';
  add(event: ShopEvent): Promise<void>;
  /** All kept events, oldest first. */
  events(): Promise<ShopEvent[]>;
  clear(): Promise<void>;
  close(): void;
}

/**
 * Opens the profile store. Never rejects: if IndexedDB cannot be opened the profile lives in memory for
 * this page view, so recommendations still work and nothing breaks the merchant's page.
 */
export async function openProfileStore(limits: Partial<StoreLimits> = {}): Promise<ProfileStore> {
  const l = { ...STORE_DEFAULTS, ...limits };
  try {
    if (typeof indexedDB === 'undefined') throw new Error('no IndexedDB');
    const db = await openDB<ProfileDB>(DB_NAME, DB_VERSION, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) database.createObjectStore('events', { keyPath: 'id', autoIncrement: true }).createIndex('ts', 'ts');
      },
      // Another tab wants a newer schema: step aside rather than block its upgrade.
      blocking() {
        db.close();
      },
    });
    return new IdbStore(db, l);
  } catch {
    return new MemoryStore(l);
  }
}

/**
 * A store that never touches IndexedDB: the profile of a shopper who has not consented yet
 * (`data-consent="required"`), kept for this page view only.
 */
export function createMemoryStore(limits: Partial<StoreLimits> = {}): ProfileStore {
  return new MemoryStore({ ...STORE_DEFAULTS, ...limits });
}

class IdbStore implements ProfileStore {
  readonly kind = 'indexeddb';
  constructor(
    private readonly db: IDBPDatabase<ProfileDB>,
    private readonly limits: StoreLimits,
  ) {}

  async add(event: ShopEvent): Promise<void> {
    const tx = this.db.transaction('events', 'readwrite');
    await tx.store.add({ ...event });
    const cutoff = Date.now() - this.limits.maxAgeDays * 86_400_000;
    let cursor = await tx.store.index('ts').openCursor(IDBKeyRange.upperBound(cutoff, true));
    while (cursor) {
      await cursor.delete();
      cursor = await cursor.continue();
    }
    let excess = (await tx.store.count()) - this.limits.maxEvents;
    let oldest = excess > 0 ? await tx.store.openCursor() : null;
    while (oldest && excess-- > 0) {
      await oldest.delete();
      oldest = await oldest.continue();
    }
    await tx.done;
  }

  async events(): Promise<ShopEvent[]> {
    const rows = await this.db.getAllFromIndex('events', 'ts');
    return rows.map(({ id: _id, ...event }) => event);
  }

  async clear(): Promise<void> {
    await this.db.clear('events');
  }

  close(): void {
    this.db.close();
  }
}

class MemoryStore implements ProfileStore {
  readonly kind = 'memory';
  private log: ShopEvent[] = [];
  constructor(private readonly limits: StoreLimits) {}

  async add(event: ShopEvent): Promise<void> {
    const cutoff = Date.now() - this.limits.maxAgeDays * 86_400_000;
    this.log = [...this.log, event].filter((e) => e.ts >= cutoff).sort((a, b) => a.ts - b.ts).slice(-this.limits.maxEvents);
  }

  async events(): Promise<ShopEvent[]> {
    return [...this.log];
  }

  async clear(): Promise<void> {
    this.log = [];
  }

  close(): void {}
}
