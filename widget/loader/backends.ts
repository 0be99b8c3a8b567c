/** tfjs backends the widget can run on, fastest first. Kept apart from the backend code so the loader stays free of tfjs. */
export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
