#!/usr/bin/env node
// First step of `npm test`: make sure the Chromium that `wtr` drives (web-test-runner.config.mjs) exists.
//
// Uses `CHROMIUM_PATH` if set, else Debian's `/usr/bin/chromium`. When it is missing, installs the
// Debian `chromium` package with apt-get (through sudo when not root and sudo exists). A no-op costing
// one stat() when the browser is present. Playwright never downloads a browser: it is given this path.
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';

const DEFAULT_PATH = '/usr/bin/chromium';
const chromium = process.env.CHROMIUM_PATH || DEFAULT_PATH;

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  process.exit(1);
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

if (isExecutable(chromium)) process.exit(0);

if (process.env.CHROMIUM_PATH && chromium !== DEFAULT_PATH) {
  // Installing Debian's package would not put a browser at a custom path; say so instead of guessing.
  fail(`CHROMIUM_PATH=${chromium} is not an executable file. Fix the path or unset CHROMIUM_PATH to use ${DEFAULT_PATH}.`);
}
if (process.platform !== 'linux' || !onPath('apt-get')) {
  fail(`${chromium} not found and apt-get is not available. Install Chromium and set CHROMIUM_PATH to its executable.`);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let prefix = [];
if (!isRoot) {
  if (!onPath('sudo')) fail(`${chromium} not found; installing it needs root, and sudo is not available. Run as root: apt-get update && apt-get install -y chromium`);
  // -n (never prompt) when nobody is there to type a password, e.g. in CI.
  prefix = process.stdin.isTTY ? ['sudo'] : ['sudo', '-n'];
}

function run(args) {
  const [command, ...rest] = [...prefix, ...args];
  console.log(`ensure-chromium: $ ${[command, ...rest].join(' ')}`);
  const result = spawnSync(command, rest, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const why = result.signal ? `was killed by ${result.signal}` : `exited with status ${result.status}`;
    const hint = prefix.includes('-n') ? ' (sudo -n needs passwordless sudo; or run the install yourself as root)' : '';
    fail(`\`${args.join(' ')}\` ${why}${hint}.`);
  }
}

console.log(`ensure-chromium: ${chromium} not found; installing Debian's chromium package.`);
run(['apt-get', 'update']);
run(['apt-get', 'install', '-y', 'chromium']);
if (!isExecutable(chromium)) fail(`apt-get install finished but ${chromium} is still missing.`);
const version = spawnSync(chromium, ['--version'], { encoding: 'utf8' });
console.log(`ensure-chromium: installed ${(version.stdout || '').trim() || chromium}.`);
