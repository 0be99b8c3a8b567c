/**
 * The models feature: signed model versions and their blobs for the widget (`delivery.ts`, under `/v1`)
 * and the widget's own files (`widget-files.ts`, under `/widget`). Also the checks of the two options
 * every feature shares, `storage` and `trustedKeys`.
 */
import { Hono } from 'hono';
import { fromBase64 } from '../../core/artifact/bytes.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { isRecord, show } from '../../core/errors.ts';
import { hasMethods, optionError, type Fail } from '../../core/options.ts';
import { deliveryRoutes } from './delivery.ts';
import type { Storage } from './storage.ts';
import { widgetRoutes, type WidgetFiles } from './widget-files.ts';

const fail: Fail = optionError('createApp');

/** Checks the `storage` option. @throws TypeError naming the methods it needs. */
export function checkStorage(storage: unknown): Storage {
  if (!isRecord(storage) || !hasMethods(storage.blobs, ['put', 'get', 'has']) || !hasMethods(storage.meta, ['getModel', 'putModel'])) {
    fail('storage must be a Storage ({ blobs: { put, get, has }, meta: { getModel, putModel } })');
  }
  return storage as unknown as Storage;
}

/** Checks the `trustedKeys` option: public Ed25519 keys only. @throws TypeError naming the bad entry. */
export function checkTrustedKeys(trustedKeys: unknown): TrustedKey[] {
  if (!Array.isArray(trustedKeys)) fail('trustedKeys must be an array of { keyId, publicKey }');
  return trustedKeys.map((key: unknown, i): TrustedKey => {
    if (!isRecord(key) || typeof key.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(key.keyId)) {
      fail(`trustedKeys[${i}].keyId must be 16 lowercase hex digits (got ${show(isRecord(key) ? key.keyId : key)})`);
    }
    if ('privateKey' in key) fail(`trustedKeys[${i}] holds a private key; give the server only keyId and publicKey`);
    let raw: Uint8Array | undefined;
    try {
      raw = typeof key.publicKey === 'string' ? fromBase64(key.publicKey) : undefined;
    } catch {
      raw = undefined;
    }
    if (raw?.byteLength !== 32) fail(`trustedKeys[${i}].publicKey must be a base64 raw Ed25519 public key (32 bytes)`);
    return { keyId: key.keyId, publicKey: key.publicKey as string };
  });
}

export interface ModelRouteOptions {
  /** The checked `storage` (`checkStorage`). */
  storage: Storage;
  /** The keys served at `GET /v1/keys`: the trusted keys and the federation's. */
  keys: readonly TrustedKey[];
  /** Whether this server runs federated learning (the `X-Federated-Learning` header widgets read). */
  federated: boolean;
}

/** `/v1/models/...`, `/v1/blobs/...`, `/v1/keys` (`deliveryRoutes`). */
export function modelRoutes({ storage, keys, federated }: ModelRouteOptions): Hono {
  return new Hono().route('/v1', deliveryRoutes(storage, keys, federated));
}

/** The built widget at `/widget/*`. @throws TypeError when `widget` is not `WidgetFiles`. */
export function widgetFileRoutes(widget: WidgetFiles): Hono {
  if (!hasMethods(widget, ['get'])) fail('widget must be { get(path) => Promise<{ body, contentType } | null> }');
  return new Hono().route('/widget', widgetRoutes(widget));
}
