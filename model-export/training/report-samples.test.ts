/**
 * The training report's sample histories name what the shopper really had: `edge-recs train --catalog
 * --report` run for real, as a child process, on an apparel shop's Merchant Center feed (sizes under
 * `item_group_id`, whose first size is not the one shoppers viewed) and its event log. The model learns
 * groups; a history names the size the events name, and the model's items (recommendations) are named
 * as their group, never as one size standing for all.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ProcessRun, runEdgeRecs } from '../../test/support/cli.ts';

const HEADER = ['id', 'item_group_id', 'title', 'link', 'image_link', 'availability', 'price', 'product_type'];
const product = (id: string, group: string, title: string, price = '49.00 EUR'): string[] =>
  [id, group, title, `https://shop.example/p/${id}`, 'https://shop.example/i.png', 'in stock', price, 'Cycling > Apparel'];
const FEED = [
  HEADER,
  ...['S', 'M', 'L'].map((s) => product(`jersey-${s}`, 'jersey', `Aero Race Jersey, size ${s}`)),
  ...['S', 'M', 'L'].map((s) => product(`bib-${s}`, 'bib', `Pro Bib Shorts, size ${s}`)),
  ...['41', '42', '43'].map((s) => product(`shoe-${s}`, 'shoe', `Road Shoe RC3 ${s}`)),
  product('bottle', '', 'Insulated Bottle 750 ml'),
  product('gloves', '', 'Race Gloves'),
  product('cap', '', 'Cycling Cap'),
  product('socks', '', 'Merino Socks'),
]
  .map((row) => row.join('\t'))
  .join('\n');

/** Three shoppers (all the report samples), each viewing size L of the jersey, whose card would show size S. */
const HISTORIES: Record<string, string[]> = {
  u1: ['jersey-L', 'bottle', 'bib-M', 'gloves', 'shoe-43'],
  u2: ['jersey-L', 'bib-L', 'bottle', 'cap'],
  u3: ['shoe-42', 'jersey-L', 'socks', 'bottle'],
};
const EVENTS = [
  'client_id,timestamp,event_name,item_id',
  ...Object.entries(HISTORIES).flatMap(([user, ids]) => ids.map((id, i) => `${user},${1772352000 + i * 60},view_item,${id}`)),
].join('\n');

let dir: string;
let run: ProcessRun;
let samples: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-report-'));
  await writeFile(join(dir, 'feed.tsv'), FEED);
  await writeFile(join(dir, 'events.csv'), EVENTS);
  run = await runEdgeRecs(
    ['train', '--data', join(dir, 'events.csv'), '--catalog', join(dir, 'feed.tsv'), '--out', join(dir, 'model'), '--report', join(dir, 'report.html'), '--epochs', '1', '--dim', '8', '--blocks', '1', '--max-len', '8', '--seed', '3', '--json'],
    { timeoutMs: 90_000 },
  );
  if (run.code === 0) {
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    samples = html.slice(html.indexOf('<div id="samples">'), html.indexOf('<h2>Artifact sizes</h2>'));
  }
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('names each history item as the size the shopper had, and each recommendation as its group', () => {
  expect(run.code, run.stderr).toBe(0);
  const histories = [...samples.matchAll(/<p>History[^:]*: (.*?)<\/p>/g)].map((m) => m[1]!);
  expect(histories).toHaveLength(3);
  for (const history of histories) {
    expect(history).toContain('Aero Race Jersey, size L <code>jersey-L</code>');
    expect(history, 'no size the shopper did not have').not.toMatch(/size S|size M <code>jersey|Road Shoe RC3 41/);
  }
  expect(samples).toContain('Pro Bib Shorts, size M <code>bib-M</code>');
  // The held-out next item, as the size it was.
  const next = [...samples.matchAll(/<p>Next in reality \(held out\): (.*?)<\/p>/g)].map((m) => m[1]!);
  expect(next.sort()).toEqual(['Cycling Cap <code>cap</code>', 'Insulated Bottle 750 ml <code>bottle</code>', 'Road Shoe RC3 43 <code>shoe-43</code>']);
  // Recommendations are the model's items, variant groups: named by the group.
  const recommended = [...samples.matchAll(/<li[^>]*>(.*?)<\/li>/g)].map((m) => m[1]!);
  expect(recommended.length).toBeGreaterThan(0);
  for (const item of recommended) expect(item).not.toMatch(/size [SML]|RC3 4\d/);
  expect(recommended.some((item) => /^(Aero Race Jersey <code>jersey<\/code>|Pro Bib Shorts <code>bib<\/code>|Road Shoe RC3 <code>shoe<\/code>)$/.test(item))).toBe(true);
});
