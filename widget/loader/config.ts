import type { TrustedKey } from '../../core/artifact/signing.ts';
import { BACKENDS, type BackendName } from './backends.ts';

/**
 * Consent modes (`data-consent`): `granted` stores the shopper's events in IndexedDB from the first page
 * view; `required` keeps them in memory only, for this page view, until the page calls
 * `window.edgeRecs.consent()` (typically from the shop's consent banner).
 */
const CONSENT_MODES = ['granted', 'required'] as const;
type ConsentMode = (typeof CONSENT_MODES)[number];

/**
 * Model names the loader accepts. The same pattern as `MODEL_NAME` in `core/artifact/manifest.ts`, copied
 * rather than imported so the loader pulls in nothing the lazy chunks also use (`config.test.ts` keeps the
 * two equal).
 */
export const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const KEY_ID = /^[0-9a-f]{16}$/;
/** A raw 32-byte Ed25519 public key in standard base64. */
const PUBLIC_KEY = /^[A-Za-z0-9+/]{43}=$/;

/** Widget settings, read once from the loader's `<script>` tag. Every field has a default; none throws. */
export interface WidgetConfig {
  /**
   * `data-server`: edge server base URL, no trailing slash. Default: the origin the loader came from, since
   * the server that serves `/widget/edge-recs.js` also serves `/v1/*`.
   * @example data-server="https://recs.example.com"
   */
  server: string;
  /**
   * `data-model`: model name (`/v1/models/:name/manifest`). Default `default`.
   * @example data-model="beauty"
   */
  model: string;
  /**
   * `data-public-key`: one or more `keyId:base64` Ed25519 keys, space separated, that models must be signed
   * with. Default: none pinned, so the server's `/v1/keys` are trusted; pin a key so a compromised CDN
   * cannot swap the model. Several keys allow a rotation without downtime.
   * @example data-public-key="3f2a9c0d1e4b5a67:MCowBQYDK2VwAyEA..."
   */
  trusted: TrustedKey[];
  /**
   * `data-require-signed-catalog` (a boolean attribute: present means on). Default off: the catalog is used
   * signed or not. On, the catalog (`GET /v1/catalog`, and the copy kept on the device) is used only with a
   * valid signature by a `data-public-key` key (by one of the server's `/v1/keys` when none is pinned); an
   * unsigned or badly signed catalog is not used and the widget shows no cards, as it falls back for a model
   * that fails its check. Turn it on once `edge-recs catalog upload` signs the shop's catalog, so a CDN or
   * cache in between cannot change links, prices or titles.
   * @example data-require-signed-catalog
   */
  requireSignedCatalog?: true;
  /**
   * `data-backend`: force a tfjs backend (`webgpu`, `webgl`, `wasm`, `cpu`). Default: the fastest that runs
   * on real hardware. Useful to compare backends or work around a broken driver.
   * @example data-backend="wasm"
   */
  backend?: BackendName;
  /**
   * `data-locale`: BCP 47 language tag for card copy, canonicalized (`en-us` -> `en-US`). Default: the
   * browser's `navigator.language`, else `en`.
   * @example data-locale="de-DE"
   */
  locale: string;
  /**
   * `data-consent`: `granted` (default) or `required`. With `required`, nothing is written to IndexedDB
   * until `window.edgeRecs.consent()`; events before it are kept in memory for this page view only. An
   * unknown value counts as `required`: a typo in a privacy setting must fail closed, not store data the
   * merchant meant to gate.
   * @example data-consent="required"
   */
  consent: ConsentMode;
  /** Where the loader's own files are (lazy chunks, WASM binaries): the loader's folder. */
  assetBase: string;
}

/** Canonical BCP 47 tag, or undefined when `tag` is not one (`Intl` is the validator every browser ships). */
function canonicalLocale(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

/** `data-model` as the widget uses it: the name where it is a valid one, else `default`. */
export function modelOf(value: string | undefined): string {
  return value !== undefined && MODEL_NAME.test(value) ? value : 'default';
}

/**
 * Parses the loader's `data-*` attributes. A bad value is replaced by its default and, in development
 * builds, reported through `warn` with the attribute and its valid choices; it never throws, because a typo
 * in a script tag must not break the merchant's page.
 */
export function readConfig(
  data: Readonly<Record<string, string | undefined>>,
  loaderUrl: string,
  warn: (message: string) => void,
  browserLocale?: string,
): WidgetConfig {
  const loader = new URL(loaderUrl);
  const config: WidgetConfig = {
    server: loader.origin,
    model: 'default',
    trusted: [],
    locale: canonicalLocale(browserLocale ?? '') ?? 'en',
    consent: 'granted',
    assetBase: new URL('./', loader).href,
  };
  if (data.server !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(data.server, loader);
    } catch {
      url = undefined;
    }
    if (url && (url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash) {
      config.server = (url.origin + url.pathname).replace(/\/+$/, '');
    } else if (__EDGE_RECS_DEV__) {
      warn(`data-server must be an http(s) URL such as "https://recs.example.com" (got "${data.server}"); using ${config.server}`);
    }
  }
  config.model = modelOf(data.model);
  if (__EDGE_RECS_DEV__ && data.model !== undefined && config.model !== data.model) {
    warn(`data-model must match ${MODEL_NAME} (got "${data.model}"); using "default"`);
  }
  if (data.publicKey !== undefined) {
    for (const entry of data.publicKey.trim().split(/\s+/)) {
      const [keyId = '', publicKey = '', ...rest] = entry.split(':');
      if (KEY_ID.test(keyId) && PUBLIC_KEY.test(publicKey) && rest.length === 0) config.trusted.push({ keyId, publicKey });
      else if (__EDGE_RECS_DEV__) {
        warn(`data-public-key must be "keyId:base64" (16 hex digits, a colon, a base64 Ed25519 key), space separated (got "${entry}"); ignoring it`);
      }
    }
  }
  if (data.requireSignedCatalog !== undefined) {
    // Present means on whatever its value: a typo in a security setting fails closed.
    config.requireSignedCatalog = true;
    if (__EDGE_RECS_DEV__ && data.requireSignedCatalog !== '' && data.requireSignedCatalog !== 'true') {
      warn(`data-require-signed-catalog is a boolean attribute: present means a signed catalog is required (got "${data.requireSignedCatalog}"); requiring it`);
    }
  }
  if (data.backend !== undefined) {
    if (BACKENDS.includes(data.backend as BackendName)) config.backend = data.backend as BackendName;
    else if (__EDGE_RECS_DEV__) warn(`data-backend must be one of ${BACKENDS.join(', ')} (got "${data.backend}"); choosing automatically`);
  }
  if (data.locale !== undefined) {
    const locale = canonicalLocale(data.locale);
    if (locale) config.locale = locale;
    else if (__EDGE_RECS_DEV__) warn(`data-locale must be a BCP 47 language tag such as en, de-DE or zh-Hans-CN (got "${data.locale}"); using ${config.locale}`);
  }
  if (data.consent !== undefined) {
    if (CONSENT_MODES.includes(data.consent as ConsentMode)) config.consent = data.consent as ConsentMode;
    else {
      config.consent = 'required';
      if (__EDGE_RECS_DEV__) warn(`data-consent must be one of ${CONSENT_MODES.join(', ')} (got "${data.consent}"); using "required"`);
    }
  }
  return config;
}
