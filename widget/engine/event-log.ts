/**
 * The shopper's event log as the engine reads and writes it: the profile store (IndexedDB with storage
 * consent, else memory), the queue that serializes every access to it, and the copy of the log kept in
 * memory so that a re-rank never waits for IndexedDB.
 */
import type { ShopEvent } from '../../core/events.ts';
import { appendEvent, createMemoryStore, openProfileStore, type ProfileStore } from '../storage/store.ts';

export class EventLog {
  private store: Promise<ProfileStore>;
  /** Serializes store access, so an event is stored before a later read and a consent switch sees every event. */
  private ops: Promise<unknown> = Promise.resolve();
  /**
   * The event log as this page knows it, oldest first: what ranking reads. An event is added here as soon
   * as it is validated and written to the store in the background (through `serial`, so the write still
   * happens in order, and a failed one is reported). `undefined` until the log has been read, and again
   * once another tab changed the stored log or a write failed: the next read then comes from the store,
   * after every write queued before it.
   */
  private log: ShopEvent[] | undefined;
  /** Bumped whenever `log` is invalidated, so a read that started before cannot install a stale copy. */
  private generation = 0;
  /** The log as the store held it when this page started, read first (`undefined`: it could not be read). */
  readonly restored: Promise<void>;

  /**
   * `persistent`: the log is kept in IndexedDB (storage consent), else in memory. `onExternalChange`:
   * another tab changed the stored log (the copy in memory is dropped before it is called).
   */
  constructor(
    persistent: boolean,
    private readonly onExternalChange: () => void,
    /**
     * Awaited before an event's write: the re-rank the event started. Writing to IndexedDB takes the
     * browser's storage thread and the page's thread for its callbacks; on a device with few cores a write
     * beside the model's forward pass (in its worker) and the row's render slows both.
     */
    private readonly beforeWrite: () => Promise<void> = () => Promise.resolve(),
  ) {
    // Before consent nothing may touch IndexedDB, not even to create the database.
    this.store = persistent ? this.openDurable() : Promise.resolve(createMemoryStore());
    // The generation is taken now: an event taken in before the read runs is queued after it, so the
    // log that read returns would lack it. Unreadable: left unknown, so the first re-rank tries again.
    const generation = this.generation;
    this.restored = this.serial((s) => s.events().catch(() => undefined)).then((events) => {
      if (events && generation === this.generation) this.log = events;
    });
  }

  /** The store now in use (after a consent switch, the new one). */
  current(): Promise<ProfileStore> {
    return this.store;
  }

  /** Runs `fn` on the store after every access queued before it. */
  serial<T>(fn: (store: ProfileStore) => Promise<T>): Promise<T> {
    const run = this.ops.then(async () => fn(await this.store));
    this.ops = run.catch(() => undefined);
    return run;
  }

  /** Within `serial`: every later access goes to `store`. */
  use(store: ProfileStore): void {
    this.store = Promise.resolve(store);
  }

  /**
   * Adds `event` to the log in memory now and to the store in the background. Rejects when the store
   * failed to keep it; memory then no longer claims to know the log.
   */
  add(event: ShopEvent): Promise<void> {
    // Where the log is not in memory, the next read is queued behind this write and so sees the event too;
    // the re-rank then waits for that read, so the write must not wait for the re-rank.
    const known = this.log !== undefined;
    if (this.log) this.log = appendEvent(this.log, event);
    else this.generation++;
    return this.serial(async (store) => {
      if (known) await this.beforeWrite();
      return store.add(event);
    }).catch((e: unknown) => {
      // Memory must not drift from the store: the next read returns what was really kept.
      this.invalidate();
      throw e;
    });
  }

  /** The log, from memory where it is known, else from the store (after every queued write), then kept. */
  read(): Promise<ShopEvent[]> {
    if (this.log) return Promise.resolve(this.log);
    const generation = this.generation;
    return this.serial((store) => store.events()).then((events) => {
      if (generation === this.generation) this.log = events;
      return events;
    });
  }

  /** Stored events, oldest first, as the store has them. */
  stored(): Promise<ShopEvent[]> {
    return this.serial((store) => store.events());
  }

  /** The log is empty from now on (the caller clears the store through `serial`). */
  empty(): void {
    this.log = [];
    this.generation++;
  }

  /** Memory no longer knows the log: the next read comes from the store. */
  invalidate(): void {
    this.log = undefined;
    this.generation++;
  }

  /** IndexedDB, telling this log when another tab changed it, so it is read again. */
  openDurable(): Promise<ProfileStore> {
    return openProfileStore({
      onExternalChange: () => {
        this.invalidate();
        this.onExternalChange();
      },
    });
  }

  /** Closes the store (its IndexedDB connection and cross-tab channel) once every queued access is done. */
  close(): Promise<void> {
    return this.serial(async (store) => store.close()).catch(() => undefined);
  }
}
