// A training worker's entry (`gradient-workers.ts` starts it): a worker thread is a fresh Node instance
// without the parent's tsx loader, so it registers tsx, as `bin/edge-recs.js` does, before loading the
// TypeScript worker. Plain JavaScript so that Node can start it whoever the parent is (the CLI, vitest).
import { register } from 'tsx/esm/api';

register();
await import('./train-worker.ts');
