/**
 * Dependencies point one way — core ← {widget, edge-server, model-export} ← demo — and source files form
 * no import cycle. Walks every file git knows, in every folder; the rule itself is in
 * test/support/import-graph.ts.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeViolation, importGraph, referencesOf, violations } from '../support/import-graph.ts';

const root = join(import.meta.dirname, '../..');

describe('import graph', () => {
  it('every import in the repository points the allowed way, with no cycle', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
    const graph = importGraph(root, files);
    // The walk reaches every layer's subfolders, not just their top level.
    expect([...graph.keys()].filter((f) => f.split('/').length > 3).length).toBeGreaterThan(50);
    expect(violations(graph).map(describeViolation)).toEqual([]);
  });

  it('reads static, type-only, re-exported, dynamic and URL references, relative ones only', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../core/b.ts';",
      "export { c } from './sub/c.ts';",
      "const d = await import('../demo/d.ts');",
      "new Worker(new URL('./worker.mjs', import.meta.url));",
      "import { Hono } from 'hono';",
      "import url from './asset.svg?url';",
    ].join('\n');
    expect(referencesOf('widget/x.ts', text).sort()).toEqual(['core/b.ts', 'demo/d.ts', 'widget/a.ts', 'widget/asset.svg', 'widget/sub/c.ts', 'widget/worker.mjs'].sort());
  });

  it('flags an import against the direction, and allows the permitted ones', () => {
    const graph = new Map([
      ['core/a.ts', ['widget/b.ts']],
      ['widget/b.ts', ['core/c.ts']],
      ['edge-server/d.ts', ['model-export/e.ts']],
      ['model-export/e.ts', ['demo/f.ts']],
      ['demo/f.ts', ['widget/b.ts', 'core/c.ts']],
      ['widget/b.test.ts', ['test/support/g.ts', 'edge-server/d.ts']],
      ['widget/h.ts', ['test/support/g.ts']],
      ['test/support/g.ts', ['demo/f.ts']],
      ['core/c.ts', []],
    ]);
    expect(violations(graph).map(describeViolation)).toEqual([
      'core/a.ts imports widget/b.ts',
      'edge-server/d.ts imports model-export/e.ts',
      'model-export/e.ts imports demo/f.ts',
      'widget/b.test.ts imports edge-server/d.ts',
      'widget/h.ts imports test/support/g.ts',
    ]);
  });

  it('finds a cycle among source files in one layer, but not through a test', () => {
    const graph = new Map([
      ['edge-server/app.ts', ['edge-server/ops.ts']],
      ['edge-server/ops.ts', ['edge-server/app.ts']],
      ['core/x.ts', ['core/x.test.ts']],
      ['core/x.test.ts', ['core/x.ts']],
    ]);
    expect(violations(graph).map(describeViolation)).toEqual(['cycle: edge-server/app.ts -> edge-server/ops.ts -> edge-server/app.ts']);
  });
});
