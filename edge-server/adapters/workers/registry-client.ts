/**
 * The Worker's side of the model registry: reads, publishes and record changes, each sent to the
 * model's `ModelRegistry` Durable Object, the single writer of its record (`storage.ts`).
 */
import type { DurableObjectNamespace, R2Bucket } from '@cloudflare/workers-types/latest/index.ts';
import { MODEL_NAME } from '../../../core/artifact/manifest.ts';
import { ContractError } from '../../../core/errors.ts';
import type { ModelChange, PublishRelease, RegistryWriter } from '../../models/registry-ops.ts';
import type { PublishResult } from '../../models/registry.ts';
import type { MetaStore, ModelRecord, Storage } from '../../models/storage.ts';
import type { ModelRegistry } from './model-registry.ts';
import { r2BlobStore, type ArtifactUpload, type ChangeOutcome, type PublishOutcome } from './storage.ts';

/** The Durable Object that owns `name`'s record. Names outside `MODEL_NAME` get none. */
function registryFor(models: DurableObjectNamespace<ModelRegistry>, name: string) {
  return models.get(models.idFromName(name));
}

/**
 * Records as the Worker sees them: each call goes to the model's `ModelRegistry`. `putModel` is
 * ordered there with publishes, so it cannot interleave with one; it replaces the record whole, as on
 * every adapter. To publish, use `publishToRegistry`, which runs the whole read-modify-write inside the
 * Object.
 */
function registryMetaStore(models: DurableObjectNamespace<ModelRegistry>): MetaStore {
  return {
    async getModel(name) {
      // No record can exist for such a name: answer without starting an Object for it.
      if (!MODEL_NAME.test(name)) return null;
      return registryFor(models, name).getModel(name);
    },
    async putModel(record) {
      if (!MODEL_NAME.test(record.name)) {
        throw new ContractError('bad_name', `model name must match ${MODEL_NAME} (got ${JSON.stringify(record.name)})`);
      }
      await registryFor(models, record.name).putModel(record);
    },
  };
}

/** The Worker's `Storage`: blobs in R2, records through the models' Durable Objects. */
export function workersStorage(env: { BLOBS: R2Bucket; MODELS: DurableObjectNamespace<ModelRegistry> }): Storage {
  return { blobs: r2BlobStore(env.BLOBS), meta: registryMetaStore(env.MODELS) };
}

/**
 * Publishes a signed artifact on Workers: `publishArtifact`, run inside the model's `ModelRegistry`
 * (the record's single writer), against R2 and the keys in the Worker's `TRUSTED_KEYS`. Two publishes
 * racing for one model are ordered there, so neither loses the other's version. The admin API
 * (`/v1/admin/*`) is to call this; it is also how the contract tests publish into workerd.
 *
 * The artifact crosses an RPC call, whose messages are capped (32 MiB on Cloudflare today); an
 * artifact larger than that needs its blobs put into R2 first and only the manifest sent.
 *
 * With `release.canary` the version becomes the canary instead of current, in the same write there.
 *
 * @throws ContractError as `publishArtifact` does (`untrusted_key`, `integrity`, `version_exists`, ...).
 */
export async function publishToRegistry(models: DurableObjectNamespace<ModelRegistry>, artifact: ArtifactUpload, release?: PublishRelease): Promise<PublishResult> {
  const name = artifact.manifest.name;
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw new ContractError('bad_manifest', `name must match ${MODEL_NAME} (got ${JSON.stringify(name)})`);
  }
  const outcome: PublishOutcome = await registryFor(models, name).publish(artifact, release);
  if (!outcome.ok) throw new ContractError(outcome.error.code, outcome.error.message);
  return outcome.result;
}

/**
 * Changes a model's record on Workers (promote, rollback, canary) inside its `ModelRegistry`, ordered
 * with publishes there.
 * @throws ContractError as `applyChange` does (`unknown_model`, `unknown_version`, ...).
 */
export async function changeInRegistry(models: DurableObjectNamespace<ModelRegistry>, name: string, change: ModelChange): Promise<ModelRecord> {
  if (!MODEL_NAME.test(name)) throw new ContractError('unknown_model', `no model named ${JSON.stringify(name)} is published`);
  const outcome: ChangeOutcome = await registryFor(models, name).change(name, change);
  if (!outcome.ok) throw new ContractError(outcome.error.code, outcome.error.message);
  return outcome.record;
}

/** The admin API's `RegistryWriter` on Workers: every write runs in the model's Durable Object. */
export function workersRegistry(models: DurableObjectNamespace<ModelRegistry>): RegistryWriter {
  return { publish: (artifact, release) => publishToRegistry(models, artifact, release), change: (name, change) => changeInRegistry(models, name, change) };
}
