/**
 * The heavy-work worker (a module Web Worker, started by `worker-work.ts`): catalog parsing, model
 * verification and decoding, tfjs (WASM; WebGL on an OffscreenCanvas or WebGPU where the worker has
 * them) and inference, all by the same `mainThreadWork` the page would otherwise run. The page sends
 * `HeavyRequest`s and gets `HeavyReply`s (`heavy-protocol.ts`); with storage consent the caches are
 * this worker's own connection to the widget's IndexedDB database.
 */
import { moneyTexts } from '../copy/money.ts';
import { ContractError } from '../../core/errors.ts';
import type { Runtime } from '../runtime/index.ts';
import { openProfileStore, type ModelCache } from '../storage/store.ts';
import type { HeavyReply, HeavyRequest, HeavyValue, StartedFacts, WireError } from './heavy-protocol.ts';
import { mainThreadWork } from './heavy-work.ts';

// The DOM lib types `postMessage` as Window's; in a worker the second argument is the transfer list.
const post = (reply: HeavyReply): void => (self as unknown as Worker).postMessage(reply);

const work = mainThreadWork();
let cache: Promise<ModelCache | undefined> | undefined;
let runtime: Runtime | undefined;
const calls = new Map<number, AbortController>();

/** The worker's own IndexedDB connection, opened on first use; none where IndexedDB cannot be opened (the page still ranks). */
const openCache = (): Promise<ModelCache | undefined> => (cache ??= openProfileStore().then((store) => store.cache));

function wire(e: unknown): WireError {
  if (e instanceof ContractError) return { name: e.name, message: e.message, code: e.code };
  if (e instanceof Error || e instanceof DOMException) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

async function answer(request: Exclude<HeavyRequest, { op: 'preload' } | { op: 'abort' }>, signal: AbortSignal): Promise<HeavyValue> {
  switch (request.op) {
    case 'catalog': {
      const loaded = await work.loadCatalog({
        server: request.server,
        trusted: request.trusted,
        requireSigned: request.requireSigned,
        cache: request.cache ? await openCache() : undefined,
        signal,
      });
      // The ICU set-up of the first price formatter costs this thread, not the page's (`copy/money.ts`).
      return request.locale === undefined ? loaded : { ...loaded, money: moneyTexts(loaded.catalog, request.locale) };
    }
    case 'model':
      return work.loadModel({
        server: request.server,
        model: request.model,
        trusted: request.trusted,
        cache: request.cache ? await openCache() : undefined,
        ...(request.canaryBucket === undefined ? {} : { canaryBucket: request.canaryBucket }),
        signal,
      });
    case 'start': {
      runtime = await work.startModel({
        ...(request.backend && { backend: request.backend }),
        ...(request.hardware && { hardware: request.hardware }),
        assetBase: request.assetBase,
        onHardware: (hardware) => post({ event: 'hardware', hardware }),
        onBackendChange: (backend, reason) => post({ event: 'backend', backend, reason }),
        signal,
      });
      const started: StartedFacts = { backend: runtime.backend, modelVersion: runtime.modelVersion, loadStats: runtime.loadStats, newItems: [...runtime.newItems] };
      return started;
    }
    case 'recommend':
      if (!runtime) throw new Error('no model is running');
      return runtime.recommend(request.history, request.k, new Set(request.exclude));
  }
}

addEventListener('message', (event: MessageEvent<HeavyRequest>) => {
  const request = event.data;
  if (request.op === 'preload') return work.preload();
  if (request.op === 'abort') return calls.get(request.id)?.abort(new DOMException('cancelled', 'AbortError'));
  const controller = new AbortController();
  calls.set(request.id, controller);
  answer(request, controller.signal).then(
    (value) => post({ id: request.id, ok: true, value }),
    (e: unknown) => post({ id: request.id, ok: false, error: wire(e) }),
  ).finally(() => calls.delete(request.id));
});

post({ event: 'ready' });
