/**
 * Catalog uploads parsed in a worker thread (`AppOptions.parseCatalog`), so a 100k-product feed (about
 * 65 MB, seconds of parsing) does not pause `/healthz`, the widget's reads and every other request on the
 * event loop. The body's bytes are moved to the worker and the stored JSON moved back (transferred, not
 * copied); the main thread never builds the products. One worker, started on the first upload and kept
 * for the next; uploads queue behind each other (they are rare, admin-only and each replaces the last).
 */
import { Worker } from 'node:worker_threads';
import { ContractError } from '../../../core/errors.ts';
import type { CatalogParseInput, CatalogParser, ParsedCatalog } from '../../catalog/parse.ts';
import { ApiError } from '../../middleware/errors.ts';

export interface WorkerCatalogParserOptions {
  /**
   * Heap limit of the worker, MB. Default 1024: a 100k-product feed at the 64 MiB byte limit needs about
   * 600 MB while it is parsed. A feed that needs more is refused with 413 and only the worker stops;
   * the server's own heap is untouched.
   * @example { maxMemoryMb: 2048 }
   */
  maxMemoryMb?: number;
}

export interface WorkerCatalogParser extends CatalogParser {
  /** Stops the worker (a later upload starts a new one). */
  close(): Promise<void>;
}

interface Reply {
  id: number;
  parsed?: ParsedCatalog;
  refused?: { code: string; message: string };
  failed?: string;
}

/**
 * The Node adapter's catalog parser: `createApp({ parseCatalog: workerCatalogParser(), ... })`.
 * @example const parseCatalog = workerCatalogParser({ maxMemoryMb: 2048 });
 */
export function workerCatalogParser(options: WorkerCatalogParserOptions = {}): WorkerCatalogParser {
  const maxMemoryMb = options.maxMemoryMb ?? 1024;
  let worker: Worker | undefined;
  let next = 0;
  const pending = new Map<number, { resolve: (p: ParsedCatalog) => void; reject: (e: unknown) => void }>();

  const start = (): Worker => {
    const w = new Worker(new URL('./catalog-worker.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb } });
    // An idle parser does not keep the process alive.
    w.unref();
    w.on('message', (reply: Reply) => {
      const call = pending.get(reply.id);
      if (!call) return;
      pending.delete(reply.id);
      if (reply.parsed) call.resolve(reply.parsed);
      else if (reply.refused) call.reject(new ContractError(reply.refused.code, reply.refused.message));
      else call.reject(new Error(`catalog worker: ${reply.failed}`));
    });
    const stopped = (err: unknown): void => {
      if (worker === w) worker = undefined;
      const outOfMemory = (err as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      for (const call of pending.values()) {
        call.reject(
          outOfMemory
            ? new ApiError(413, 'catalog_too_large', `parsing this catalog needs more than ${maxMemoryMb} MB; split the catalog`)
            : new Error(`catalog worker stopped: ${err instanceof Error ? err.message : String(err)}`),
        );
      }
      pending.clear();
    };
    w.on('error', stopped);
    w.on('exit', (code) => stopped(new Error(`exit code ${code}`)));
    return w;
  };

  const parse = (input: CatalogParseInput): Promise<ParsedCatalog> =>
    new Promise<ParsedCatalog>((resolve, reject) => {
      worker ??= start();
      const id = next++;
      pending.set(id, { resolve, reject });
      // While a parse is waiting the worker keeps the process alive, as an inline parse would.
      worker.ref();
      const body = input.body.byteOffset === 0 && input.body.byteLength === input.body.buffer.byteLength ? input.body : input.body.slice();
      worker.postMessage({ id, input: { ...input, body } }, [body.buffer as ArrayBuffer]);
    }).finally(() => {
      if (pending.size === 0) worker?.unref();
    });

  return Object.assign(parse, {
    async close() {
      const w = worker;
      worker = undefined;
      await w?.terminate();
    },
  });
}
