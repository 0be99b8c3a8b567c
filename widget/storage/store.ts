import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { parseEvent, type ShopEvent } from '../../core/events.ts';

/**
 * IndexedDB schema of everything the widget keeps on the device. Bump `DB_VERSION` and add a step to
 * `upgrade` to migrate; steps run in order from the version found, so a v1 database keeps its events.
 * - v1: `events`, the shopper's event log.
 * - v2: `meta` (bandit counts, card attribution, the pause switch), `manifests` (the last model manifest
 *   per name with its ETag) and `blobs` (model files by SHA-256: content-addressed, so a new model version
 *   that shares a shard with the old one downloads only what changed).
 * - v3: `catalogs` (the last catalog that parsed, per catalog URL, with its ETag): a returning shopper
 *   still gets cards while the edge server is down for longer than the catalog's HTTP cache lifetime.
 */
interface ProfileDB extends DBSchema {
  events: { key: number; value: ShopEvent & { id?: number }; indexes: { ts: number } };
  meta: { key: string; value: unknown };
  manifests: { key: string; value: CachedManifest };
  blobs: { key: string; value: { bytes: Uint8Array; at: number } };
  catalogs: { key: string; value: CachedCatalog };
}

export const DB_NAME = 'edge-recs';
export const DB_VERSION = 3;
const STORES = ['events', 'meta', 'manifests', 'blobs', 'catalogs'] as const;

/** Limits that keep the on-device log small and recent. */
interface StoreLimits {
  /** Most events kept; the oldest go first. Default 500. */
  maxEvents: number;
  /** Oldest event kept, in days. Default 90. */
  maxAgeDays: number;
}
const STORE_DEFAULTS: StoreLimits = { maxEvents: 500, maxAgeDays: 90 };

/** `openProfileStore` options: the log's limits, and who to tell when another tab changed the log. */
interface StoreOptions extends Partial<StoreLimits> {
  /**
   * Called when another tab of the shop wrote to or erased the event log (announced on a
   * `BroadcastChannel`): a copy of the log kept by the caller is stale from then on.
   */
  onExternalChange?: () => void;
}

/**
 * How long an open may stay blocked by another tab's old connection before the page goes on with memory:
 * the shopper should not wait for a tab they may not even see.
 */
export const BLOCKED_MS = 1500;

interface CachedManifest {
  /** The content ETag of `body` (`core/content-etag.ts`), or `''` where the server's ETag was not one (never sent back). */
  etag: string;
  /** The manifest's bytes as served (its signature covers them). */
  body: string;
}

/** A catalog as served (`GET /v1/catalog`), with its ETag. */
export interface CachedCatalog {
  /** The content ETag of `body` (`core/content-etag.ts`), or `''` where the server's ETag was not one (never sent back). */
  etag: string;
  /** The response body, parsed again (`parseCatalog`) before every use. */
  body: string;
}

/**
 * The download cache: manifests by model name, files by SHA-256, catalogs by URL. Every method swallows its
 * own storage errors.
 */
export interface ModelCache {
  manifest(name: string): Promise<CachedManifest | undefined>;
  putManifest(name: string, manifest: CachedManifest): Promise<void>;
  blob(sha256: string): Promise<Uint8Array | undefined>;
  putBlob(sha256: string, bytes: Uint8Array): Promise<void>;
  /** Drops every file not in `keep` (called after a model loaded, so old versions' files go). */
  retain(keep: ReadonlySet<string>): Promise<void>;
  catalog(url: string): Promise<CachedCatalog | undefined>;
  putCatalog(url: string, catalog: CachedCatalog): Promise<void>;
}

/** Where the shopper's data lives: IndexedDB, or memory when IndexedDB is unavailable (private mode, blocked). */
export interface ProfileStore {
  /** `memory` from the start, or after IndexedDB failed mid-page (another tab upgraded it, it was deleted). */
  readonly kind: 'indexeddb' | 'memory';
  add(event: ShopEvent): Promise<void>;
  /** All kept events, oldest first. */
  events(): Promise<ShopEvent[]>;
  getMeta<T>(key: string): Promise<T | undefined>;
  setMeta(key: string, value: unknown): Promise<void>;
  /** The model cache; absent for memory stores (a cache for one page view saves nothing). */
  readonly cache?: ModelCache;
  /** Erases everything: events, meta, the model and catalog cache. */
  clear(): Promise<void>;
  close(): void;
}

type Db = IDBPDatabase<ProfileDB>;

/** Opens the database, or rejects: blocked for longer than `BLOCKED_MS`, a newer version, no IndexedDB. */
async function openDatabase(onBlocking: () => void): Promise<Db> {
  if (typeof indexedDB === 'undefined') throw new Error('no IndexedDB');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let giveUp: (e: Error) => void = () => undefined;
  const blockedTooLong = new Promise<never>((_, reject) => {
    giveUp = reject;
  });
  blockedTooLong.catch(() => undefined);
  const opening = openDB<ProfileDB>(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) database.createObjectStore('events', { keyPath: 'id', autoIncrement: true }).createIndex('ts', 'ts');
      if (oldVersion < 2) {
        database.createObjectStore('meta');
        database.createObjectStore('manifests');
        database.createObjectStore('blobs');
      }
      if (oldVersion < 3) database.createObjectStore('catalogs');
    },
    // Another tab holds an old connection open and does not step aside.
    blocked() {
      timer ??= setTimeout(() => giveUp(new Error('IndexedDB open blocked by another tab')), BLOCKED_MS);
    },
    // Another tab wants a newer schema (or deletes the database): step aside rather than block it.
    blocking() {
      onBlocking();
    },
    terminated() {
      onBlocking();
    },
  });
  try {
    return await Promise.race([opening, blockedTooLong]);
  } catch (e) {
    // If it opens after all, close it: this page has moved on to memory.
    void opening.then((db) => db.close(), () => undefined);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens the profile store. Never rejects: if IndexedDB cannot be opened the profile lives in memory for
 * this page view, so recommendations still work and nothing breaks the merchant's page.
 */
export async function openProfileStore(options: StoreOptions = {}): Promise<ProfileStore> {
  const { onExternalChange, ...limits } = options;
  const l = { ...STORE_DEFAULTS, ...limits };
  const store = new IdbStore(l, onExternalChange);
  try {
    await store.open();
    return store;
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

const errorName = (e: unknown): string => (e instanceof DOMException || e instanceof Error ? e.name : '');

/**
 * IndexedDB, guarded: a connection closed under us (another tab's upgrade, a deleted database) is reopened
 * once, and where that fails the store carries on in memory with the events it last saw; a full disk
 * (`QuotaExceededError`) first gives up the model cache, which can always be downloaded again, then
 * retries. Other failures (an aborted transaction) reject that one call; the next call tries afresh.
 */
class IdbStore implements ProfileStore {
  private db: Db | undefined;
  private fallback: MemoryStore | undefined;
  /** The event log as last read or written here: answers `events()` while no other tab has written. */
  private mirror: ShopEvent[] = [];
  /** Whether `mirror` is the stored log. Another tab's write (announced on `channel`) makes it stale. */
  private fresh = false;
  private channel: BroadcastChannel | undefined;
  readonly cache: ModelCache;

  constructor(
    private readonly limits: StoreLimits,
    onExternalChange?: () => void,
  ) {
    // Reading the whole log back after every event costs milliseconds on each re-rank; other tabs of the
    // shop announce their writes instead, and only then is the log read again.
    try {
      this.channel = new BroadcastChannel(DB_NAME);
      this.channel.onmessage = () => {
        this.fresh = false;
        onExternalChange?.();
      };
    } catch {
      this.channel = undefined;
    }
    const quiet = async <T>(fn: (db: Db) => Promise<T>): Promise<T | undefined> => {
      try {
        return this.fallback ? undefined : await this.run(fn);
      } catch {
        return undefined;
      }
    };
    this.cache = {
      manifest: (name) => quiet((db) => db.get('manifests', name)),
      putManifest: async (name, m) => void (await quiet((db) => db.put('manifests', m, name))),
      blob: async (sha) => (await quiet((db) => db.get('blobs', sha)))?.bytes,
      putBlob: async (sha, bytes) => void (await quiet((db) => db.put('blobs', { bytes, at: Date.now() }, sha))),
      retain: async (keep) =>
        void (await quiet(async (db) => {
          const tx = db.transaction('blobs', 'readwrite');
          tx.done.catch(() => undefined);
          for (const key of await tx.store.getAllKeys()) if (!keep.has(key)) await tx.store.delete(key);
          await tx.done;
        })),
      catalog: (url) => quiet((db) => db.get('catalogs', url)),
      putCatalog: async (url, c) => void (await quiet((db) => db.put('catalogs', c, url))),
    };
  }

  get kind(): 'indexeddb' | 'memory' {
    return this.fallback ? 'memory' : 'indexeddb';
  }

  async open(): Promise<void> {
    this.db = await openDatabase(() => {
      this.fresh = false;
      this.db?.close();
      this.db = undefined;
    });
  }

  /** Runs `fn` on an open connection, with the recoveries described on the class. */
  private async run<T>(fn: (db: Db) => Promise<T>, retried = false): Promise<T> {
    if (!this.db) await this.open();
    try {
      return await fn(this.db!);
    } catch (e) {
      if (retried) throw e;
      const name = errorName(e);
      if (name === 'InvalidStateError') {
        this.db = undefined;
        this.fresh = false;
        return this.run(fn, true);
      }
      if (name === 'QuotaExceededError') {
        await this.evictCache();
        return this.run(fn, true);
      }
      throw e;
    }
  }

  /** `run`, or the memory fallback once IndexedDB cannot be reopened. */
  private async guarded<T>(fn: (db: Db) => Promise<T>, memory: (m: MemoryStore) => Promise<T>): Promise<T> {
    if (this.fallback) return memory(this.fallback);
    try {
      return await this.run(fn);
    } catch (e) {
      if (this.db) throw e;
      // The connection is gone and cannot be reopened (a newer schema in another tab, storage revoked).
      this.fallback = new MemoryStore(this.limits, this.mirror);
      return memory(this.fallback);
    }
  }

  private async evictCache(): Promise<void> {
    try {
      const db = this.db;
      if (!db) return;
      const tx = db.transaction(['blobs', 'manifests'], 'readwrite');
      await Promise.all([tx.objectStore('blobs').clear(), tx.objectStore('manifests').clear(), tx.done]);
    } catch {
      // Nothing more to free.
    }
  }

  add(event: ShopEvent): Promise<void> {
    return this.guarded(
      async (db) => {
        const tx = db.transaction('events', 'readwrite');
        // A failed request also rejects `tx.done`: handled here, awaited below.
        tx.done.catch(() => undefined);
        const cutoff = Date.now() - this.limits.maxAgeDays * 86_400_000;
        // With the log known (`fresh`), most adds need no trimming: skip the index walk and the count,
        // which cost more than the add itself. Otherwise (first add, or another tab wrote) check the store.
        const known = this.fresh && this.mirror.length < this.limits.maxEvents && (this.mirror[0]?.ts ?? Infinity) >= cutoff && event.ts >= cutoff;
        const adding = tx.store.add({ ...event });
        if (!known) {
          await adding;
          let cursor = await tx.store.index('ts').openCursor(IDBKeyRange.upperBound(cutoff, true));
          while (cursor) {
            await cursor.delete();
            cursor = await cursor.continue();
          }
          let excess = (await tx.store.count()) - this.limits.maxEvents;
          let oldest = excess > 0 ? await tx.store.index('ts').openCursor() : null;
          while (oldest && excess-- > 0) {
            await oldest.delete();
            oldest = await oldest.continue();
          }
        }
        await Promise.all([adding, tx.done]);
        this.mirror = appendEvent(this.mirror, event, this.limits);
        this.channel?.postMessage('changed');
      },
      (m) => m.add(event),
    );
  }

  events(): Promise<ShopEvent[]> {
    return this.guarded(
      async (db) => {
        if (this.fresh) return [...this.mirror];
        const rows = await db.getAllFromIndex('events', 'ts');
        this.mirror = rows.flatMap(storedEvent);
        this.fresh = true;
        return [...this.mirror];
      },
      (m) => m.events(),
    );
  }

  getMeta<T>(key: string): Promise<T | undefined> {
    return this.guarded(
      async (db) => (await db.get('meta', key)) as T | undefined,
      (m) => m.getMeta<T>(key),
    );
  }

  setMeta(key: string, value: unknown): Promise<void> {
    return this.guarded(
      async (db) => void (await db.put('meta', value, key)),
      (m) => m.setMeta(key, value),
    );
  }

  clear(): Promise<void> {
    return this.guarded(
      async (db) => {
        const tx = db.transaction([...STORES], 'readwrite');
        await Promise.all([...STORES.map((s) => tx.objectStore(s).clear()), tx.done]);
        this.mirror = [];
        this.fresh = true;
        this.channel?.postMessage('changed');
      },
      (m) => m.clear(),
    );
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
    this.channel?.close();
    this.channel = undefined;
  }
}

/** The log within its limits: newest `maxEvents`, none older than `maxAgeDays`, oldest first. */
function trim(log: readonly ShopEvent[], limits: StoreLimits): ShopEvent[] {
  const cutoff = Date.now() - limits.maxAgeDays * 86_400_000;
  return log
    .filter((e) => e.ts >= cutoff)
    .sort((a, b) => a.ts - b.ts)
    .slice(-limits.maxEvents);
}

/**
 * A stored record as an event, or nothing: the database outlives this code and is shared with every
 * script of the origin, so a record another script, an old schema or a disk error left is dropped here
 * rather than break every ranking of every later visit.
 */
function storedEvent(row: unknown): ShopEvent[] {
  if (typeof row !== 'object' || row === null) return [];
  const { id: _id, ...raw } = row as Record<string, unknown>;
  if (typeof raw.ts !== 'number' || !Number.isFinite(raw.ts)) return [];
  try {
    return [parseEvent(raw.name, raw, raw.ts)];
  } catch {
    return [];
  }
}

/**
 * `log` (oldest first, within `limits`) with `event` added, as the store keeps it: a new array, the
 * common case (a new event, nothing to drop) without sorting or filtering the whole log.
 */
export function appendEvent(log: readonly ShopEvent[], event: ShopEvent, limits: StoreLimits = STORE_DEFAULTS): ShopEvent[] {
  const cutoff = Date.now() - limits.maxAgeDays * 86_400_000;
  const inOrder = log.length === 0 || log[log.length - 1]!.ts <= event.ts;
  if (!inOrder || log.length >= limits.maxEvents || (log.length > 0 && log[0]!.ts < cutoff) || event.ts < cutoff) return trim([...log, event], limits);
  const next = log.slice();
  next.push(event);
  return next;
}

class MemoryStore implements ProfileStore {
  readonly kind = 'memory';
  private log: ShopEvent[];
  private meta = new Map<string, unknown>();
  constructor(
    private readonly limits: StoreLimits,
    seed: readonly ShopEvent[] = [],
  ) {
    this.log = trim(seed, limits);
  }

  async add(event: ShopEvent): Promise<void> {
    this.log = appendEvent(this.log, event, this.limits);
  }

  async events(): Promise<ShopEvent[]> {
    return [...this.log];
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.meta.get(key) as T | undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    this.meta.set(key, structuredClone(value));
  }

  async clear(): Promise<void> {
    this.log = [];
    this.meta.clear();
  }

  close(): void {}
}
