// The worker thread of `catalog-parser.ts`: parses uploaded catalogs with the edge server's own code
// (`edge-server/catalog/parse.ts`), one message at a time, off the main thread. Plain JavaScript so it
// starts the same under `tsx`, vitest or plain Node; the TypeScript it runs is loaded through tsx's API.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { parseCatalogBody } = await tsImport('../../catalog/parse.ts', import.meta.url);

parentPort.on('message', ({ id, input }) => {
  try {
    const parsed = parseCatalogBody(input);
    parentPort.postMessage({ id, parsed }, [parsed.json.buffer]);
  } catch (e) {
    // A ContractError is the body's fault (400); by name, as the class loaded here is not the caller's.
    if (e instanceof Error && e.name === 'ContractError') parentPort.postMessage({ id, refused: { code: e.code, message: e.message } });
    else parentPort.postMessage({ id, failed: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
