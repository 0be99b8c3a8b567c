/**
 * `edge-recs experiment start|status|stop` run for real (child processes through the bin script) against
 * a real edge server in this process (`@hono/node-server` on a loopback port), as `release.test.ts` runs
 * the other admin commands. Each test checks what the server holds afterwards, not only what is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactForm } from '../../core/artifact/upload.ts';
import { serveNode, type NodeServer } from '../../edge-server/adapters/node/serve.ts';
import { createApp } from '../../edge-server/app.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { memoryWidget, signer, tinyArtifact } from '../support/edge-server/fixtures.ts';
import { type ProcessRun, runEdgeRecs } from '../support/cli.ts';

/** Each command loads no tfjs: under a second, a few on a loaded 2-core machine. */
const CLI_TIMEOUT = 60_000;
const TOKEN = 'experiment-test-token-0123456789';

const edgeRecs = (args: string[]): Promise<ProcessRun> => runEdgeRecs(args, { timeoutMs: 30_000 });

let server: NodeServer;
let admin: string[];

beforeAll(async () => {
  const { key, trusted } = await signer();
  // k = 1: every figure shown, so the printed read-out can be checked whole.
  server = await serveNode({ port: 0, hostname: '127.0.0.1', app: createApp({ storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN], analytics: { suppressBelow: 1 } }) });
  const res = await fetch(`${server.url}/v1/admin/models/default/versions`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: artifactForm(await tinyArtifact(key, 'v1')) });
  expect(res.status).toBe(201);
  admin = ['--server', server.url, '--token', TOKEN];
});

afterAll(async () => {
  await server?.close();
});

const running = async (): Promise<unknown> => ((await (await fetch(`${server.url}/v1/popular?model=default`)).json()) as { experiment: unknown }).experiment;

describe('edge-recs experiment', { timeout: CLI_TIMEOUT }, () => {
  it('starts an experiment, prints its read-out in plain text, and stops it', async () => {
    const none = await edgeRecs(['experiment', 'status', ...admin]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/^default: no experiment has run; start one with: edge-recs experiment start --model default/);

    const start = await edgeRecs(['experiment', 'start', '--model', 'default', '--name', 'spring-test', '--holdout', '0.1', '--control', 'bestsellers', ...admin]);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(/^default: experiment spring-test started at \d{4}-\d\d-\d\dT.*; 10% of devices are in control and see the non-personalized fallback/);
    expect(await running()).toMatchObject({ name: 'spring-test', holdout: 0.1, control: 'bestsellers' });
    // No bestseller list on this server: the control would be catalog order, and the merchant is told.
    expect(start.stderr).toMatch(/^warning: model default has no bestseller list/m);

    const again = await edgeRecs(['experiment', 'start', '--name', 'other', ...admin]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('experiment_running: model default already runs experiment "spring-test"');

    const batch = {
      model: 'default',
      counters: [],
      experiments: [
        { experiment: 'spring-test', arm: 'treatment', sessions: 600, cartSessions: 120, purchaseSessions: 90, orders: 92 },
        { experiment: 'spring-test', arm: 'control', sessions: 300, cartSessions: 40, purchaseSessions: 30, orders: 30 },
      ],
      experimentRevenue: [
        { experiment: 'spring-test', arm: 'treatment', currency: 'EUR', amount: 60_000, squares: 60_000 ** 2 },
        { experiment: 'spring-test', arm: 'control', currency: 'EUR', amount: 10_000, squares: 10_000 ** 2 },
      ],
    };
    expect((await fetch(`${server.url}/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch) })).status).toBe(202);
    const status = await edgeRecs(['experiment', 'status', '--model', 'default', ...admin]);
    expect(status.code, status.stderr).toBe(0);
    const lines = status.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^default: experiment spring-test \(running since \d{4}-.*; 10% of devices in control, shown the non-personalized fallback/);
    expect(lines[1]!.trim().split(/\s{2,}/)).toEqual(['arm', 'sessions', 'conversions', 'conv. rate', 'orders', 'revenue (EUR)', 'per session']);
    expect(lines[2]!.trim().split(/\s+/)).toEqual(['treatment', '600', '90', '15.00%', '92', '600.00', '1.00']);
    expect(lines[3]!.trim().split(/\s+/)).toEqual(['control', '300', '30', '10.00%', '30', '100.00', '0.33']);
    expect(lines[4]).toMatch(/^ {2}uplift in conversion rate: +[+-]\d+\.\d% \(95% interval [+-]\d+\.\d% to [+-]\d+\.\d%\)$/);
    expect(lines[6]).toMatch(/^ {2}verdict: \S/);
    const json = await edgeRecs(['experiment', 'status', '--json', ...admin]);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'spring-test', arms: [{ arm: 'treatment', sessions: 600 }, { arm: 'control', sessions: 300 }] });

    const stop = await edgeRecs(['experiment', 'stop', ...admin]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/^default: experiment spring-test ended at \d{4}-.*Its read-out stays/);
    expect(await running()).toBeNull();
    const after = await edgeRecs(['experiment', 'status', ...admin]);
    expect(after.stdout).toMatch(/^default: experiment spring-test \(ran \d{4}-.* to \d{4}-/);
    const twice = await edgeRecs(['experiment', 'stop', ...admin]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('no_experiment: model default runs no experiment');
  });

  it('refuses bad flags before asking the server, listing the valid choices, and names --model for an unknown model', async () => {
    const [holdout, control, name, model] = await Promise.all([
      edgeRecs(['experiment', 'start', '--name', 'x', '--holdout', '0.9', ...admin]),
      edgeRecs(['experiment', 'start', '--name', 'x', '--control', 'random', ...admin]),
      edgeRecs(['experiment', 'start', '--name', 'no spaces', ...admin]),
      edgeRecs(['experiment', 'start', '--name', 'x', '--model', 'shop', ...admin]),
    ]);
    expect(holdout.code).toBe(2);
    expect(holdout.stderr).toContain('--holdout must be the control arm\'s share of devices, 0.01-0.5 (got "0.9")');
    expect(control.code).not.toBe(0);
    expect(control.stderr).toContain('--control must be one of bestsellers, none (got "random")');
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('--name must be 1-64 letters');
    expect(model.code).toBe(1);
    expect(model.stderr).toContain('unknown_model');
    expect(model.stderr).toContain('--model picks the model');
    const { experiment, ended } = (await (await fetch(`${server.url}/v1/admin/models/default/experiment`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as { experiment: { name: string } | null; ended: Array<{ name: string }> };
    expect([experiment, ...ended].map((e) => e?.name)).not.toContain('x');
  });
});
