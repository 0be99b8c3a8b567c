/**
 * The admin API's model routes, mounted at `/v1/admin` behind `requireAdmin`:
 *
 *   GET    /models/:name/versions   versions, the current one and any canary
 *   POST   /models/:name/versions   publish an artifact (multipart/form-data: `manifest` + one part per file);
 *                                   `?canary=10`: as a canary on 10% instead of current, in the same write
 *   POST   /models/:name/promote    {"version"}: serve it to everyone
 *   POST   /models/:name/rollback   serve the version published before the current one
 *   PUT    /models/:name/canary     {"version", "percent"}: serve it to that share of manifest requests
 *   DELETE /models/:name/canary     end the canary
 */
import { Hono } from 'hono';
import { MODEL_NAME, parseManifest } from '../../core/artifact/manifest.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { ContractError } from '../../core/errors.ts';
import { parseJson } from '../../core/json.ts';
import { hasMethods, optionError, positiveInt, type Fail } from '../../core/options.ts';
import { limitBody, readJson, requireMediaType } from '../middleware/body.ts';
import { ApiError } from '../middleware/errors.ts';
import type { ModelRecord, Storage } from '../models/storage.ts';
import { CHANGE_STATUS, localRegistry, parseChange, type ModelChange, type RegistryWriter } from '../models/registry-ops.ts';

/** Small JSON bodies (promote, canary): a kilobyte more than they ever need. */
const SMALL_BODY = 4 * 1024;

function modelName(name: string): string {
  if (!MODEL_NAME.test(name)) throw new ApiError(400, 'bad_name', `model name must match ${MODEL_NAME} (got ${JSON.stringify(name)})`);
  return name;
}

/** `?canary=` of a publish: absent, or an integer 1-100. */
function canaryQuery(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 100) {
    throw new ApiError(400, 'bad_canary', `canary must be a percentage, an integer 1-100 (got ${JSON.stringify(raw)})`);
  }
  return Number(raw);
}

/** Runs a registry write, answering its refusals with their status (`CHANGE_STATUS`, else 400). */
async function refusalsAsHttp<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const status = err instanceof ContractError ? CHANGE_STATUS[err.code] : undefined;
    if (status) throw new ApiError(status, (err as ContractError).code, (err as ContractError).message);
    throw err;
  }
}

function describe(record: ModelRecord): Record<string, unknown> {
  return {
    name: record.name,
    current: record.current,
    canary: record.canary ?? null,
    versions: record.versions.map(({ version, publishedAt, manifestSha256 }) => ({ version, publishedAt, manifestSha256 })),
  };
}

/**
 * Reads a multipart artifact upload: a `manifest` part (the manifest.json text) and one part per file
 * the manifest names, each under its file name (`items.json`, `group1-shard1of1.bin`, ...).
 */
async function readArtifactForm(request: Request): Promise<{ manifest: unknown; files: Map<string, Uint8Array> }> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new ApiError(400, 'bad_upload', 'the body is not valid multipart/form-data');
  }
  let manifest: unknown;
  const files = new Map<string, Uint8Array>();
  for (const [field, value] of form.entries()) {
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(await value.arrayBuffer());
    if (field === 'manifest') {
      if (manifest !== undefined) throw new ApiError(400, 'bad_upload', 'more than one "manifest" part');
      try {
        manifest = parseJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'the "manifest" part');
      } catch (err) {
        if (err instanceof ContractError) throw err;
        throw new ContractError('bad_manifest', 'the "manifest" part is not UTF-8 JSON');
      }
    } else {
      if (files.has(field)) throw new ApiError(400, 'bad_upload', `more than one part named ${JSON.stringify(field)}`);
      files.set(field, bytes);
    }
  }
  if (manifest === undefined) throw new ApiError(400, 'bad_upload', 'no "manifest" part: send manifest.json as the part "manifest" and each file as a part named by its path');
  return { manifest, files };
}


function routesOf(storage: Storage, registry: RegistryWriter, maxArtifactBytes: number): Hono {
  const routes = new Hono();

  const change = async (name: string, op: ModelChange): Promise<Record<string, unknown>> =>
    describe(await refusalsAsHttp(() => registry.change(modelName(name), op)));

  routes.get('/models/:name/versions', async (c) => {
    const name = modelName(c.req.param('name'));
    const record = await storage.meta.getModel(name);
    if (!record) throw new ApiError(404, 'unknown_model', `no model named ${JSON.stringify(name)} is published`);
    return c.json(describe(record));
  });

  routes.post('/models/:name/versions', limitBody(maxArtifactBytes), async (c) => {
    const name = modelName(c.req.param('name'));
    const canary = canaryQuery(c.req.query('canary'));
    requireMediaType(c, ['multipart/form-data']);
    const upload = await readArtifactForm(c.req.raw);
    const manifest = parseManifest(upload.manifest);
    if (manifest.name !== name) {
      throw new ApiError(400, 'name_mismatch', `the manifest is for model ${JSON.stringify(manifest.name)}, not ${JSON.stringify(name)}; the name is signed, so publish it under /v1/admin/models/${manifest.name}/versions`);
    }
    const result = await refusalsAsHttp(() => registry.publish({ manifest, files: upload.files }, canary === undefined ? undefined : { canary }));
    return c.json(
      { ...describe(result.record), version: manifest.version, created: result.created, manifestSha256: result.manifestSha256 },
      result.created ? 201 : 200,
    );
  });

  routes.post('/models/:name/promote', limitBody(SMALL_BODY), async (c) => {
    requireMediaType(c, ['application/json']);
    const body = await readJson(c);
    return c.json(await change(c.req.param('name'), parseChange({ ...(body as object), op: 'promote' })));
  });

  routes.post('/models/:name/rollback', async (c) => c.json(await change(c.req.param('name'), { op: 'rollback' })));

  routes.put('/models/:name/canary', limitBody(SMALL_BODY), async (c) => {
    requireMediaType(c, ['application/json']);
    const body = await readJson(c);
    return c.json(await change(c.req.param('name'), parseChange({ ...(body as object), op: 'canary' })));
  });

  routes.delete('/models/:name/canary', async (c) => c.json(await change(c.req.param('name'), { op: 'end-canary' })));

  return routes;
}

/** The admin options of `createApp` for model records. */
export interface ModelAdminOptions {
  /**
   * How admin writes (publish, promote, rollback, canary) reach the model records. Default:
   * `localRegistry(storage, trustedKeys)`, in this process. The Workers adapter routes them to each
   * model's Durable Object, the single writer of its record there.
   * @example { publish: (a) => publishToRegistry(env.MODELS, a), change: (n, c) => changeInRegistry(env.MODELS, n, c) }
   */
  registry?: RegistryWriter;
  /**
   * Largest artifact upload (`POST /v1/admin/models/:name/versions`), in bytes. Default 64 MiB: a
   * 12k-item uint8 model is about 1 MB, so this leaves room while bounding what one request can buffer.
   * @example 256 * 1024 * 1024
   */
  maxArtifactBytes?: number;
}

/** Artifacts are a few MB (a 12k-item uint8 model is ~1 MB); 64 MiB leaves room for large catalogs' models. */
const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

const fail: Fail = optionError('createApp');

/**
 * The model admin API behind the admin guard: `/v1/admin/models/...` (publish, promote, roll back, canary,
 * list). Checks its options once, here. `trustedKeys`: what a published artifact must be signed by.
 * @throws TypeError naming the first invalid option.
 */
export function modelAdminRoutes(options: ModelAdminOptions & { storage: Storage; trustedKeys: readonly TrustedKey[] }): Hono {
  const registry = options.registry ?? localRegistry(options.storage, options.trustedKeys);
  if (!hasMethods(registry, ['publish', 'change'])) fail('registry must be a RegistryWriter ({ publish, change })');
  const maxArtifactBytes = positiveInt(fail, options.maxArtifactBytes, 'maxArtifactBytes', MAX_ARTIFACT_BYTES);
  return new Hono().route('/v1/admin', routesOf(options.storage, registry, maxArtifactBytes));
}
