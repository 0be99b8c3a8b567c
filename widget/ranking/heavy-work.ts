/**
 * The widget's heavy work behind one narrow interface: fetching, verifying and parsing the catalog;
 * fetching, verifying and decoding the model; starting tfjs on a backend; inference. What crosses it is
 * plain data, an `AbortSignal` and two notifications, so it runs in a Web Worker without the engine
 * changing: `workerWork` (`worker-work.ts`) runs `mainThreadWork` inside a dedicated worker
 * (`heavy-worker.ts`), which opens its own IndexedDB cache, and falls back to `mainThreadWork` on the
 * page's thread, yielding to the page between steps, where no worker can start. The catalog and model
 * chunks it needs load lazily, as before.
 */
import type { Catalog } from '../../core/catalog.ts';
import type { NextSteps } from '../../core/artifact/next-steps.ts';
import type { BackendName } from '../loader/backends.ts';
import type { MoneyTexts } from '../copy/money.ts';
import { yieldToPage } from '../runtime/yield.ts';
import { fetchCatalog, type CatalogLoad, type CatalogSource } from './catalog.ts';
import type { Hardware, Runtime } from '../runtime/index.ts';
import { fetchModel, type FetchedModel, type ModelSource } from '../runtime/model.ts';

/** What the page needs to know of a verified model (its weights stay with the heavy work). */
export interface ModelFacts {
  /** The model's item ids (its manifest's `items`). */
  itemIds: readonly string[];
  /** What shoppers chose next, from the verified artifact, if it has the table. */
  nextSteps: NextSteps | undefined;
  /** The manifest's answer said the server takes federated updates. */
  federatedLearning: boolean;
  /** How many of the newest known items a ranking reads (the model's `maxLen`): what `Runtime.basis` keeps. */
  maxLen: number;
}

/** How the model runs once its bytes are verified (`startRuntime`). */
export interface ModelStart {
  /** Force this backend first (`data-backend`); else the best available. */
  backend?: BackendName;
  assetBase: string;
  /** What the GPU probes found on an earlier visit. */
  hardware?: Hardware;
  /** The probes ran: the result, for the page to keep with the profile. */
  onHardware?: (hardware: Hardware) => void;
  /** The runtime moved to another backend (a GPU device was lost): the page re-ranks. */
  onBackendChange?: (backend: BackendName, reason: string) => void;
  signal?: AbortSignal;
}

/** A loaded catalog: how it was loaded, and its prices as text where they were formatted off the page's thread. */
export interface LoadedCatalog {
  catalog: Catalog;
  load: CatalogLoad;
  money?: MoneyTexts;
}

/** Where the heavy work runs: in its worker, or on the page's thread (no worker could start). */
export type WorkPlace = 'worker' | 'main';

export interface HeavyWork {
  /** Where the work runs, once that is known (the worker answered, or failed to start). */
  readonly place: Promise<WorkPlace>;
  /** Starts loading the code the model runs on (tfjs, a backend): the longest part of the way, so asked for first. */
  preload(): void;
  /**
   * `GET /v1/catalog`, revalidated against the copy on the device, parsed and (where required) verified.
   * With a `locale`, a worker also formats the catalog's prices in it (`money`: see `copy/money.ts`).
   */
  loadCatalog(source: CatalogSource & { locale?: string }): Promise<LoadedCatalog>;
  /** Fetches (or reads from the cache) and verifies the model; the tfjs chunk starts loading at once. */
  loadModel(source: ModelSource): Promise<ModelFacts>;
  /**
   * Starts tfjs and the model verified by `loadModel` on it, warmed up. A model with content features also
   * ranks the products of the catalog `loadCatalog` loaded that it has no row for (it waits for that load).
   */
  startModel(options: ModelStart): Promise<Runtime>;
  /** Frees the model's tensors; a model still starting is freed when it is ready, and never returned. */
  dispose(): void;
}


/**
 * The heavy work on the current thread: the page's (the fallback of `workerWork`), or the worker's
 * (`heavy-worker.ts`). With `yielding` it yields to the page (`yieldToPage`) between parsing, verifying,
 * decoding, backend start and warm-up, so each runs as a task of its own.
 */
export function mainThreadWork(options: { yielding?: boolean } = {}): HeavyWork {
  const pause = options.yielding ? yieldToPage : undefined;
  let runtimeChunk: Promise<typeof import('../runtime/index.ts')> | undefined;
  /** The catalog this work loaded last: a model with content features ranks its new products too. */
  let catalog: Promise<Catalog | undefined> | undefined;
  let artifact: Promise<FetchedModel> | undefined;
  let source: ModelSource | undefined;
  let runtime: Runtime | undefined;
  let disposed = false;
  const preload = (): void => {
    if (runtimeChunk) return;
    runtimeChunk = import('../runtime/index.ts');
    runtimeChunk.catch(() => undefined);
  };
  return {
    place: Promise.resolve('main'),
    preload,
    // On the page's thread the cards format their prices as they render: nothing to gain from doing it here.
    loadCatalog({ locale: _, ...catalogSource }) {
      const loading = fetchCatalog({ ...catalogSource, pause });
      catalog = loading.then((l) => l.catalog, () => undefined);
      return loading;
    },
    loadModel(modelSource) {
      // The model's bytes are fetched (or read from the cache) and verified while tfjs loads and starts.
      preload();
      source = { ...modelSource, pause };
      artifact = fetchModel(source);
      return artifact.then((a) => ({ itemIds: a.itemIds, nextSteps: a.nextSteps, federatedLearning: a.federatedLearning, maxLen: a.manifest.config.maxLen }));
    },
    async startModel(options) {
      // After `loadModel`, which set all three.
      const { startRuntime } = await runtimeChunk!;
      // The catalog asked for before the model (the engine asks for both at once, the catalog first).
      const started = await startRuntime({ ...source!, ...options, artifact: artifact!, ...(catalog && { catalog }) });
      if (disposed) {
        started.dispose();
        throw new DOMException('disposed', 'AbortError');
      }
      return (runtime = started);
    },
    dispose() {
      disposed = true;
      runtime?.dispose();
      runtime = undefined;
    },
  };
}
