/**
 * The chosen-next table in the widget: read by variant group (`choseNext`), and loaded only as the model's
 * signed artifact has it — the widget's own loader (`fetchModel`) in Node against the real edge server on
 * a loopback port, behind a proxy that tampers with what it forwards, as a compromised CDN would.
 */
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact } from '../../core/artifact/artifact.ts';
import { encodeNextSteps, type NextSteps } from '../../core/artifact/next-steps.ts';
import { generateKeyFile, type TrustedKey } from '../../core/artifact/signing.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { initWeights } from '../../core/model/weights.ts';
import { serveNode, type NodeServer } from '../../edge-server/adapters/node/serve.ts';
import { createApp } from '../../edge-server/app.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { publishArtifact } from '../../edge-server/models/registry.ts';
import { memoryWidget } from '../support/edge-server/fixtures.ts';
import { rejectedContractError } from '../support/contract-error.ts';
import { choseNext, NO_NEXT_STEPS } from '../../widget/ranking/next-steps.ts';
import { fetchModel } from '../../widget/runtime/model.ts';

const table = (next: Array<[string, string[]]>): NextSteps => ({ window: 1, minUsers: 5, perItem: 20, next: new Map(next) });

describe('choseNext', () => {
  it('answers by variant group: a pair of variants is a pair of their groups, a size switch is no step', () => {
    const group = (id: string): string => id.split(' ')[0]!;
    const chose = choseNext(table([['jacket L', ['mug', 'jacket M', 'hat 1']]]), group);
    expect(chose('jacket', 'mug')).toBe(true);
    expect(chose('jacket', 'hat')).toBe(true);
    expect(chose('jacket', 'jacket')).toBe(false);
    // Direction matters: shoppers chose the mug after the jacket, not the jacket after the mug.
    expect(chose('mug', 'jacket')).toBe(false);
    expect(chose('hat', 'mug')).toBe(false);
  });

  it('without a table (an artifact made before it), no pair has evidence', () => {
    expect(choseNext(undefined, (id) => id)).toBe(NO_NEXT_STEPS);
    expect(NO_NEXT_STEPS('a', 'b')).toBe(false);
  });
});

describe('the widget\'s model loader and the table', () => {
  const config: ModelConfig = { numItems: 4, dim: 8, blocks: 1, heads: 1, maxLen: 5 };
  const itemIds = ['a', 'b', 'c', 'd'];
  const shipped = table([['a', ['b']]]);
  let edge: NodeServer;
  let proxy: NodeServer;
  let trusted: TrustedKey[];
  /** What the proxy does to the next answer that passes through it. */
  let tamper: (path: string, body: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer> = (_, body) => body;

  beforeAll(async () => {
    const key = await generateKeyFile();
    trusted = [{ keyId: key.keyId, publicKey: key.publicKey }];
    const storage = createMemoryStorage();
    const artifact = await buildArtifact({ name: 'default', version: 'v1', config, itemIds, weights: initWeights(config, 2), quantization: 'float32', nextSteps: shipped }, key);
    await publishArtifact(storage, artifact, { trusted });
    edge = await serveNode({ port: 0, hostname: '127.0.0.1', app: createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}) }) });
    const front = new Hono();
    front.all('*', async (c) => {
      const res = await fetch(`${edge.url}${c.req.path}`);
      const body = tamper(c.req.path, new Uint8Array(await res.arrayBuffer()));
      return new Response(body, { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'application/octet-stream' } });
    });
    proxy = await serveNode({ port: 0, hostname: '127.0.0.1', app: front });
  });

  afterAll(async () => {
    await proxy?.close();
    await edge?.close();
  });

  const load = () => fetchModel({ server: proxy.url, model: 'default', trusted });
  const injected = encodeNextSteps(table([['a', ['b']], ['c', ['d']]]), itemIds);

  it('loads the table the model was signed with', async () => {
    tamper = (_, body) => body;
    const model = await load();
    expect([...model.nextSteps!.next]).toEqual([['a', ['b']]]);
  });

  it('refuses a model whose table bytes were changed on the way (a claim injected): its SHA-256 is signed', async () => {
    const manifest = (await (await fetch(`${edge.url}/v1/models/default/manifest`)).json()) as { nextSteps: { sha256: string } };
    tamper = (path, body) => (path === `/v1/blobs/${manifest.nextSteps.sha256}` ? injected : body);
    const err = await rejectedContractError(load(), 'integrity');
    expect(err.message).toContain('next-steps.json');
  });

  it('refuses a manifest re-pointed at an injected table: the signature no longer matches', async () => {
    const other = await buildArtifact({ name: 'default', version: 'v1', config, itemIds, weights: initWeights(config, 2), quantization: 'float32', nextSteps: table([['a', ['b']], ['c', ['d']]]) });
    tamper = (path, body) => {
      if (!path.endsWith('/manifest')) return body;
      const manifest = JSON.parse(new TextDecoder().decode(body)) as Record<string, unknown>;
      return new TextEncoder().encode(JSON.stringify({ ...manifest, nextSteps: other.manifest.nextSteps }));
    };
    await rejectedContractError(load(), 'bad_signature');
  });
});
