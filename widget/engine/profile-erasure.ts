import { DB_NAME } from '../storage/store.ts';

/**
 * Deletes the widget's IndexedDB database (the event log, its meta, the model and catalog cache): the
 * last step of a withdrawn storage consent. Never rejects. Deleting never creates a database, so this is
 * safe where nothing was ever stored.
 */
export function deleteProfileDatabase(): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      const req = indexedDB.deleteDatabase(DB_NAME);
      req.onsuccess = req.onerror = req.onblocked = () => resolve();
    } catch {
      resolve();
    }
  });
}
