import type { Catalog } from '../../core/catalog.ts';
import { SasRec, type ItemTableOptions } from '../../core/model/sasrec.ts';
import type { BackendName } from '../loader/backends.ts';
import type { ModelCache } from '../storage/store.ts';
import { modelBasis } from './basis.ts';
import { contentItems } from './content-items.ts';
import { backendOrder, probeHardware, startBackend, watchDeviceLoss, type Hardware } from './backend.ts';
import { fetchModel, type FetchedModel, type LoadStats, type ModelSource } from './model.ts';

export type { LoadStats } from './model.ts';
export type { Hardware } from './backend.ts';

/** The lazily loaded half of the widget: tfjs, one backend and the model. */
export interface Runtime {
  /** The backend running now: it changes when a GPU device is lost. */
  readonly backend: BackendName;
  readonly modelVersion: string;
  /** Where the model's bytes came from on this load. */
  readonly loadStats: LoadStats;
  /**
   * Top `k` catalog ids after `history` (catalog ids, oldest first), never one in `exclude`. `fromContent`
   * marks an item the model has no id row for (new in the catalog, or held out of training): it was ranked
   * from its content features alone, so nothing shoppers did with it is known (copy says only content facts).
   */
  recommend(history: readonly string[], k: number, exclude: ReadonlySet<string>): Promise<Recommended[]>;
  /**
   * Catalog products the model has no row for that it ranks and reads from their content features (a model
   * with `numFeatures`; `content-items.ts`), in catalog order; none for an id-only model.
   */
  readonly newItems: readonly string[];
  /**
   * What a ranking after `history` really reads: its items the model knows (by an id row, or by content
   * features: `newItems`), the newest `maxLen` of them, oldest first. A product the model has no vector for
   * is not among them, so no copy may name it as a reason.
   */
  basis(history: readonly string[]): string[];
  dispose(): void;
}

/** One item of a ranking: its catalog id, its score, and whether it was ranked from its content alone. */
export interface Recommended {
  id: string;
  score: number;
  fromContent?: true;
}

export interface RuntimeOptions extends ModelSource {
  /** Force this backend first (`data-backend`); else the best available. */
  backend?: BackendName;
  assetBase: string;
  cache?: ModelCache;
  /**
   * Called after the runtime moved to another backend because the GPU device was lost; the caller
   * re-ranks. The runtime recovers by itself: this is a notification.
   */
  onBackendChange?: (backend: BackendName, reason: string) => void;
  /**
   * What the GPU probes found on an earlier visit (kept on the device): used instead of probing before the
   * backend starts, which keeps the probes off a repeat visit's path to model-ranked cards. Probes older
   * than `HARDWARE_MAX_AGE_MS` run again once the model is ready, so a new GPU is picked up on a later visit.
   */
  hardware?: Hardware;
  /** The model, already being fetched by the caller (`fetchModel`); else `startRuntime` fetches it. */
  artifact?: Promise<FetchedModel>;
  /** Called with the result whenever the probes ran, for the caller to keep. */
  onHardware?: (hardware: Hardware) => void;
  /**
   * The shop's catalog, being loaded by the caller: a model with content features also ranks the products
   * it has no row for, from their features (`content-items.ts`). Awaited only for such a model; a catalog
   * that fails to load leaves it ranking its own items. None: its own items only.
   */
  catalog?: Promise<Pick<Catalog, 'products'> | undefined>;
}

/**
 * How long a model with content features waits for the catalog before it starts without the catalog's new
 * products: a catalog that never answers must not keep the model's own items from being ranked. The
 * catalog is smaller than the model and fetched beside it, so it is normally there first.
 */
const CATALOG_WAIT_MS = 10_000;

/** The catalog once loaded; undefined where it failed or took longer than `ms`. */
async function catalogWithin<T>(catalog: Promise<T | undefined> | undefined, ms: number): Promise<T | undefined> {
  if (!catalog) return undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([catalog.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long a device's probe result is trusted before it is checked again (after load, off the critical path). */
export const HARDWARE_MAX_AGE_MS = 86_400_000;

/**
 * Starts tfjs on the best backend, loads and verifies the model, warms it up. When the GPU device is lost
 * (WebGPU `device.lost`, WebGL `webglcontextlost`) or a GPU call fails, it moves to the next backend of
 * the order, rebuilds the model there from the verified weights it kept, and answers the pending call
 * from the new backend: recommendations continue with no reload and no new download.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  // Backend start (GPU probes, WASM compile) and the model's bytes (network or cache, signature, SHA-256)
  // need nothing from each other: overlap them.
  const starting = (async () => {
    let hardware = options.backend ? undefined : options.hardware;
    if (!options.backend && !hardware) {
      hardware = await probeHardware();
      options.onHardware?.(hardware);
    }
    const order = backendOrder(options.backend, hardware);
    const name = await startBackend({ order, assetBase: options.assetBase });
    return { order, name };
  })();
  const fetching = options.artifact ?? fetchModel(options);
  // Neither rejection may go unhandled while the other is awaited.
  starting.catch(() => undefined);
  fetching.catch(() => undefined);
  const { order: remaining, name: started } = await starting;
  let backend = started;
  remaining.splice(0, remaining.indexOf(backend) + 1);
  const artifact: FetchedModel = await fetching;
  await options.pause?.();
  // Cancelled while the backend started: the weights are never decoded into tensors.
  options.signal?.throwIfAborted();
  const { config } = artifact.manifest;
  // A model with content features ranks the catalog's new products too: the catalog is waited for here,
  // once, since the items' features decide the table the model is built with.
  const content = artifact.features
    ? contentItems({ itemIds: artifact.itemIds, features: artifact.features, ...(artifact.coldItems && { coldItems: artifact.coldItems }) }, await catalogWithin(options.catalog, CATALOG_WAIT_MS))
    : undefined;
  options.signal?.throwIfAborted();
  const ids = content?.ids ?? artifact.itemIds;
  const index = new Map(ids.map((id, i) => [id, i + 1]));
  const fromContent = content?.fromContent ?? new Set<string>();
  const tableOptions: ItemTableOptions = content ? { features: content.features, withoutId: content.withoutId } : {};
  let model = SasRec.fromWeights(config, artifact.weights, tableOptions);
  let lost: string | undefined;
  let switching: Promise<void> | undefined;

  /** Moves to the next backend that starts and rebuilds the model there. */
  const fallBack = (reason: string): Promise<void> =>
    (switching ??= (async () => {
      try {
        model.dispose();
      } catch {
        // Tensors on a lost device may refuse disposal; they go with the backend.
      }
      const next = await startBackend({ order: remaining, assetBase: options.assetBase });
      remaining.splice(0, remaining.indexOf(next) + 1);
      backend = next;
      model = SasRec.fromWeights(config, artifact.weights, tableOptions);
      lost = undefined;
      watchDeviceLoss(backend, onLost);
      options.onBackendChange?.(backend, reason);
    })().finally(() => {
      switching = undefined;
    }));

  // Recover at once rather than on the next call: the caller re-ranks on `onBackendChange`, so the cards
  // a lost GPU may have left stale are replaced without waiting for the shopper's next event.
  const onLost = (reason: string): void => {
    lost ??= reason;
    void fallBack(reason).catch(() => undefined);
  };
  watchDeviceLoss(backend, onLost);

  const score = async (history: readonly string[], k: number, exclude: ReadonlySet<string>) => {
    const known = history.map((id) => index.get(id)).filter((i): i is number => i !== undefined);
    const excluded = [...exclude].map((id) => index.get(id)).filter((i): i is number => i !== undefined);
    const top = await model.recommend(known, k, excluded);
    return top.map((s): Recommended => {
      const id = ids[s.index - 1]!;
      return fromContent.has(id) ? { id, score: s.score, fromContent: true } : { id, score: s.score };
    });
  };

  const runtime: Runtime = {
    get backend() {
      return backend;
    },
    modelVersion: artifact.manifest.version,
    loadStats: artifact.stats,
    newItems: content?.newItems ?? [],
    async recommend(history, k, exclude) {
      if (switching) await switching;
      if (lost) await fallBack(lost);
      try {
        return await score(history, k, exclude);
      } catch (e) {
        // A GPU backend that fails mid-call (the loss event may come after the failed call) gets the
        // same treatment as a reported loss; WASM and CPU errors are real errors.
        if (backend !== 'webgpu' && backend !== 'webgl') throw e;
        await fallBack(lost ?? `${backend} failed: ${String(e)}`);
        return score(history, k, exclude);
      }
    },
    basis(history) {
      return modelBasis(history, index, config.maxLen);
    },
    dispose() {
      model.dispose();
    },
  };
  // Warm up (shader compilation, WASM page-in) now rather than on the shopper's first event.
  try {
    await options.pause?.();
    await runtime.recommend([], 1, new Set());
    // Cancelled while it warmed up: nobody will ever dispose of it but here.
    options.signal?.throwIfAborted();
  } catch (e) {
    runtime.dispose();
    throw e;
  }
  const kept = options.hardware;
  if (!options.backend && kept && !(Date.now() - kept.at < HARDWARE_MAX_AGE_MS)) {
    // Stale: probe again once the page is idle. The result serves the next visit; this one keeps its backend.
    const later = (): void => void probeHardware().then((h) => options.onHardware?.(h), () => undefined);
    if (typeof requestIdleCallback === 'function') requestIdleCallback(later, { timeout: 10_000 });
    else setTimeout(later, 1000);
  }
  return runtime;
}
