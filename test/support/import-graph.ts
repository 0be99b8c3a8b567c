/**
 * The repository's import graph and the rule it must keep: dependencies point one way,
 * `core` ← {`widget`, `edge-server`, `model-export`} ← `demo`, with no cycles among source files.
 *
 * Every relative module reference counts: static `import`/`export … from`, `import type`, dynamic
 * `import('…')`, and `new URL('…', import.meta.url)` (how a worker script or asset is referenced).
 * Tests colocated with the sources follow their folder's rule and may also use the shared test code
 * (`test/support/`, `test/fixtures/`); a test that needs two layers lives under `test/`. Code outside
 * the layers (`test/`, `bench/`, `scripts/`, build configs) may use any layer, but no layer uses it.
 */
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';

const LAYERS = ['core', 'widget', 'edge-server', 'model-export', 'demo'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import, besides itself. */
const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  core: [],
  widget: ['core'],
  'edge-server': ['core'],
  'model-export': ['core'],
  demo: ['core', 'widget', 'edge-server', 'model-export'],
};

/** Shared test code a colocated test may import, whatever its folder. */
const TEST_CODE = ['test/support/', 'test/fixtures/'];

const SCRIPT = /\.(ts|mts|mjs|js)$/;
const TEST_FILE = /\.test\.ts$/;

export interface Violation {
  kind: 'direction' | 'cycle';
  /** For `direction`: `from -> to`; for `cycle`: the files around it, the first repeated at the end. */
  files: string[];
}

/** Every module specifier a text names: static, type-only, side-effect and dynamic imports, re-exports, `require`. */
const specifiersOf = (text: string): string[] => ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName);

/** Repository-relative module references of one file's text (relative specifiers only). */
export function referencesOf(file: string, text: string): string[] {
  const specifiers = specifiersOf(text);
  for (const m of text.matchAll(/new URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)) specifiers.push(m[1]!);
  return specifiers
    .filter((s) => s.startsWith('./') || s.startsWith('../'))
    .map((s) => normalize(join(dirname(file), s.replace(/[?#].*$/, ''))));
}

function layerOf(file: string): Layer | null {
  const top = file.split('/')[0];
  return (LAYERS as readonly string[]).includes(top!) ? (top as Layer) : null;
}

/** Reads the references of every script among `files` (paths relative to `root`). */
export function importGraph(root: string, files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) if (SCRIPT.test(file)) graph.set(file, referencesOf(file, readFileSync(join(root, file), 'utf8')));
  return graph;
}

/** Every reference that points the wrong way, and every cycle among the layers' non-test files. */
export function violations(graph: ReadonlyMap<string, readonly string[]>): Violation[] {
  const found: Violation[] = [];
  for (const [from, targets] of graph) {
    const layer = layerOf(from);
    if (!layer) continue;
    const allowed = (to: string): boolean => {
      const target = layerOf(to);
      return target === layer || (target !== null && ALLOWED[layer].includes(target)) || (target === null && TEST_FILE.test(from) && TEST_CODE.some((p) => to.startsWith(p)));
    };
    for (const to of targets) if (!allowed(to)) found.push({ kind: 'direction', files: [from, to] });
    // A colocated test keeps its folder's rule through the test code it uses: whatever a support file
    // reaches, transitively, must be a layer the test's own folder may import.
    if (TEST_FILE.test(from)) {
      for (const [via, to] of reachedThroughTestCode(graph, targets)) if (!allowed(to)) found.push({ kind: 'direction', files: [from, `${to} (through ${via})`] });
    }
  }
  // Cycles: depth-first search over source files, reporting each back edge's loop once.
  const sources = [...graph.keys()].filter((f) => layerOf(f) && !TEST_FILE.test(f));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next) || !layerOf(next) || TEST_FILE.test(next)) continue;
      if (state.get(next) === 'open') found.push({ kind: 'cycle', files: [...path.slice(path.indexOf(next)), next] });
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of sources.sort()) if (!state.has(file)) visit(file);
  return found;
}

/** Each layer file that the test code among `targets` reaches, transitively, with the test-code file it was first reached through. */
function reachedThroughTestCode(graph: ReadonlyMap<string, readonly string[]>, targets: readonly string[]): Array<[string, string]> {
  const reached: Array<[string, string]> = [];
  const seen = new Set<string>();
  const queue: Array<[string, string]> = targets.filter((t) => TEST_CODE.some((p) => t.startsWith(p))).map((t) => [t, t]);
  while (queue.length > 0) {
    const [via, file] = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const next of graph.get(file) ?? []) {
      if (layerOf(next)) {
        if (!seen.has(next)) {
          seen.add(next);
          reached.push([via, next]);
        }
      } else if (TEST_CODE.some((p) => next.startsWith(p))) queue.push([via, next]);
    }
  }
  return reached;
}

export const describeViolation = (v: Violation): string => (v.kind === 'direction' ? `${v.files[0]} imports ${v.files[1]}` : `cycle: ${v.files.join(' -> ')}`);

/**
 * The web-standard code: all of `core/` (the widget and both server runtimes import it), the widget (it
 * runs in browsers) and the edge server outside `adapters/node` (the Workers adapter runs on workerd).
 * Tests run in Node only, so they may use it.
 */
const isWebStandard = (file: string): boolean =>
  /^(core|widget|edge-server)\//.test(file) && !file.startsWith('edge-server/adapters/node/') && !TEST_FILE.test(file) && SCRIPT.test(file);

/** Node built-ins (`node:fs`, bare `crypto`) that a web-standard file names: `file imports spec` each. */
export function nodeBuiltinUses(file: string, text: string): string[] {
  return isWebStandard(file) ? specifiersOf(text).filter((s) => isBuiltin(s)).map((s) => `${file} imports ${s}`) : [];
}
