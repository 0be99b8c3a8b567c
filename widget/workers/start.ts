/**
 * How the widget starts its Web Workers (the heavy-work worker, `ranking/heavy-work.ts`, and the training
 * worker, `training/run.ts`): one way for both, so the CSP a merchant must allow is the same for each.
 */

/** Set once a worker of this page failed to start: later ones are not tried (each try is one more CSP violation report). */
let refused = false;

/**
 * The bootstrap of a cross-origin worker: imports the worker module by its absolute URL, holding the
 * messages that arrive before it has loaded (the worker's own listener is only added by the import), and
 * turns a failed import into an uncaught error, which the page sees as the worker's `error` event (a
 * rejected promise in a worker would not reach it).
 */
function bootstrapSource(moduleUrl: string, name: string): string {
  return `const held = [];
const hold = (e) => { e.stopImmediatePropagation(); held.push(e.data); };
addEventListener('message', hold);
import(${JSON.stringify(moduleUrl)}).then(() => {
  removeEventListener('message', hold);
  for (const data of held) dispatchEvent(new MessageEvent('message', { data }));
}, (e) => setTimeout(() => { throw new Error(${JSON.stringify(name)} + ' module did not load: ' + e); }));
`;
}

/**
 * Starts a module worker from `url` (resolved against this chunk's URL). A dedicated worker's script must
 * be same-origin with the page, and in the deployment of docs/deployment.md the widget comes from the edge
 * server's origin: then the worker is a module from a `blob:` URL (the page's origin) that imports the
 * worker chunk, a CORS module request that the edge server answers for its configured origins. Throws where
 * the browser refuses synchronously, or where a worker of this page already failed to start (`refuse`); a
 * refusal found while loading (a CSP without `blob:` in `worker-src`, the import blocked or not allowed by
 * CORS) arrives as the worker's `error` event, and the caller then calls `refuse()`. Either way the caller
 * does its work on the main thread. `dispose` frees the blob URL.
 */
export function startWorker(url: string, name: string, pageOrigin: string | undefined = globalThis.location?.origin): { worker: Worker; dispose(): void } {
  if (refused) throw new Error('workers cannot start on this page');
  if (typeof Worker !== 'function') throw new Error('no Worker');
  const absolute = new URL(url, import.meta.url);
  const options: WorkerOptions = { type: 'module', name };
  try {
    if (pageOrigin === undefined || absolute.origin === pageOrigin) return { worker: new Worker(absolute, options), dispose: () => undefined };
    const blobUrl = URL.createObjectURL(new Blob([bootstrapSource(absolute.href, name)], { type: 'text/javascript' }));
    try {
      return { worker: new Worker(blobUrl, options), dispose: () => URL.revokeObjectURL(blobUrl) };
    } catch (e) {
      URL.revokeObjectURL(blobUrl);
      throw e;
    }
  } catch (e) {
    refused = true;
    throw e;
  }
}

/** A worker started by `startWorker` failed to load (its `error` event before it answered): later starts on this page are not tried. */
export function refuse(): void {
  refused = true;
}
