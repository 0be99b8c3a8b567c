import { buildArtifact, type Artifact, type ArtifactInput } from '../core/artifact/artifact.ts';
import type { KeyFile } from '../core/artifact/signing.ts';
import type { Catalog } from '../core/catalog.ts';
import { buildItemFeatures, productFeatureNames, type ItemFeatures } from '../core/model/features.ts';
import { fromSequences } from '../model-export/data/dataset.ts';
import { FEATURE_MIN_ITEMS } from '../model-export/data/item-features.ts';
import { countNextSteps } from '../model-export/training/next-steps.ts';
import { useBackend } from '../model-export/training/tf-node.ts';
import { TRAIN_DEFAULTS, trainModel, type EpochInfo } from '../model-export/training/trainer.ts';
import { demoCatalog } from './catalog.ts';
import { simulateShoppers } from './shoppers.ts';

/** What the demo's default model is trained on and how: small enough to train at first start in seconds. */
const DEMO_TRAINING = {
  shoppers: 3000,
  seed: 7,
  model: { dim: 32, blocks: 1, heads: 1, maxLen: 20 },
  epochs: 8,
  patience: 2,
  batchSize: 256,
  learningRate: 0.005,
  dropout: 0.2,
  validationUsers: 600,
} as const;

/**
 * The content features of the demo's model items (`itemIds`, the catalog's product ids): each product's
 * category levels, brand and price band, as `productFeatureNames` gives them to the widget for a product
 * added later, so that product is ranked from the same vocabulary on the next page view.
 */
export function demoItemFeatures(catalog: Catalog, itemIds: readonly string[]): ItemFeatures {
  const byId = new Map(catalog.products.map((p) => [p.id, p]));
  return buildItemFeatures(
    itemIds.map((id) => {
      const product = byId.get(id);
      return product ? productFeatureNames(product) : [];
    }),
    FEATURE_MIN_ITEMS,
  );
}

/**
 * Trains the demo shop's model on simulated shoppers over the demo catalog, then exports it the way
 * `edge-recs export --quantize uint8 --sign-key` does, with the chosen-next table `train` counts: the
 * real pipeline, nothing downloaded.
 */
export async function buildDefaultModel(key: KeyFile, onEpoch?: (info: EpochInfo) => void): Promise<Artifact> {
  await useBackend('wasm');
  const catalog = demoCatalog();
  const itemIds = catalog.products.map((p) => p.id);
  const sequences = simulateShoppers(catalog, DEMO_TRAINING.shoppers, DEMO_TRAINING.seed);
  const data = fromSequences(sequences.map((_, i) => `shopper-${i + 1}`), sequences, itemIds);
  const features = demoItemFeatures(catalog, data.itemIds);
  // Every core, as `edge-recs train` by default: first start waits on this training.
  const workers = TRAIN_DEFAULTS.workers;
  const result = await trainModel(data, {
    features,
    model: DEMO_TRAINING.model,
    epochs: DEMO_TRAINING.epochs,
    patience: DEMO_TRAINING.patience,
    validationUsers: DEMO_TRAINING.validationUsers,
    batchSize: DEMO_TRAINING.batchSize,
    learningRate: DEMO_TRAINING.learningRate,
    dropout: DEMO_TRAINING.dropout,
    seed: DEMO_TRAINING.seed,
    workers,
    onEpoch,
  });
  const input: ArtifactInput = {
    name: 'default',
    version: 'demo-1',
    config: result.config,
    itemIds: data.itemIds,
    weights: result.weights,
    quantization: 'uint8',
    // What the simulated shoppers chose next, counted as `edge-recs train` counts it (k 5, the next step).
    nextSteps: countNextSteps(data),
    training: { data: 'simulated demo shoppers', ...DEMO_TRAINING, workers, features: features.names.length, bestEpoch: result.bestEpoch, valid: result.bestValid },
    ...(result.features && { features: result.features }),
  };
  return buildArtifact(input, key);
}
