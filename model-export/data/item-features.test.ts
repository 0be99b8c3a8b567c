import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '../../core/errors.ts';
import { buildItemFeatures, featuresOf, priceBand, type ItemFeatures } from '../../core/model/features.ts';
import { ROOT } from '../../test/support/cli.ts';
import { CliError } from '../errors.ts';
import { readCatalogFile } from './catalog-file.ts';
import { modelItemFeatures, readAttributesFile } from './item-features.ts';

let dir: string;
const write = async (name: string, text: string): Promise<string> => {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
};

/** Item `i`'s feature names. */
const namesOf = (f: ItemFeatures, i: number): string[] => [...featuresOf(f, i)].map((v) => f.names[v - 1]!);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-features-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readAttributesFile (--attributes)', () => {
  it('reads the shared datasets\' format as attr:<id> names per item id', async () => {
    const file = await write('ok.json', '{"1": [3, 4, 3], "2": [4]}');
    expect(await readAttributesFile(file)).toEqual(
      new Map([
        ['1', ['attr:3', 'attr:4']],
        ['2', ['attr:4']],
      ]),
    );
  });

  it('refuses a file that is not JSON, naming the file and the format expected', async () => {
    const file = await write('bad.json', '{"1": [3,');
    const error = await readAttributesFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as Error).message).toMatch(/bad\.json: not valid JSON .*attribute id/);
  });

  it('refuses a JSON list, a bad entry (naming its item) and an empty object', async () => {
    await expect(readAttributesFile(await write('list.json', '[[1, 2]]'))).rejects.toThrow(/list\.json: must be a JSON object of item id/);
    const entry = readAttributesFile(await write('entry.json', '{"1": [3], "7": ["brand"]}'));
    await expect(entry).rejects.toBeInstanceOf(ContractError);
    await expect(entry).rejects.toThrow(/entry\.json: item "7" must map to a list of non-negative integer attribute ids/);
    await expect(readAttributesFile(await write('empty.json', '{}'))).rejects.toThrow(/names no item/);
  });

  it('says when the file cannot be read', async () => {
    await expect(readAttributesFile(join(dir, 'missing.json'))).rejects.toBeInstanceOf(CliError);
  });
});

describe('modelItemFeatures', () => {
  const byId = new Map([
    ['1', ['attr:5', 'attr:6']],
    ['2', ['attr:5']],
    ['3', ['attr:6', 'attr:7']],
    ['4', ['attr:8']],
    ['99', ['attr:5']], // not an item of the data
  ]);

  it('keeps the names two or more of the data\'s items share, and says how many items have one', () => {
    const { features, summary } = modelItemFeatures(['1', '2', '3', '4'], { attributes: { file: 'a.json', byId } });
    expect(features.names).toEqual(['attr:5', 'attr:6']);
    expect([1, 2, 3, 4].map((i) => namesOf(features, i))).toEqual([['attr:5', 'attr:6'], ['attr:5'], ['attr:6'], []]);
    expect(summary).toEqual({ names: 2, items: 3, of: 4, kinds: { attr: 2 } });
  });

  it('refuses an attributes file that names none of the data\'s items (another dataset\'s file)', () => {
    const call = () => modelItemFeatures(['a', 'b'], { attributes: { file: 'toys.attributes.json', byId } });
    expect(call).toThrow(ContractError);
    expect(call).toThrow(/toys\.attributes\.json: none of its 5 item ids is an item of the data .*another dataset/);
  });

  it('refuses features no two items share: nothing to learn, train with --no-features', () => {
    const lonely = new Map([
      ['1', ['attr:1']],
      ['2', ['attr:2']],
    ]);
    expect(() => modelItemFeatures(['1', '2'], { attributes: { file: 'a.json', byId: lonely } })).toThrow(/--no-features/);
  });

  it('with a catalog: each variant group has its category levels, brand and price band', async () => {
    const catalog = await readCatalogFile(join(ROOT, 'test/fixtures/ga4-export/catalog.tsv'));
    const itemIds = [...catalog.groups.groups.keys()].sort();
    const { features, summary } = modelItemFeatures(itemIds, { catalog });
    const rain = itemIds.indexOf('nw-jkt-rain') + 1;
    // 129 EUR shares its band with the 149 EUR trail boots.
    expect(namesOf(features, rain)).toEqual(['brand:northwind', 'cat:apparel', 'cat:apparel > jackets', `price:${priceBand(129)}`]);
    // The down jacket's band is its group's alone (two sizes, one item): not in the vocabulary.
    expect(features.names).not.toContain(`price:${priceBand(219)}`);
    expect(namesOf(features, itemIds.indexOf('nw-jkt-down') + 1)).toEqual(['brand:northwind', 'cat:apparel', 'cat:apparel > jackets']);
    expect(summary.items).toBe(itemIds.length);
    expect(summary.kinds).toMatchObject({ brand: 1, cat: expect.any(Number) });
  });

  it('with a catalog, an attribute entry of a variant counts for its group', async () => {
    const catalog = await readCatalogFile(join(ROOT, 'test/fixtures/ga4-export/catalog.tsv'));
    const itemIds = ['nw-jkt-rain', 'nw-jkt-down'];
    const attributes = { file: 'a.json', byId: new Map([['nw-jkt-rain-m', ['attr:9']], ['nw-jkt-down', ['attr:9']]]) };
    const { features } = modelItemFeatures(itemIds, { catalog, attributes });
    expect(namesOf(features, 1)).toContain('attr:9');
    expect(namesOf(features, 2)).toContain('attr:9');
  });
});

