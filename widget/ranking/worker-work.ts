/**
 * `HeavyWork` in a dedicated Web Worker (`heavy-worker.ts`), started the way the training worker is
 * (`workers/start.ts`: a `blob:` bootstrap where the widget comes from another origin than the page). The
 * page keeps only what it renders with; each call is a message, the `Runtime` the engine gets is a proxy
 * whose `recommend` is one, and `basis` is answered here from the model's facts. Where no worker can start
 * (a CSP without `blob:` or the widget's origin in `worker-src`, no `Worker`, a worker module that does not
 * load), the page does the work itself (`mainThreadWork`, yielding to the page between steps).
 */
import { ContractError } from '../../core/errors.ts';
import { modelBasis } from '../runtime/basis.ts';
import type { Recommended, Runtime } from '../runtime/index.ts';
import { yieldToPage } from '../runtime/yield.ts';
import { refuse, startWorker } from '../workers/start.ts';
import type { HeavyReply, HeavyRequest, HeavyValue, StartedFacts, WireError } from './heavy-protocol.ts';
import type { HeavyWork, LoadedCatalog, ModelFacts, ModelStart, WorkPlace } from './heavy-work.ts';
// The built worker's URL (a content-hashed asset beside the chunks), resolved against its chunk's URL.
import heavyWorkerUrl from './heavy-worker.ts?worker&url';

/** How long the worker's module may take to load before the page does the work itself. */
const WORKER_BOOT_TIMEOUT_MS = 10_000;

/** A `HeavyRequest` before `call` numbers it. */
type Call = HeavyRequest extends infer R ? (R extends { id: number; op: 'abort' } ? never : R extends { id: number } ? Omit<R, 'id'> : never) : never;

function rebuild(e: WireError): unknown {
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return new DOMException(e.message, e.name);
  if (e.code !== undefined) return new ContractError(e.code, e.message);
  const error = new Error(e.message);
  error.name = e.name;
  return error;
}

const disposedError = (): DOMException => new DOMException('disposed', 'AbortError');

/**
 * The heavy work in a worker, else on the page (see the module). `url` is the worker module's (tests);
 * `place` says which once the worker has answered or failed to start.
 */
export function workerWork(options: { url?: string } = {}): HeavyWork {
  const pending = new Map<number, { resolve(value: HeavyValue): void; reject(error: unknown): void }>();
  let nextId = 1;
  let worker: Worker | undefined;
  /** The worker while its module loads: ended at once if disposed meanwhile. */
  let booting: Worker | undefined;
  let freeUrl: () => void = () => undefined;
  let local: Promise<HeavyWork> | undefined;
  let disposed = false;
  let facts: Promise<ModelFacts> | undefined;
  let callbacks: Pick<ModelStart, 'onHardware' | 'onBackendChange'> = {};
  let backend: StartedFacts['backend'] | undefined;

  const failAll = (error: unknown): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  const onMessage = (reply: HeavyReply): void => {
    if ('event' in reply) {
      if (reply.event === 'hardware') callbacks.onHardware?.(reply.hardware);
      else if (reply.event === 'backend') {
        backend = reply.backend;
        callbacks.onBackendChange?.(reply.backend, reply.reason);
      }
      return;
    }
    const call = pending.get(reply.id);
    if (!call) return;
    pending.delete(reply.id);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(rebuild(reply.error));
  };

  // Started in a task of its own (creating a worker is a few milliseconds of the page's thread), after
  // the engine's start that asked for it.
  const place: Promise<WorkPlace> = yieldToPage().then(() => new Promise((resolve) => {
    // Disposed before it started: none is started, and every call rejects as disposed (`call`).
    if (disposed) return resolve('worker');
    let started: ReturnType<typeof startWorker>;
    try {
      started = startWorker(options.url ?? heavyWorkerUrl, 'edge-recs-heavy-work');
    } catch {
      resolve('main');
      return;
    }
    const w = (booting = started.worker);
    let ready = false;
    const failed = (): void => {
      clearTimeout(timer);
      w.terminate();
      started.dispose();
      refuse();
      resolve('main');
    };
    const timer = setTimeout(failed, WORKER_BOOT_TIMEOUT_MS);
    w.addEventListener('error', (e) => {
      // Handled here: not cancelled, the worker's error would be reported on the page as uncaught.
      e.preventDefault();
      if (!ready) return failed();
      // The worker broke after it started: what it was doing fails as any load failure does.
      failAll(new Error(`heavy-work worker failed: ${e.message || 'unknown error'}`));
    });
    w.addEventListener('message', (e: MessageEvent<HeavyReply>) => {
      if (ready) return onMessage(e.data);
      if (!('event' in e.data) || e.data.event !== 'ready') return;
      ready = true;
      booting = undefined;
      clearTimeout(timer);
      worker = w;
      freeUrl = started.dispose;
      if (disposed) dispose();
      resolve('worker');
    });
  }));

  /**
   * The page's own heavy work, once no worker could start: a chunk of its own (with the catalog parser,
   * the model's verification and decoding), which a page whose worker runs never fetches or compiles.
   */
  const onPage = (): Promise<HeavyWork> =>
    (local ??= import('./heavy-work.ts').then(({ mainThreadWork }) => {
      const work = mainThreadWork({ yielding: true });
      if (disposed) work.dispose();
      return work;
    }));

  function call(request: Call, signal?: AbortSignal): Promise<HeavyValue> {
    return new Promise((resolve, reject) => {
      if (disposed || !worker) return reject(disposedError());
      if (signal?.aborted) return reject(signal.reason);
      const id = nextId++;
      const target = worker;
      const abort = (): void => {
        pending.delete(id);
        target.postMessage({ op: 'abort', id } satisfies HeavyRequest);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', abort);
      pending.set(id, {
        resolve: (value) => {
          done();
          resolve(value);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      target.postMessage({ ...request, id } as HeavyRequest);
    });
  }

  function dispose(): void {
    disposed = true;
    void local?.then((work) => work.dispose(), () => undefined);
    booting?.terminate();
    worker?.terminate();
    worker = undefined;
    freeUrl();
    freeUrl = () => undefined;
    failAll(disposedError());
  }

  return {
    place,
    preload() {
      void place.then((where) => {
        if (disposed) return;
        if (where === 'main') void onPage().then((work) => work.preload(), () => undefined);
        else worker?.postMessage({ op: 'preload' } satisfies HeavyRequest);
      });
    },
    async loadCatalog(source) {
      if ((await place) === 'main') return (await onPage()).loadCatalog(source);
      const { server, trusted = [], requireSigned = false, cache, signal, locale } = source;
      return (await call({ op: 'catalog', server, trusted, requireSigned, cache: cache !== undefined, ...(locale !== undefined && { locale }) }, signal)) as LoadedCatalog;
    },
    loadModel(source) {
      facts = place.then(async (where) => {
        if (where === 'main') return (await onPage()).loadModel(source);
        const { server, model, trusted, cache, canaryBucket, signal } = source;
        return (await call({ op: 'model', server, model, trusted, cache: cache !== undefined, ...(canaryBucket === undefined ? {} : { canaryBucket }) }, signal)) as ModelFacts;
      });
      return facts;
    },
    async startModel(options) {
      if ((await place) === 'main') return (await onPage()).startModel(options);
      // After `loadModel`, as on the page: its facts answer `basis`.
      const model = await facts!;
      callbacks = { onHardware: options.onHardware, onBackendChange: options.onBackendChange };
      const { backend: b, assetBase, hardware, signal } = options;
      const started = (await call({ op: 'start', assetBase, ...(b && { backend: b }), ...(hardware && { hardware }) }, signal)) as StartedFacts;
      backend = started.backend;
      // The products the model ranks from their features count as known: it reads them in a history too.
      const known = new Set([...model.itemIds, ...started.newItems]);
      const runtime: Runtime = {
        get backend() {
          return backend!;
        },
        modelVersion: started.modelVersion,
        loadStats: started.loadStats,
        newItems: started.newItems,
        recommend: async (history, k, exclude) => (await call({ op: 'recommend', history: [...history], k, exclude: [...exclude] })) as Recommended[],
        basis: (history) => modelBasis(history, known, model.maxLen),
        // The model's tensors live in the worker, which `HeavyWork.dispose` ends.
        dispose: () => undefined,
      };
      return runtime;
    },
    dispose,
  };
}
