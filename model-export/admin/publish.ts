/**
 * `edge-recs publish`: uploads an exported artifact directory to an edge server's admin API
 * (`POST /v1/admin/models/:name/versions`, multipart: `core/artifact/upload.ts`), where it is verified
 * against the server's trusted keys and made the current version, or with `--canary N` served to N% of
 * requests beside the current one (`?canary=N`, one write on the server, so it is never current first).
 */
import { join } from 'node:path';
import type { Artifact } from '../../core/artifact/artifact.ts';
import { artifactForm } from '../../core/artifact/upload.ts';
import { adminClient, servingLine, type AdminArgs, type ModelState } from './admin-client.ts';
import { readArtifactDir } from '../artifact/artifact-fs.ts';
import { CliError } from '../errors.ts';

export interface PublishArgs extends AdminArgs {
  artifact: string;
  name?: string;
  /** Percentage (1-100) of manifest requests to serve the new version to, as a canary; default: make it current. */
  canary?: number;
  json: boolean;
}

/**
 * Reads the artifact as every command does (`readArtifactDir`: each file against the manifest, then the
 * content), so a broken export fails here, naming the file. The signature is the server's to verify
 * against its trusted keys; here it need only be there.
 */
async function readArtifact(dir: string): Promise<Artifact> {
  const { manifest, files } = await readArtifactDir(dir, { unsigned: 'allow' });
  if (!manifest.signature) throw new CliError(`${join(dir, 'manifest.json')}: the artifact is not signed; export it with --sign-key (servers publish signed models only)`);
  return { manifest, files };
}

export async function publishCommand(a: PublishArgs): Promise<void> {
  if (a.canary !== undefined && (!Number.isInteger(a.canary) || a.canary < 1 || a.canary > 100)) {
    throw new CliError(`--canary must be a percentage, an integer 1-100 (got "${a.canary}"); to make the version current, leave --canary out`, 2);
  }
  const client = adminClient(a);
  const artifact = await readArtifact(a.artifact);
  const { name: signedName, version } = artifact.manifest;
  const name = a.name ?? signedName;
  if (name !== signedName) {
    throw new CliError(`--name ${name}: the artifact is model "${signedName}", and the name is signed; export it again with --name ${name}`, 2);
  }
  const query = a.canary === undefined ? '' : `?canary=${a.canary}`;
  const { body } = await client.send('POST', `models/${encodeURIComponent(name)}/versions${query}`, `${name}@${version}`, { data: artifactForm(artifact) });
  const state = body as unknown as ModelState & { created: boolean; manifestSha256: string };
  if (a.json) {
    console.log(JSON.stringify({ name, version, created: state.created, current: state.current, canary: state.canary ?? null, manifestSha256: state.manifestSha256 }));
    return;
  }
  const bytes = [...artifact.files.values()].reduce((n, f) => n + f.byteLength, 0);
  // "v3 now on 10% (canary), v2 current", or the current version (and a canary of another version that runs on).
  const serving = a.canary === undefined ? `current version: ${state.current}${state.canary ? `; ${state.canary.version} on ${state.canary.percent}% (canary)` : ''}` : `now ${servingLine(state)}`;
  console.log(`${state.created ? 'published' : 'already published'} ${name}@${version} to ${client.origin} (${bytes.toLocaleString('en')} bytes); ${serving}`);
}
