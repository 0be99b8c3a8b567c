import type { TrustedKey } from '../core/artifact/signing.ts';
import { BACKENDS, type BackendName } from './backends.ts';

/** Widget settings, read once from the loader's `<script>` tag. */
export interface WidgetConfig {
  /** `data-server`: edge server base URL. Default: the origin the loader came from. */
  server: string;
  /** `data-model`: model name. Default `default`. */
  model: string;
  /** `data-public-key`: `keyId:base64` of the key models must be signed with. Default: the server's `/v1/keys`. */
  trusted: TrustedKey[];
  /** `data-backend`: force a tfjs backend (`webgpu`, `webgl`, `wasm`, `cpu`). Default: best available. */
  backend?: BackendName;
  /** Where the loader's own files are (WASM binaries, chunks). */
  assetBase: string;
}

/** Parses the loader's `data-*` attributes; a bad value is reported and replaced by its default, never thrown. */
export function readConfig(script: HTMLScriptElement | null, loaderUrl: string, warn: (m: string) => void): WidgetConfig {
  const data = script?.dataset ?? {};
  const assetBase = new URL('./', loaderUrl).href;
  const server = (data.server ?? new URL(loaderUrl).origin).replace(/\/+$/, '');
  const config: WidgetConfig = { server, model: data.model || 'default', trusted: [], assetBase };
  if (data.publicKey) {
    const [keyId, publicKey] = data.publicKey.split(':');
    if (keyId && publicKey) config.trusted.push({ keyId, publicKey });
    else warn(`data-public-key must be "keyId:base64" (got "${data.publicKey}")`);
  }
  if (data.backend) {
    if (BACKENDS.includes(data.backend as BackendName)) config.backend = data.backend as BackendName;
    else warn(`data-backend must be one of ${BACKENDS.join(', ')} (got "${data.backend}")`);
  }
  return config;
}
