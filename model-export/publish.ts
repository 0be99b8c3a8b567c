/**
 * `edge-recs publish`: uploads an exported artifact directory to an edge server's admin API
 * (`POST /v1/admin/models/:name/versions`, multipart: `core/artifact/upload.ts`), where it is verified
 * against the server's trusted keys and made the current version.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex, type Bytes } from '../core/artifact/bytes.ts';
import { parseManifest, type Manifest } from '../core/artifact/manifest.ts';
import { artifactForm } from '../core/artifact/upload.ts';
import { ContractError } from '../core/errors.ts';
import { CliError } from './errors.ts';

export interface PublishArgs {
  artifact: string;
  server: string;
  /** From `--token`, else the `EDGE_RECS_TOKEN` environment variable. */
  token?: string;
  name?: string;
  json: boolean;
  /** Seconds to wait for the server. */
  timeout: number;
}

/** Reads the artifact and checks every file against the manifest, so a broken export fails here, naming the file. */
async function readArtifact(dir: string): Promise<{ manifest: Manifest; files: Map<string, Bytes> }> {
  const manifestPath = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (e) {
    throw new CliError(`${manifestPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (is --artifact an exported artifact directory?)' : 'not valid JSON'}`);
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(raw);
  } catch (e) {
    if (e instanceof ContractError) throw new CliError(`${manifestPath}: ${e.message}`);
    throw e;
  }
  if (!manifest.signature) throw new CliError(`${manifestPath}: the artifact is not signed; export it with --sign-key (servers publish signed models only)`);
  const files = new Map<string, Bytes>();
  for (const ref of [manifest.items, ...manifest.shards]) {
    const path = join(dir, ref.path);
    let bytes: Bytes;
    try {
      const buffer = await readFile(path);
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) as Bytes;
    } catch {
      throw new CliError(`${path}: named by the manifest but cannot be read`);
    }
    if (bytes.byteLength !== ref.bytes || (await sha256Hex(bytes)) !== ref.sha256) throw new CliError(`${path}: does not match the manifest's size and SHA-256`);
    files.set(ref.path, bytes);
  }
  return { manifest, files };
}

export async function publishCommand(a: PublishArgs): Promise<void> {
  const token = a.token ?? process.env.EDGE_RECS_TOKEN;
  if (!token) throw new CliError('--token (or the EDGE_RECS_TOKEN environment variable) is required: an admin token of the server', 2);
  let base: URL;
  try {
    base = new URL(a.server);
  } catch {
    throw new CliError(`--server must be the edge server's URL, e.g. https://recs.example.com (got "${a.server}")`, 2);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new CliError(`--server must be an http(s) URL (got "${a.server}")`, 2);
  const artifact = await readArtifact(a.artifact);
  const name = a.name ?? artifact.manifest.name;
  if (name !== artifact.manifest.name) {
    throw new CliError(`--name ${name}: the artifact is model "${artifact.manifest.name}", and the name is signed; export it again with --name ${name}`, 2);
  }
  const url = new URL(`v1/admin/models/${encodeURIComponent(name)}/versions`, base.href.endsWith('/') ? base : `${base.href}/`);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: artifactForm(artifact), signal: AbortSignal.timeout(a.timeout * 1000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach ${base.origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not our server's JSON (a proxy's error page): reported by status below.
  }
  if (!res.ok) {
    const error = body.error as { code?: string; message?: string } | undefined;
    const detail = error ? `${error.code}: ${error.message}` : `HTTP ${res.status}`;
    const hint = res.status === 401 || res.status === 403 ? ' (check --token)' : res.status === 404 && error?.code === 'admin_disabled' ? ' (the server has no admin token configured)' : '';
    throw new CliError(`${url.origin} refused ${name}@${artifact.manifest.version}: ${detail}${hint}`);
  }
  if (a.json) {
    console.log(JSON.stringify({ name, version: artifact.manifest.version, created: body.created, current: body.current, manifestSha256: body.manifestSha256 }));
  } else {
    const bytes = [...artifact.files.values()].reduce((n, f) => n + f.byteLength, 0);
    console.log(
      `${body.created ? 'published' : 'already published'} ${name}@${artifact.manifest.version} to ${url.origin} (${bytes.toLocaleString('en')} bytes); current version: ${String(body.current)}`,
    );
  }
}
