#!/usr/bin/env node
// Subresource Integrity for the README's script tag: `node scripts/sri.mjs` prints the sha384 of the
// built loader (`dist/edge-recs.js`, from `npm run build`); `--write` puts it into README.md's
// `integrity="sha384-…"` attribute (`npm run sri` after `npm run build`). The build does not rewrite the
// README by itself: `test/reliability/widget.chromium.test.ts` checks the committed README against the
// build and that Chromium accepts the hash, and that check could never fail if every build rewrote it.
//
// The loader imports its lazy chunks by hashed name, so its hash changes with any widget change: a
// merchant who pins it must serve a fixed build (a versioned URL) and update the hash on each upgrade.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const integrity = `sha384-${createHash('sha384').update(readFileSync(`${root}dist/edge-recs.js`)).digest('base64')}`;
if (process.argv.includes('--write')) {
  const path = `${root}README.md`;
  const readme = readFileSync(path, 'utf8');
  const updated = readme.replace(/integrity="sha384-[A-Za-z0-9+/=]+"/g, `integrity="${integrity}"`);
  if (updated !== readme) writeFileSync(path, updated);
} else console.log(integrity);
