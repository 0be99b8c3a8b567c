/**
 * The wire format of an artifact upload (`POST /v1/admin/models/:name/versions`): multipart/form-data
 * with the manifest as the part `manifest` and each file the manifest names as a part named by its
 * path. Built here once for every client (the CLI's `publish`, tests); the edge server reads it in
 * `edge-server/admin/routes.ts`.
 */
import type { Manifest } from './manifest.ts';

export function artifactForm(artifact: { manifest: Manifest; files: ReadonlyMap<string, Uint8Array> }): FormData {
  const form = new FormData();
  form.append('manifest', new Blob([JSON.stringify(artifact.manifest)], { type: 'application/json' }), 'manifest.json');
  for (const [path, bytes] of artifact.files) {
    form.append(path, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), path);
  }
  return form;
}
