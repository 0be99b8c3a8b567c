/**
 * Changes an admin makes to a model's record after publishing: promote a version, roll back, and run a
 * canary (a second version served to a share of requests). Each is a pure function of the record
 * (`applyChange`), run by the record's single writer: in process on Node (`localRegistry`), inside the
 * model's Durable Object on Workers (`adapters/workers`).
 */
import type { Manifest } from '../../core/artifact/manifest.ts';
import { ContractError, isRecord, show } from '../../core/errors.ts';
import { publishArtifact, serialized, type PublishResult } from './registry.ts';
import type { ModelRecord, Storage } from './storage.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';

export type ModelChange =
  /** Serve `version` to everyone (ends a canary of it). */
  | { op: 'promote'; version: string }
  /** Serve the version published just before the current one, and end any canary. */
  | { op: 'rollback' }
  /** Serve `version` to `percent` of manifest requests, the current version to the rest. */
  | { op: 'canary'; version: string; percent: number }
  | { op: 'end-canary' };

/** An artifact as the registry takes it. */
export interface ArtifactUpload {
  manifest: Manifest;
  files: ReadonlyMap<string, Uint8Array>;
}

/** How a published version is released: made current (the default), or a canary beside the current one. */
export interface PublishRelease {
  /** Serve the new version to this percentage (1-100) of manifest requests; the current one stays. */
  canary?: number;
}

/**
 * The write side of the model registry as the admin API uses it. One implementation per runtime, so
 * that each runs every write through that runtime's single writer of the record.
 */
export interface RegistryWriter {
  /**
   * Verifies and publishes an artifact (`publishArtifact`), making it current, or with
   * `release.canary` the canary, in one write of the record.
   */
  publish(artifact: ArtifactUpload, release?: PublishRelease): Promise<PublishResult>;
  /**
   * @returns the record after the change.
   * @throws ContractError `unknown_model`, `unknown_version`, `no_previous_version` or `bad_canary`.
   */
  change(name: string, change: ModelChange): Promise<ModelRecord>;
}

/**
 * HTTP status for each refusal code of `applyChange` and of a canary publish (every other
 * ContractError is a 400).
 */
export const CHANGE_STATUS: Record<string, 404 | 409> = { unknown_model: 404, unknown_version: 404, no_previous_version: 409, no_current_version: 409 };

/** Validates a change sent over the wire (RPC or HTTP). */
export function parseChange(raw: unknown): ModelChange {
  if (!isRecord(raw)) throw new ContractError('bad_change', `expected a change object (got ${show(raw)})`);
  switch (raw.op) {
    case 'promote':
      if (typeof raw.version !== 'string') throw new ContractError('bad_change', `promote needs {"version": string} (got ${show(raw.version)})`);
      return { op: 'promote', version: raw.version };
    case 'rollback':
      return { op: 'rollback' };
    case 'end-canary':
      return { op: 'end-canary' };
    case 'canary': {
      const percent = raw.percent;
      if (typeof raw.version !== 'string') throw new ContractError('bad_canary', `a canary needs {"version": string, "percent": 0-100} (got version ${show(raw.version)})`);
      if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
        throw new ContractError('bad_canary', `"percent" must be an integer 0-100 (got ${show(percent)})`);
      }
      return { op: 'canary', version: raw.version, percent };
    }
    default:
      throw new ContractError('bad_change', `op must be one of promote, rollback, canary, end-canary (got ${show(raw.op)})`);
  }
}

/** The record after `change`; the input is not modified. */
export function applyChange(record: ModelRecord | null, name: string, change: ModelChange): ModelRecord {
  if (!record) throw new ContractError('unknown_model', `no model named ${JSON.stringify(name)} is published`);
  const next: ModelRecord = structuredClone(record);
  const has = (version: string): boolean => record.versions.some((v) => v.version === version);
  const needVersion = (version: string): void => {
    if (!has(version)) {
      throw new ContractError('unknown_version', `model ${name} has no version ${JSON.stringify(version)} (published: ${record.versions.map((v) => v.version).join(', ')})`);
    }
  };
  switch (change.op) {
    case 'promote':
      needVersion(change.version);
      next.current = change.version;
      if (next.canary?.version === change.version) delete next.canary;
      return next;
    case 'rollback': {
      const index = record.versions.findIndex((v) => v.version === record.current);
      if (index <= 0) throw new ContractError('no_previous_version', `model ${name}@${record.current} has no version published before it to roll back to`);
      next.current = record.versions[index - 1]!.version;
      delete next.canary;
      return next;
    }
    case 'canary':
      needVersion(change.version);
      if (change.version === record.current) throw new ContractError('bad_canary', `${change.version} is already the current version of ${name}; a canary must be another version`);
      if (change.percent === 0) delete next.canary;
      else next.canary = { version: change.version, percent: change.percent };
      return next;
    case 'end-canary':
      delete next.canary;
      return next;
  }
}

/** The registry on a `Storage` in this process: the Node adapter's, and the tests'. */
export function localRegistry(storage: Storage, trusted: readonly TrustedKey[]): RegistryWriter {
  return {
    publish: (artifact, release) => publishArtifact(storage, artifact, { trusted, ...(release?.canary === undefined ? {} : { canary: release.canary }) }),
    // On the same queue as publishes, so a promote cannot interleave with a publish's read-modify-write.
    change: (name, change) =>
      serialized(storage.meta, async () => {
        const next = applyChange(await storage.meta.getModel(name), name, parseChange(change));
        await storage.meta.putModel(next);
        return next;
      }),
  };
}

/**
 * Which version a manifest request gets. With a canary running, buckets below its percentage get the
 * canary: `bucket` is the one the widget draws once per session (0-99, `?bucket=`), so a shopper
 * stays on one version, or a fresh random draw for a client that sends none.
 */
export function servedVersion(record: ModelRecord, bucket: number): string {
  return record.canary && bucket < record.canary.percent ? record.canary.version : record.current;
}

/**
 * Reads the widget's canary bucket (`?bucket=`, or the `X-Canary-Bucket` header older widgets send): an
 * integer 0-99, or a random bucket when absent.
 * @returns null for a malformed value.
 */
export function canaryBucket(header: string | undefined): number | null {
  if (header === undefined) return crypto.getRandomValues(new Uint32Array(1))[0]! % 100;
  return /^\d{1,2}$/.test(header.trim()) ? Number(header.trim()) : null;
}
