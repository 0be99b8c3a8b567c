/**
 * Aggregate analytics and the catalog on Cloudflare:
 *
 *   DO `ANALYTICS`   one `Analytics` Durable Object per model (`idFromName(model)`, `analytics-object.ts`):
 *                    its counters, trending sums and bestseller list in the Object's SQLite storage
 *   R2 `BLOBS`       catalog/current.json   the normalized catalog (one object, replaced whole)
 *
 * The Object is the single writer of its model's sums; the Worker only calls it.
 */
import type { DurableObjectNamespace, R2Bucket } from '@cloudflare/workers-types/latest/index.ts';
import { sha256Hex, type Bytes } from '../../../core/artifact/bytes.ts';
import type { AnalyticsStore, MetricRow } from '../../analytics/store.ts';
import type { CatalogStore } from '../../catalog/store.ts';
import type { Analytics } from './analytics-object.ts';

/** The Worker's `AnalyticsStore`: each call goes to the model's `Analytics` Object. */
export function workersAnalytics(namespace: DurableObjectNamespace<Analytics>): AnalyticsStore {
  const of = (model: string) => namespace.get(namespace.idFromName(model));
  return {
    async addMetrics(model, day, counters, revenue = [], maxCells, experiments) {
      const dropped = await of(model).addMetrics(
        day,
        counters.map((c) => ({ ...c })),
        revenue.map((r) => ({ ...r })),
        maxCells,
        experiments?.counters.map((e) => ({ ...e })) ?? [],
        experiments?.revenue.map((e) => ({ ...e })) ?? [],
      );
      return { dropped };
    },
    async startExperiment(model, experiment) {
      return of(model).startExperiment({ ...experiment });
    },
    async endExperiment(model, endedAt) {
      return of(model).endExperiment(endedAt);
    },
    async getExperiments(model) {
      return of(model).getExperiments();
    },
    async readExperiment(model, experiment) {
      return of(model).readExperiment(experiment);
    },
    async readMetrics(model, range) {
      const rows = await of(model).readMetrics(range?.from, range?.to);
      return rows.map(({ version, ...rest }) => ({ ...rest, modelVersion: version }) as MetricRow);
    },
    async readRevenue(model, range) {
      return of(model).readRevenue(range?.from, range?.to);
    },
    async readDropped(model, range) {
      return of(model).readDropped(range?.from, range?.to);
    },
    async addItemCounts(model, counts, at, halfLifeMs) {
      await of(model).addItemCounts({ ...counts }, at, halfLifeMs);
    },
    async readItemScores(model) {
      return of(model).readItemScores();
    },
    async putBestsellers(model, list) {
      await of(model).putBestsellers({ ids: [...list.ids], updatedAt: list.updatedAt });
    },
    async getBestsellers(model) {
      return of(model).getBestsellers();
    },
  };
}

const CATALOG_KEY = 'catalog/current.json';

/**
 * The catalog in R2 as one object, with its SHA-256 in custom metadata (the ETag) and checked by R2 on
 * upload. A put replaces the object whole; R2 is strongly consistent, so every reader sees the new one.
 */
export function r2CatalogStore(bucket: R2Bucket): CatalogStore {
  return {
    async get() {
      const object = await bucket.get(CATALOG_KEY);
      if (!object) return null;
      const json = new Uint8Array(await object.arrayBuffer()) as Bytes;
      return { json, sha256: object.customMetadata?.sha256 ?? (await sha256Hex(json)) };
    },
    async put(json) {
      const sha256 = await sha256Hex(json);
      await bucket.put(CATALOG_KEY, json, { sha256, customMetadata: { sha256 }, httpMetadata: { contentType: 'application/json; charset=utf-8' } });
      return { json: new Uint8Array(json) as Bytes, sha256 };
    },
  };
}
