import { SasRec } from '../../core/model/sasrec.ts';
import type { BackendName } from '../backends.ts';
import { startBackend } from './backend.ts';
import { fetchModel, type ModelSource } from './model.ts';

/** The lazily loaded half of the widget: tfjs, one backend and the model. */
export interface Runtime {
  readonly backend: BackendName;
  readonly modelVersion: string;
  /** Top `k` catalog ids after `history` (catalog ids, oldest first), never one in `exclude`. */
  recommend(history: readonly string[], k: number, exclude: ReadonlySet<string>): Promise<Array<{ id: string; score: number }>>;
  dispose(): void;
}

export async function startRuntime(options: ModelSource & { backend?: BackendName; assetBase: string }): Promise<Runtime> {
  const backend = await startBackend({ preferred: options.backend, assetBase: options.assetBase });
  const artifact = await fetchModel(options);
  const model = SasRec.fromWeights(artifact.manifest.config, artifact.weights);
  const index = new Map(artifact.itemIds.map((id, i) => [id, i + 1]));
  const ids = artifact.itemIds;
  const runtime: Runtime = {
    backend,
    modelVersion: artifact.manifest.version,
    async recommend(history, k, exclude) {
      const known = history.map((id) => index.get(id)).filter((i): i is number => i !== undefined);
      const excluded = [...exclude].map((id) => index.get(id)).filter((i): i is number => i !== undefined);
      const top = await model.recommend(known, k, excluded);
      return top.map((s) => ({ id: ids[s.index - 1]!, score: s.score }));
    },
    dispose() {
      model.dispose();
    },
  };
  // Warm up (shader compilation, WASM page-in) now rather than on the shopper's first event.
  await runtime.recommend([], 1, new Set());
  return runtime;
}
