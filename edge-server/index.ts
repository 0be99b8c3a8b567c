/**
 * Public API of the edge server core: runtime-neutral, imports no `node:*` module. Runtime pieces
 * (disk storage, the HTTP listener) live in `adapters/<runtime>/` and are imported from there.
 */
export { createApp, type AppOptions } from './app.ts';
export type { WidgetFile, WidgetFiles } from './widget-files.ts';
export type { BlobStore, MetaStore, ModelRecord, ModelVersion, Storage } from './storage.ts';
export { currentManifest, publishArtifact, type CurrentManifest, type PublishOptions, type PublishResult } from './registry.ts';
export { createMemoryStorage } from './memory-storage.ts';
export type { AnalyticsOptions } from './operations.ts';
export type { AnalyticsStore, BestsellerList, ItemScore, MetricRow } from './analytics/store.ts';
export { createMemoryAnalytics } from './analytics/memory.ts';
export { popularityStore, type PopularityOptions, type PopularityStore } from './analytics/popularity.ts';
export { createMemoryCatalog, type CatalogStore, type StoredCatalog } from './catalog/store.ts';
export { localRegistry, type ArtifactUpload, type ModelChange, type RegistryWriter } from './admin/registry-ops.ts';
