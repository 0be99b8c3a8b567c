import { afterAll, describe, expect, it } from 'vitest';
import { utf8, type Bytes } from '../../../core/artifact/bytes.ts';
import { ContractError } from '../../../core/errors.ts';
import { inlineCatalogParser, type CatalogParser, type CatalogParseInput } from '../../catalog/parse.ts';
import { workerCatalogParser } from './catalog-parser.ts';

const HEADER = 'id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type\tdescription';
const feed = (n: number, link = (i: number): string => `https://shop.example/p/${i}`): Bytes =>
  utf8.encode([HEADER, ...Array.from({ length: n }, (_, i) => `sku-${i}\tProduct ${i}\t${link(i)}\t/i/${i}.jpg\t${i + 1}.99 EUR\tin stock\tHome > Kitchen\t${'words '.repeat(60)}`)].join('\n'));
const input = (body: Bytes, maxItems = 200_000): CatalogParseInput => ({ body, format: 'tsv', maxItems });

/** How many times the main thread's event loop turned while `parse` ran: 0 when the parse held it throughout. */
async function turnsDuring(parse: CatalogParser, body: Bytes): Promise<number> {
  let turns = 0;
  let running = true;
  const spin = (): void => {
    turns++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  turns = 0;
  const started = parse(input(body));
  const countAtStart = turns;
  await started.finally(() => (running = false));
  return turns - countAtStart;
}

describe('workerCatalogParser', () => {
  const parser = workerCatalogParser();
  afterAll(() => parser.close());

  it('gives the bytes the inline parser gives', async () => {
    const [inWorker, inline] = [await parser(input(feed(50))), await inlineCatalogParser(input(feed(50)))];
    // A TSV feed's updatedAt is the time it was read.
    const products = (json: Uint8Array): unknown => (JSON.parse(Buffer.from(json).toString()) as { products: unknown }).products;
    expect(products(inWorker.json)).toEqual(products(inline.json));
    expect([inWorker.products, inWorker.groups]).toEqual([inline.products, inline.groups]);
    expect(inWorker.products).toBe(50);
  });

  it("refuses a bad feed with the core parser's ContractError (a 400), and parses the next one", async () => {
    const refused = await parser(input(feed(3, (i) => (i === 2 ? 'javascript:alert(1)' : '/p')))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ContractError);
    expect(refused).toMatchObject({ code: 'bad_catalog', message: expect.stringContaining('line 4 "sku-2": field "link" has the scheme "javascript:"') });
    const over = await parser(input(feed(3), 2)).catch((e: unknown) => e);
    expect(over).toMatchObject({ code: 'too_many_items' });
    expect((await parser(input(feed(2)))).products).toBe(2);
  });

  it('leaves the event loop running while it parses; the inline parser holds it until done', async () => {
    const body = feed(5_000);
    await parser(input(feed(1)));
    expect(await turnsDuring(parser, body.slice())).toBeGreaterThan(0);
    expect(await turnsDuring(inlineCatalogParser, body.slice())).toBe(0);
  });

  it('queues uploads that arrive together and answers each', async () => {
    const results = await Promise.all([1, 2, 3].map((n) => parser(input(feed(n)))));
    expect(results.map((r) => r.products)).toEqual([1, 2, 3]);
  });
});
