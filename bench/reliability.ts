/**
 * `npm run bench -- reliability`: the reliability harnesses of `test/reliability/` at scale.
 *
 * - Fuzzing: 10,000 generated inputs per target (`RELIABILITY_FUZZ_CASES`): every edge-server route on a
 *   fresh memory-storage app, the event parser and dataLayer bridge, the TSV/XML feed parsers, the
 *   artifact loader and the update codec. Failures print fast-check's seed and counterexample.
 * - kill -9: SIGKILL of the Node server at random points of upload bursts, `RELIABILITY_KILL_TRIALS`
 *   (default 30) times, then the disk is checked: acknowledged updates lost, updates counted twice.
 * - Load: 1,000 concurrent simulated devices (`RELIABILITY_DEVICES`) uploading valid updates for 60 s
 *   (`RELIABILITY_SECONDS`) to the Node server on loopback (fsynced round store), each update with a
 *   fresh client token; acknowledged vs stored, latency quantiles.
 * - Update decode amplification: the bytes a crafted update makes the server allocate before it can
 *   refuse it (a frame declaring the largest shape the codec allows, one value per tensor).
 *
 * Writes `bench/results/reliability.json` (through `bench/run.ts`) and prints a table.
 */
import { decodeUpdate } from '../core/federated/codec.ts';
import { paramShapes, type ModelConfig } from '../core/model/config.ts';
import { FUZZ_TARGETS, runTarget, type FuzzOutcome } from '../test/reliability/fuzz-targets.ts';
import { crashTrials, loadTest } from '../test/reliability/support/federated-server.ts';

const int = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

/** An update frame that declares the largest shape `parseModelConfig` allows, with one value per dense tensor. */
function amplifyingUpdate(): Uint8Array {
  const out: number[] = [0x45, 0x52, 0x55, 1, 2];
  const varint = (n: number): void => {
    do {
      let b = n & 0x7f;
      n = Math.floor(n / 128);
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
  };
  const str = (s: string): void => {
    varint(s.length);
    for (const c of s) out.push(c.charCodeAt(0));
  };
  str('default');
  str('v1');
  for (let i = 0; i < 16; i++) out.push(i);
  const config: ModelConfig = { numItems: 5, dim: 1024, blocks: 16, heads: 1, maxLen: 1024 };
  for (const v of [config.numItems, config.dim, config.blocks, config.heads, config.maxLen]) varint(v);
  const shapes = paramShapes(config);
  varint(shapes.length - 1);
  for (let p = 1; p < shapes.length; p++) {
    varint(p);
    out.push(1); // sparse
    varint(1); // one value
    varint(0); // at index 0
    out.push(0, 0, 0, 0); // float32 0
  }
  varint(0);
  return Uint8Array.from(out);
}

function amplification(): { bodyBytes: number; allocatedBytes: number; ratio: number } {
  const body = amplifyingUpdate();
  const update = decodeUpdate(body, { maxRows: 64 });
  let allocated = 0;
  for (const v of update.dense.values()) allocated += v.byteLength;
  return { bodyBytes: body.byteLength, allocatedBytes: allocated, ratio: Math.round(allocated / body.byteLength) };
}

export async function run(): Promise<Record<string, unknown>> {
  const cases = int('RELIABILITY_FUZZ_CASES', 10_000);
  const fuzz: FuzzOutcome[] = [];
  for (const target of FUZZ_TARGETS) {
    const outcome = await runTarget(target, cases);
    if (outcome.report) console.error(outcome.report);
    console.error(`fuzz ${target.name}: ${outcome.cases} cases, ${outcome.failures} failures, ${(outcome.ms / 1000).toFixed(1)} s (seed ${outcome.seed})`);
    fuzz.push(outcome);
  }
  const killTrials = int('RELIABILITY_KILL_TRIALS', 30);
  const crash = await crashTrials({ trials: killTrials, seed: Date.now() % 100_000 });
  console.error(`kill -9: ${JSON.stringify(crash)}`);
  const load = await loadTest({ devices: int('RELIABILITY_DEVICES', 1000), seconds: int('RELIABILITY_SECONDS', 60) });
  console.error(`load: ${JSON.stringify(load)}`);
  const amp = amplification();

  const rows: Array<[string, string]> = [
    ...fuzz.map((f): [string, string] => [`fuzz: ${f.target}`, `${f.cases.toLocaleString('en')} cases, ${f.failures} failures${f.stats ? ` (${Object.entries(f.stats).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`]),
    ['kill -9 of the Node server mid-round', `${crash.trials} trials: ${crash.acknowledged} updates acknowledged, ${crash.lost} lost, ${crash.countedTwice} counted twice, ${crash.rounds} rounds (${crash.badRounds} inconsistent)`],
    [`load: ${load.devices.toLocaleString('en')} devices for ${load.seconds} s`, `${load.acknowledged.toLocaleString('en')} acknowledged, ${load.stored.toLocaleString('en')} stored, ${load.lost} lost; ${load.updatesPerSecond}/s; p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms${Object.keys(load.other).length ? `; unanswered: ${Object.entries(load.other).map(([k, v]) => `${v} ${k}`).join(', ')}` : ''}`],
    ['update decode amplification', `${amp.bodyBytes.toLocaleString('en')} B in -> ${(amp.allocatedBytes / 2 ** 20).toFixed(0)} MiB allocated (${amp.ratio.toLocaleString('en')}x)`],
  ];
  console.log(`\n| check | result |\n|---|---|\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}\n`);
  return {
    fuzz: Object.fromEntries(fuzz.map((f) => [f.target, { cases: f.cases, failures: f.failures, seed: f.seed, seconds: Math.round(f.ms / 100) / 10, ...(f.stats ? { answers: f.stats } : {}), ...(f.report ? { report: f.report } : {}) }])),
    killTrials: crash,
    load,
    updateDecodeAmplification: amp,
  };
}
