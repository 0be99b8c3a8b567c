/**
 * The Chromium tests' edge servers serve the widget build as it was when they started
 * (`test/support/widget-snapshot.ts`), so a teammate's `npm run build` (which empties `dist/` and writes
 * new content-hashed chunks) cannot take the widget away from a page mid-test. Real files in a temporary
 * directory, rewritten as a build does.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyBuild, snapshotWidget } from '../support/widget-snapshot.ts';

let dir: string;
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A build as Vite writes it: the loader naming a hashed chunk, which names a worker asset. */
async function build(hash: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'chunks'), { recursive: true });
  await mkdir(join(dir, 'assets'), { recursive: true });
  await writeFile(join(dir, 'assets', `worker-${hash}.js`), `/* worker ${hash} */`);
  await writeFile(join(dir, 'chunks', `app-${hash}.js`), `new URL(\`../assets/worker-${hash}.js\`,import.meta.url)`);
  await writeFile(join(dir, 'edge-recs.js'), `import(\`./chunks/app-${hash}.js\`)`);
}

const text = async (files: Awaited<ReturnType<typeof snapshotWidget>>, path: string): Promise<string | null> => {
  const file = await files.get(path);
  return file && new TextDecoder().decode(file.body);
};

describe('snapshotWidget', () => {
  it('keeps serving the build it started with while a new build empties the directory and writes other chunks', async () => {
    dir = await mkdtemp(join(tmpdir(), 'widget-snapshot-'));
    await build('AAAA1111');
    const files = await snapshotWidget(dir);
    await rm(dir, { recursive: true, force: true });
    expect(await text(files, 'edge-recs.js')).toBe('import(`./chunks/app-AAAA1111.js`)');
    await build('BBBB2222');
    expect(await text(files, 'edge-recs.js')).toBe('import(`./chunks/app-AAAA1111.js`)');
    expect(await text(files, 'chunks/app-AAAA1111.js')).toContain('worker-AAAA1111.js');
    expect((await files.get('assets/worker-AAAA1111.js'))?.contentType).toBe('text/javascript; charset=utf-8');
    expect(await files.get('chunks/app-BBBB2222.js')).toBeNull();
  });

  it('waits for a build in progress to be complete: the loader names a chunk not written yet', async () => {
    dir = await mkdtemp(join(tmpdir(), 'widget-snapshot-'));
    await build('CCCC3333');
    await rm(join(dir, 'assets', 'worker-CCCC3333.js'));
    const later = setTimeout(() => void writeFile(join(dir, 'assets', 'worker-CCCC3333.js'), '/* worker */'), 700);
    const files = await snapshotWidget(dir);
    clearTimeout(later);
    expect(await text(files, 'assets/worker-CCCC3333.js')).toBe('/* worker */');
  });

  it('says what is missing when there is no complete build', async () => {
    dir = await mkdtemp(join(tmpdir(), 'widget-snapshot-'));
    await expect(snapshotWidget(dir, 200)).rejects.toThrow(/is not a complete widget build: no edge-recs\.js \(run `npm run build`\)/);
    await build('DDDD4444');
    await rm(join(dir, 'chunks', 'app-DDDD4444.js'));
    await expect(snapshotWidget(dir, 200)).rejects.toThrow(/edge-recs\.js names \.\/chunks\/app-DDDD4444\.js, which is missing/);
  });
});

describe('copyBuild', () => {
  it('copies the complete build with the demo\'s front-end under dist/ of a directory of its own, unchanged by a later build', async () => {
    dir = await mkdtemp(join(tmpdir(), 'widget-snapshot-'));
    await build('EEEE5555');
    await mkdir(join(dir, 'demo'));
    await writeFile(join(dir, 'demo', 'app.js'), '/* demo EEEE5555 */');
    const copy = await copyBuild(dir, { demo: true });
    try {
      await build('FFFF6666');
      const copied = (path: string): Promise<string> => readFile(join(copy.cwd, 'dist', path), 'utf8');
      expect(await copied('edge-recs.js')).toBe('import(`./chunks/app-EEEE5555.js`)');
      expect(await copied('chunks/app-EEEE5555.js')).toContain('worker-EEEE5555.js');
      expect(await copied('assets/worker-EEEE5555.js')).toBe('/* worker EEEE5555 */');
      expect(await copied('demo/app.js')).toBe('/* demo EEEE5555 */');
      const sri = `sha384-${createHash('sha384').update('import(`./chunks/app-EEEE5555.js`)').digest('base64')}`;
      expect(copy.integrity).toBe(sri);
    } finally {
      await copy.remove();
    }
    await expect(readFile(join(copy.cwd, 'dist', 'edge-recs.js'))).rejects.toThrow(/ENOENT/);
  });

  it('waits for the demo\'s front-end where it is asked for, and says when it is missing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'widget-snapshot-'));
    await build('GGGG7777');
    await expect(copyBuild(dir, { demo: true, timeoutMs: 200 })).rejects.toThrow(/is not a complete widget build: no demo\/app\.js/);
  });
});
