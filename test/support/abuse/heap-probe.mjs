// Loaded with `node --expose-gc --import heap-probe.mjs` by main-process.ts: on SIGUSR2, two full garbage
// collections, then one stdout line `HEAP {"heapUsed":...,"rss":...}` (bytes) for the harness to read.
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  process.stdout.write(`HEAP ${JSON.stringify({ heapUsed, rss })}\n`);
});
