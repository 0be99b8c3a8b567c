import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config.ts';
import { initWeights } from '../model/weights.ts';
import { rejectedContractError, thrownContractError } from '../../test/support/contract-error.ts';
import { buildArtifact, loadArtifact, type Artifact } from './artifact.ts';
import { utf8 } from './bytes.ts';
import { manifestFiles, parseManifest } from './manifest.ts';
import { encodeNextSteps, NEXT_STEPS_FILE, parseNextSteps, type NextSteps } from './next-steps.ts';
import { generateKeyFile } from './signing.ts';

const config: ModelConfig = { numItems: 5, dim: 4, blocks: 1, heads: 2, maxLen: 3 };
const itemIds = ['a', 'b', 'c', 'd', 'e'];
const table: NextSteps = { window: 1, minUsers: 5, perItem: 20, next: new Map([['c', ['a', 'e']], ['a', ['b']]]) };

const build = async (nextSteps?: NextSteps, signed = true): Promise<Artifact> =>
  buildArtifact(
    { name: 'default', version: 'v1', config, itemIds, weights: initWeights(config, 3), quantization: 'uint8', ...(nextSteps && { nextSteps }) },
    signed ? key : undefined,
  );
const key = await generateKeyFile();
const trusted = [{ keyId: key.keyId, publicKey: key.publicKey }];
const files = (a: Artifact, replace: Record<string, Uint8Array> = {}) => async (ref: { path: string }) => replace[ref.path] ?? a.files.get(ref.path)!;

describe('next-steps.json', () => {
  it('is compact JSON of model indices, rows in item order, and reads back as the same table', () => {
    const bytes = encodeNextSteps(table, itemIds);
    expect(JSON.parse(utf8.decode(bytes))).toEqual({ format: 'edge-recs-next-steps/1', window: 1, minUsers: 5, perItem: 20, next: [[1, 2], [3, 1, 5]] });
    const read = parseNextSteps(bytes, itemIds);
    expect({ ...read, next: [...read.next] }).toEqual({ window: 1, minUsers: 5, perItem: 20, next: [['a', ['b']], ['c', ['a', 'e']]] });
  });

  it.each([
    ['not JSON', '{', /not valid UTF-8 JSON/],
    ['another format', '{"format":"x"}', /format must be "edge-recs-next-steps\/1"/],
    ['a window past 3', '{"format":"edge-recs-next-steps/1","window":4,"minUsers":5,"perItem":2,"next":[]}', /window must be an integer 1-3/],
    ['k of one shopper', '{"format":"edge-recs-next-steps/1","window":1,"minUsers":1,"perItem":2,"next":[]}', /minUsers must be an integer of at least 2/],
    ['an index past the model', '{"format":"edge-recs-next-steps/1","window":1,"minUsers":5,"perItem":2,"next":[[1,6]]}', /next\[0\] must be \[x, y, \.\.\.\]/],
    ['more than perItem', '{"format":"edge-recs-next-steps/1","window":1,"minUsers":5,"perItem":1,"next":[[1,2,3]]}', /next\[0\]/],
    ['an item after itself', '{"format":"edge-recs-next-steps/1","window":1,"minUsers":5,"perItem":2,"next":[[1,1]]}', /not 1 itself/],
    ['an item listed twice', '{"format":"edge-recs-next-steps/1","window":1,"minUsers":5,"perItem":2,"next":[[1,2],[1,3]]}', /item 1 is listed twice/],
  ])('refuses %s, naming the file and the field', (_what, text, message) => {
    const err = thrownContractError(() => parseNextSteps(utf8.encode(text), itemIds), 'integrity');
    expect(err.message).toMatch(/^next-steps\.json: /);
    expect(err.message).toMatch(message);
  });
});

describe('an artifact with a chosen-next table', () => {
  it('lists the table in the signed manifest with its size and SHA-256, and loads it verified', async () => {
    const artifact = await build(table);
    const ref = artifact.manifest.nextSteps!;
    expect(ref).toMatchObject({ path: NEXT_STEPS_FILE, bytes: artifact.files.get(NEXT_STEPS_FILE)!.byteLength });
    expect(manifestFiles(artifact.manifest).map((f) => f.path)).toEqual(['items.json', NEXT_STEPS_FILE, 'group1-shard1of1.bin']);
    const loaded = await loadArtifact(JSON.parse(JSON.stringify(artifact.manifest)), files(artifact), { trusted });
    expect([...loaded.nextSteps!.next]).toEqual([['a', ['b']], ['c', ['a', 'e']]]);
  });

  it('refuses a table whose bytes were changed (a claim injected), and one re-pointed in the manifest', async () => {
    const artifact = await build(table);
    const injected = encodeNextSteps({ ...table, next: new Map([...table.next, ['d', ['e']]]) }, itemIds);
    const changed = await rejectedContractError(loadArtifact(artifact.manifest, files(artifact, { [NEXT_STEPS_FILE]: injected }), { trusted }), 'integrity');
    expect(changed.message).toContain(NEXT_STEPS_FILE);
    // The manifest edited to name the injected table: the signature no longer matches.
    const raw = JSON.parse(JSON.stringify(artifact.manifest));
    const other = await build({ ...table, next: new Map([...table.next, ['d', ['e']]]) }, false);
    raw.nextSteps = other.manifest.nextSteps;
    await rejectedContractError(loadArtifact(raw, files(artifact, { [NEXT_STEPS_FILE]: injected }), { trusted }), 'bad_signature');
    // Or a table added to a signed artifact that had none.
    const without = JSON.parse(JSON.stringify((await build()).manifest));
    without.nextSteps = other.manifest.nextSteps;
    await rejectedContractError(loadArtifact(without, files(other), { trusted }), 'bad_signature');
  });

  it('an artifact without one (made before it existed) loads with no table', async () => {
    const artifact = await build();
    expect(artifact.manifest.nextSteps).toBeUndefined();
    expect([...artifact.files.keys()]).not.toContain(NEXT_STEPS_FILE);
    const loaded = await loadArtifact(artifact.manifest, files(artifact), { trusted });
    expect(loaded.nextSteps).toBeUndefined();
  });

  it('refuses a manifest whose table path is another file\'s', async () => {
    const raw = JSON.parse(JSON.stringify((await build(table)).manifest));
    raw.nextSteps.path = 'items.json';
    expect(thrownContractError(() => parseManifest(raw), 'bad_manifest').message).toContain('nextSteps.path');
  });
});
