/**
 * Attack (issue 14, must-have 5): a catalog upload that holds the server. Against the real Node server
 * (`main.ts` in a child process, which parses uploads in a worker thread): first a feed of millions of
 * empty XML items (`<item></item>`), which a parser that builds the whole tree first took 45 s and 1.16 GB
 * over before refusing; its outcome is the answer, the time to it and the server's peak memory growth.
 * Then a large, valid Merchant Center XML feed (100k products, about 61 MB at full scale) uploaded while
 * `/healthz` is polled back to back; the outcome is the upload's answer and time, and the health checks'
 * latency quantiles while it ran (goal: p99 at most 250 ms). The feeds are generated here.
 */
import { readFile } from 'node:fs/promises';
import { ADMIN_TOKEN } from '../support/abuse/runtimes.ts';
import { startMainProcess } from '../support/abuse/main-process.ts';
import type { AbuseBenchmark } from '../support/abuse/benchmark.ts';

/** The scale: 100k products (about 61 MB of XML, under the 64 MiB limit) and 3M empty items. */
const FULL_SCALE = { products: 100_000, emptyItems: 3_000_000 } as const;

export interface CatalogUploadOptions {
  /** Products in the valid feed uploaded under `/healthz` polling. */
  products: number;
  /** Empty `<item></item>` elements in the feed that must be refused by the item cap. */
  emptyItems: number;
}

export interface CatalogUploadOutcome {
  emptyItems: { items: number; bytes: number; status: number; code: string; message: string; ms: number; peakRssGrowthMb: number };
  upload: { products: number; bytes: number; status: number; storedProducts: number; ms: number };
  /** `/healthz` while the upload ran (requests sent one after another). */
  healthz: { samples: number; non200: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number };
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** RSS and its peak (VmHWM) of a process, in bytes (Linux). */
async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** A Merchant Center RSS feed of `n` products of about 610 bytes each (100k: 61 MB, under the 64 MiB limit), as a shop's export looks. */
function productFeed(n: number): string {
  const words = 'soft durable everyday cotton blend fabric with a relaxed fit machine washable made to last '.repeat(2);
  const items: string[] = [];
  for (let i = 0; i < n; i++) {
    items.push(`<item><g:id>sku-${i}</g:id><g:item_group_id>group-${i >> 2}</g:item_group_id><g:title>Everyday tee ${i}, size ${'SMLX'[i & 3]}</g:title>
<g:description>${words}</g:description><g:link>https://shop.example/p/sku-${i}</g:link><g:image_link>https://cdn.shop.example/i/sku-${i}.jpg</g:image_link>
<g:price>${(10 + (i % 90)).toFixed(2)} EUR</g:price><g:availability>in stock</g:availability><g:brand>Acme</g:brand><g:product_type>Apparel &gt; Tops &gt; T-shirts</g:product_type></item>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Shop</title>\n${items.join('\n')}\n</channel></rss>\n`;
}

export async function runCatalogUpload(options: CatalogUploadOptions): Promise<CatalogUploadOutcome> {
  const server = await startMainProcess({ args: ['--admin-token', ADMIN_TOKEN] });
  const pid = server.child.pid!;
  const put = (body: string): Promise<Response> =>
    fetch(`${server.url}/v1/admin/catalog`, { method: 'PUT', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/rss+xml' }, body });
  try {
    // Warm up: the worker thread starts on the first upload.
    await (await put(productFeed(10))).arrayBuffer();

    const empty = `<rss><channel>${'<item></item>'.repeat(options.emptyItems)}</channel></rss>`;
    const before = await memory(pid);
    let started = performance.now();
    const refused = await put(empty);
    const refusedBody = (await refused.json()) as { error?: { code: string; message: string } };
    const emptyMs = performance.now() - started;
    const after = await memory(pid);

    const feed = productFeed(options.products);
    const latencies: number[] = [];
    let non200 = 0;
    let uploading = true;
    const poll = (async () => {
      while (uploading) {
        const t = performance.now();
        const res = await fetch(`${server.url}/healthz`);
        await res.arrayBuffer();
        if (uploading) latencies.push(performance.now() - t);
        if (res.status !== 200) non200++;
      }
    })();
    started = performance.now();
    const res = await put(feed);
    const summary = (await res.json()) as { products?: number };
    const uploadMs = performance.now() - started;
    uploading = false;
    await poll;
    const sorted = latencies.sort((a, b) => a - b);
    return {
      emptyItems: {
        items: options.emptyItems,
        bytes: Buffer.byteLength(empty),
        status: refused.status,
        code: refusedBody.error?.code ?? '',
        message: refusedBody.error?.message ?? '',
        ms: Math.round(emptyMs),
        peakRssGrowthMb: Math.round((Math.max(after.peak, before.peak) - before.peak) / 1e5) / 10,
      },
      upload: { products: options.products, bytes: Buffer.byteLength(feed), status: res.status, storedProducts: summary.products ?? 0, ms: Math.round(uploadMs) },
      healthz: {
        samples: sorted.length,
        non200,
        p50Ms: Math.round(quantile(sorted, 0.5)),
        p90Ms: Math.round(quantile(sorted, 0.9)),
        p99Ms: Math.round(quantile(sorted, 0.99)),
        maxMs: Math.round(sorted.at(-1) ?? 0),
      },
    };
  } finally {
    await server.stop();
  }
}

/** `npm run bench -- abuse`: this attack at `FULL_SCALE`. */
export const benchmark: AbuseBenchmark = { scale: FULL_SCALE, run: () => runCatalogUpload(FULL_SCALE) };
