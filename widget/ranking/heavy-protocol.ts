/**
 * The messages between the page and the heavy-work worker (`worker-work.ts` ↔ `heavy-worker.ts`): the
 * `HeavyWork` interface as plain data (structured clone). What cannot cross is replaced: the IndexedDB
 * cache by whether to use one (the worker opens its own connection to the same database), callbacks by
 * events, an `AbortSignal` by an `abort` message, the `Runtime` by `recommend` calls.
 */
import type { Catalog } from '../../core/catalog.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import type { BackendName } from '../loader/backends.ts';
import type { Hardware, LoadStats, Recommended } from '../runtime/index.ts';
import type { CatalogLoad } from './catalog.ts';
import type { LoadedCatalog, ModelFacts } from './heavy-work.ts';

export type HeavyRequest =
  | { op: 'preload' }
  | { op: 'catalog'; id: number; server: string; cache: boolean; trusted: readonly TrustedKey[]; requireSigned: boolean; locale?: string }
  | { op: 'model'; id: number; server: string; model: string; trusted: readonly TrustedKey[]; cache: boolean; canaryBucket?: number }
  | { op: 'start'; id: number; backend?: BackendName; assetBase: string; hardware?: Hardware }
  | { op: 'recommend'; id: number; history: readonly string[]; k: number; exclude: readonly string[] }
  /** The call `id` was cancelled (its `AbortSignal`). */
  | { op: 'abort'; id: number };

/** What the page needs of a started runtime (`basis` it answers from `ModelFacts`, without a round trip). */
export interface StartedFacts {
  backend: BackendName;
  modelVersion: string;
  loadStats: LoadStats;
  /** `Runtime.newItems`: the catalog products the model ranks from their features, which `basis` counts as known. */
  newItems: string[];
}

/** An error as it crosses: rebuilt on the page with the same name, message and `ContractError` code. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
}

/** What a call answers: `loadCatalog`, `loadModel`, `startModel`, `recommend` in turn. */
export type HeavyValue = LoadedCatalog | ModelFacts | StartedFacts | Recommended[];

export type HeavyReply =
  /** The worker's module has loaded: messages from here on reach it. */
  | { event: 'ready' }
  | { event: 'hardware'; hardware: Hardware }
  | { event: 'backend'; backend: BackendName; reason: string }
  | { id: number; ok: true; value: HeavyValue }
  | { id: number; ok: false; error: WireError };
