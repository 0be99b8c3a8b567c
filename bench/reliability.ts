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
 * - Update decode amplification: what a 2 KB update declaring the largest model shape the codec allows
 *   (one value per tensor) costs the server's intake before it is refused.
 *
 * Writes `bench/results/reliability.json` (through `bench/run.ts`) and prints a table.
 */
import { decodeUpdate } from '../core/federated/codec.ts';
import { FUZZ_TARGETS, fuzzServer, runTarget, type FuzzOutcome } from '../test/reliability/fuzz-targets.ts';
import { amplifyingUpdate } from '../test/support/reliability/amplify.ts';
import { crashTrials, loadTest } from '../test/support/reliability/federated-server.ts';

const int = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

/**
 * What the crafted frame costs the server's intake (`POST /v1/updates` on a memory-storage app): it must
 * be refused without allocating the tensors it declares. Also what the codec's full decode would allocate.
 */
async function amplification(): Promise<{ bodyBytes: number; status: number; intakeMs: number; intakeAllocatedMiB: number; fullDecodeMiB: number }> {
  const s = await fuzzServer();
  const body = amplifyingUpdate('v2') as Uint8Array<ArrayBuffer>;
  let status = 0;
  let worst = 0;
  let ms = 0;
  for (let i = 0; i < 5; i++) {
    const before = process.memoryUsage().arrayBuffers;
    const t = performance.now();
    // With a real admission token, so the frame reaches the codec (a refused update gives the token back).
    const res = await s.app.request('/v1/updates', { method: 'POST', headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': `amplify-${i}-0123456789abcdef`, Authorization: s.tokens[0]! }, body });
    await res.text();
    ms = Math.max(ms, performance.now() - t);
    worst = Math.max(worst, process.memoryUsage().arrayBuffers - before);
    status = res.status;
  }
  let full = 0;
  try {
    for (const v of decodeUpdate(body, { maxRows: 64 }).dense.values()) full += v.byteLength;
  } catch {
    full = 0;
  }
  return { bodyBytes: body.byteLength, status, intakeMs: Math.round(ms * 10) / 10, intakeAllocatedMiB: Math.round(worst / 2 ** 20), fullDecodeMiB: Math.round(full / 2 ** 20) };
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
  const amp = await amplification();

  const rows: Array<[string, string]> = [
    ...fuzz.map((f): [string, string] => [`fuzz: ${f.target}`, `${f.cases.toLocaleString('en')} cases, ${f.failures} failures${f.stats ? ` (${Object.entries(f.stats).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`]),
    ['kill -9 of the Node server mid-round', `${crash.trials} trials: ${crash.acknowledged} updates acknowledged, ${crash.lost} lost, ${crash.countedTwice} counted twice, ${crash.rounds} rounds (${crash.badRounds} inconsistent)`],
    [`load: ${load.devices.toLocaleString('en')} devices for ${load.seconds} s`, `${load.acknowledged.toLocaleString('en')} acknowledged, ${load.stored.toLocaleString('en')} stored, ${load.lost} lost; ${load.updatesPerSecond}/s; p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms${Object.keys(load.other).length ? `; unanswered: ${Object.entries(load.other).map(([k, v]) => `${v} ${k}`).join(', ')}` : ''}`],
    ['update declaring a huge model (decode amplification)', `${amp.bodyBytes.toLocaleString('en')} B: intake answers ${amp.status} in ${amp.intakeMs} ms, ${amp.intakeAllocatedMiB} MiB allocated (a full decode would allocate ${amp.fullDecodeMiB} MiB)`],
  ];
  console.log(`\n| check | result |\n|---|---|\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}\n`);
  return {
    fuzz: Object.fromEntries(fuzz.map((f) => [f.target, { cases: f.cases, failures: f.failures, seed: f.seed, seconds: Math.round(f.ms / 100) / 10, ...(f.stats ? { answers: f.stats } : {}), ...(f.report ? { report: f.report } : {}) }])),
    killTrials: crash,
    load,
    updateDecodeAmplification: amp,
  };
}
