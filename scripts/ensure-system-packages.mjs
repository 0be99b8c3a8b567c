#!/usr/bin/env node
// First step of `npm test`: make sure the Debian programs the suite drives exist.
//
//   chromium  the browser `wtr` drives (web-test-runner.config.mjs); CHROMIUM_PATH or /usr/bin/chromium
//   nginx     the front the Node adapter's nginx configuration is tested with
//             (edge-server/adapters/node/nginx-front.test.ts); NGINX_PATH or /usr/sbin/nginx
//
// Whatever is missing is installed from Debian with apt-get (through sudo when not root and sudo
// exists). A no-op costing a stat() per program when they are present. Nothing is downloaded from
// anywhere else: Playwright is given the browser's path.
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';

const PROGRAMS = [
  { name: 'chromium', env: 'CHROMIUM_PATH', defaultPath: '/usr/bin/chromium', pkg: 'chromium', version: '--version' },
  { name: 'nginx', env: 'NGINX_PATH', defaultPath: '/usr/sbin/nginx', pkg: 'nginx', version: '-v' },
];

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fail(message) {
  console.error(`ensure-system-packages: ${message}`);
  process.exit(1);
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const pathOf = (program) => process.env[program.env] || program.defaultPath;
const missing = PROGRAMS.filter((program) => !isExecutable(pathOf(program)));
if (missing.length === 0) process.exit(0);

for (const program of missing) {
  if (process.env[program.env] && pathOf(program) !== program.defaultPath) {
    // Installing Debian's package would not put the program at a custom path; say so instead of guessing.
    fail(`${program.env}=${pathOf(program)} is not an executable file. Fix the path or unset ${program.env} to use ${program.defaultPath}.`);
  }
}
const names = missing.map((program) => program.name).join(' and ');
const packages = missing.map((program) => program.pkg);
if (process.platform !== 'linux' || !onPath('apt-get')) {
  fail(`${names} not found and apt-get is not available. Install ${names} and set ${missing.map((p) => p.env).join(' / ')} to the executable.`);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let prefix = [];
if (!isRoot) {
  if (!onPath('sudo')) fail(`${names} not found; installing needs root, and sudo is not available. Run as root: apt-get update && apt-get install -y ${packages.join(' ')}`);
  // -n (never prompt) when nobody is there to type a password, e.g. in CI.
  prefix = process.stdin.isTTY ? ['sudo'] : ['sudo', '-n'];
}

function run(args) {
  const [command, ...rest] = [...prefix, ...args];
  console.log(`ensure-system-packages: $ ${[command, ...rest].join(' ')}`);
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

console.log(`ensure-system-packages: ${names} not found; installing Debian's ${packages.join(', ')}.`);
run(['apt-get', 'update']);
run(['apt-get', 'install', '-y', ...packages]);
for (const program of missing) {
  if (!isExecutable(pathOf(program))) fail(`apt-get install finished but ${pathOf(program)} is still missing.`);
  const version = spawnSync(pathOf(program), [program.version], { encoding: 'utf8' });
  console.log(`ensure-system-packages: installed ${program.name} (${(version.stdout || version.stderr || '').trim().split('\n')[0]}).`);
}
