/**
 * Dependencies point one way — core ← {widget, edge-server, model-export} ← demo — and source files form
 * no import cycle. Walks every file git knows, in every folder; the rule itself is in
 * test/support/import-graph.ts. Also keeps Node built-ins out of the code that must run in browsers and on
 * workerd.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { describeViolation, importGraph, nodeBuiltinUses, referencesOf, violations } from '../support/import-graph.ts';

const root = join(import.meta.dirname, '../..');
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);

describe('import graph', () => {
  it('every import in the repository points the allowed way, with no cycle', () => {
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
      'widget/b.test.ts imports demo/f.ts (through test/support/g.ts)',
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

describe('runtime neutrality', () => {
  it('keeps Node built-ins out of core, the widget and the edge server outside adapters/node, in every folder', () => {
    const scripts = files.filter((f) => /\.(ts|mts|js|mjs)$/.test(f));
    // The walk reaches nested feature folders of each web-standard layer.
    for (const folder of ['core/federated/', 'widget/training/', 'edge-server/federated/', 'edge-server/adapters/workers/']) {
      expect(scripts.some((f) => f.startsWith(folder)), folder).toBe(true);
    }
    expect(scripts.flatMap((f) => nodeBuiltinUses(f, readFileSync(join(root, f), 'utf8')))).toEqual([]);
  });

  it('finds node:* and bare built-ins in any import form, only where the code must be web-standard', () => {
    const text = "import { a } from 'node:fs';\nexport * from \"crypto\";\nimport 'node:path';\nawait import('node:os');\nimport type { B } from 'hono';";
    expect(nodeBuiltinUses('edge-server/federated/x.ts', text)).toEqual(['node:fs', 'crypto', 'node:path', 'node:os'].map((s) => `edge-server/federated/x.ts imports ${s}`));
    expect(nodeBuiltinUses('widget/training/x.ts', "import 'node:fs';")).toEqual(['widget/training/x.ts imports node:fs']);
    expect(nodeBuiltinUses('edge-server/adapters/node/x.ts', text)).toEqual([]);
    expect(nodeBuiltinUses('core/x.test.ts', text)).toEqual([]);
    expect(nodeBuiltinUses('model-export/x.ts', text)).toEqual([]);
  });
});
