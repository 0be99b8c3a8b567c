import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyFile, type KeyFile } from '../../core/artifact/signing.ts';
import { readKeyFile } from './artifact-fs.ts';
import { CliError } from '../errors.ts';

let dir: string;
let key: Required<KeyFile>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-key-file-'));
  key = await generateKeyFile();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refusal(name: string, text: string | undefined, needs?: Parameters<typeof readKeyFile>[1]): Promise<CliError> {
  const path = join(dir, name);
  if (text !== undefined) await writeFile(path, text);
  const err = await readKeyFile(path, needs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CliError);
  expect((err as CliError).exitCode).toBe(1);
  return err as CliError;
}

describe('readKeyFile', () => {
  it('reads the private file of edge-recs keygen', async () => {
    await writeFile(join(dir, 'release.json'), `${JSON.stringify(key, null, 2)}\n`);
    expect(await readKeyFile(join(dir, 'release.json'), { privateKey: 'required' })).toEqual(key);
  });

  it('refuses a missing, non-JSON or ill-shaped file with a message naming the file and the field', async () => {
    expect((await refusal('missing.json', undefined)).message).toBe(`${join(dir, 'missing.json')}: not found (make a key file with "edge-recs keygen")`);
    expect((await refusal('text.json', 'hello')).message).toMatch(/text\.json: not JSON; expected \{"alg":"Ed25519"/);
    expect((await refusal('id.json', JSON.stringify({ ...key, keyId: 7 }))).message).toBe(`${join(dir, 'id.json')}: keyId must be 16 lowercase hex digits (got 7)`);
  });

  it('refuses a public file where a signing key is needed', async () => {
    const { privateKey: _secret, ...pub } = key;
    expect((await refusal('release.pub.json', JSON.stringify(pub), { privateKey: 'required' })).message).toMatch(/release\.pub\.json: holds no private key/);
  });
});
