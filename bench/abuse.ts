/**
 * `npm run bench -- abuse`: every attack of `test/abuse/` at the scale of issue 14 (each harness's
 * `FULL_SCALE`), against the real server, printing each outcome. `npm test` runs the same harnesses
 * small and asserts the outcome; here they only report. `ABUSE_ONLY=name,name` runs some of them and
 * keeps the others' last figures.
 *
 * Writes `bench/results/abuse.json` (through `bench/run.ts`).
 */
import { readFile } from 'node:fs/promises';

interface Harness {
  FULL_SCALE: Record<string, unknown>;
}

/** Attack name → its harness module and the function that runs it. */
const ATTACKS: Record<string, () => Promise<{ module: Harness; run: (scale: never) => Promise<unknown> }>> = {
  sybil: async () => {
    const m = await import('../test/abuse/sybil.ts');
    // Its full scale is two runs (the default cohort, and `cohort: 50`), one after the other.
    const runs = async (scale: typeof m.FULL_SCALE): Promise<unknown[]> => {
      const outcomes = [];
      for (const one of scale.runs) outcomes.push(await m.sybil(one));
      return outcomes;
    };
    return { module: m, run: runs };
  },
  admission: async () => {
    const m = await import('../test/abuse/admission.ts');
    return { module: m, run: m.admissionAttack };
  },
  'sybil-residual-risk': async () => {
    const m = await import('../test/abuse/sybil-simulation.ts');
    return { module: m as unknown as Harness, run: (scale: never) => m.residualRisk(scale, (line) => console.log(`  ${line}`)) };
  },
  'catalog-links': async () => {
    const m = await import('../test/abuse/catalog-links.ts');
    return { module: m, run: m.runCatalogLinks };
  },
  'catalog-upload': async () => {
    const m = await import('../test/abuse/catalog-upload.ts');
    return { module: m, run: m.runCatalogUpload };
  },
  'unknown-names': async () => {
    const m = await import('../test/abuse/unknown-names.ts');
    return { module: m, run: m.unknownNames };
  },
  'deep-json': async () => {
    const m = await import('../test/abuse/deep-json.ts');
    return { module: m, run: m.deepJson };
  },
  'metrics-flood': async () => {
    const m = await import('../test/abuse/metrics-flood.ts');
    return { module: m, run: m.metricsFlood };
  },
  'dashboard-session': async () => {
    const m = await import('../test/abuse/dashboard-session.ts');
    return { module: m, run: m.dashboardSession };
  },
  'etag-supercookie': async () => {
    const m = await import('../test/abuse/etag-supercookie.ts');
    return { module: m, run: m.etagSupercookie };
  },
};

async function previous(): Promise<Record<string, unknown>> {
  try {
    const last = JSON.parse(await readFile('bench/results/abuse.json', 'utf8')) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(last).filter(([name]) => name in ATTACKS));
  } catch {
    return {};
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const only = (process.env.ABUSE_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((n) => !(n in ATTACKS));
  if (unknown.length > 0) throw new Error(`ABUSE_ONLY names no attack ${unknown.join(', ')}; choose from ${Object.keys(ATTACKS).join(', ')}`);
  // With ABUSE_ONLY, the other attacks' last figures stay in the results file.
  const results: Record<string, unknown> = only.length > 0 ? await previous() : {};
  for (const [name, load] of Object.entries(ATTACKS)) {
    if (only.length > 0 && !only.includes(name)) continue;
    const { module, run: attack } = await load();
    const started = performance.now();
    console.log(`abuse: ${name} at ${JSON.stringify(module.FULL_SCALE)}...`);
    const outcome = await attack(module.FULL_SCALE as never);
    results[name] = { scale: module.FULL_SCALE, seconds: Math.round((performance.now() - started) / 100) / 10, outcome };
    console.log(`abuse: ${name}: ${JSON.stringify(outcome)}`);
  }
  return results;
}
