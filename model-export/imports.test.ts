/**
 * The CLI's modules import one another one way: no circle of static imports (type-only ones included) among
 * `model-export/*.ts`. A circle ties its files together (none can be read, tested or loaded without the
 * others), and the options' defaults in particular must stay loadable without the tfjs code that uses them
 * (`defaults.ts`, `cli-startup.test.ts`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Relative specifiers of a module's static `import … from`, `export … from` and `import '…'` lines. */
function staticImports(source: string): string[] {
  const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^;'"]*?(?:\bfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return [...new Set(specifiers)];
}

/** Every circle of imports in `graph`, each as the path that closes it (`a -> b -> a`). */
function circles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      found.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) visit(next);
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) visit(file);
  return found;
}

it('has no circle of imports among the CLI modules', async () => {
  const files = (await readdir(HERE)).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
  const graph = new Map<string, string[]>();
  for (const name of files) {
    const imports = staticImports(await readFile(join(HERE, name), 'utf8'));
    // Only this folder's own modules: core/ and the others are below it and never import it.
    graph.set(name, imports.map((spec) => normalize(spec)).filter((spec) => files.includes(spec)));
  }
  expect(graph.get('trainer.ts')).toContain('defaults.ts');
  expect(circles(graph)).toEqual([]);
});
