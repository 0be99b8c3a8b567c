/**
 * Crash-safe file writes shared by the Node adapter's stores: a file is replaced by writing a temp file,
 * fsyncing it, renaming it over the old one (atomic on POSIX) and fsyncing the directory, so a reader or
 * a crash sees the old or the new contents whole, never a mix.
 */
import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Makes a rename (or new entry) in `dir` durable. Some platforms cannot fsync a directory; it is best effort there. */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM on Windows: the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

/**
 * Atomically replaces `path` with `data`. The temp file goes in `tmpDir` (default: beside `path`; it
 * must be on the same file system for the rename to be atomic) and is removed when anything fails.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, tmpDir = dirname(path)): Promise<void> {
  const tmp = join(tmpDir, `.${basename(path)}.${process.pid}-${randomUUID()}.tmp`);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}
