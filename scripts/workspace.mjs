#!/usr/bin/env node
// The one entry point behind the root npm scripts. It makes a fresh clone work with nothing but
// Node.js and npm: it installs the pinned pnpm into .tools/, installs the workspace from the
// committed lock file, builds, and then runs the requested step.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const toolsDir = join(root, '.tools');
const pnpmBin = join(toolsDir, 'node_modules', '.bin', 'pnpm');

function run(cmd, args, opts = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (result.error) throw result.error;
  if (result.status !== 0 && !opts.allowFailure) {
    console.error(`\n✖ ${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
    process.exit(result.status ?? 1);
  }
  return result.status;
}

function quiet(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

function ensurePnpm() {
  if (existsSync(pnpmBin) && quiet(pnpmBin, ['--version']) === PNPM_VERSION) return;
  console.log(`• installing pnpm ${PNPM_VERSION} into .tools/`);
  run('npm', [
    'install',
    '--prefix',
    toolsDir,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    `pnpm@${PNPM_VERSION}`,
  ]);
}

function pnpm(args, opts) {
  // No "Update available!" box from pnpm's update notifier: the first lines `npm start` and
  // `npm test` print are the project's own, and the pinned version is the one to use.
  return run(pnpmBin, args, { ...opts, env: { ...process.env, npm_config_update_notifier: 'false' } });
}

function install() {
  ensurePnpm();
  // CI installs exactly the committed lock file; a developer's install may update it.
  pnpm(['install', process.env.CI ? '--frozen-lockfile' : '--prefer-offline', '--reporter=append-only']);
}

function build() {
  pnpm(['-r', '--workspace-concurrency=1', 'run', 'build']);
}

function lint() {
  pnpm(['exec', 'biome', 'check', '.']);
}

function typecheck() {
  pnpm(['-r', 'run', 'typecheck']);
}

/** Services and system packages the tests need; started or installed when missing. */
function ensureTestEnvironment() {
  const ensure = join(root, 'scripts', 'ensure-services.sh');
  if (existsSync(ensure)) run('bash', [ensure]);
}

const step = process.argv[2];
const rest = process.argv.slice(3);
switch (step) {
  case 'install':
    install();
    break;
  case 'build':
    install();
    build();
    break;
  case 'lint':
    install();
    lint();
    break;
  case 'typecheck':
    install();
    build();
    typecheck();
    break;
  case 'test':
    install();
    build();
    lint();
    typecheck();
    ensureTestEnvironment();
    pnpm(['exec', 'vitest', 'run', '--coverage', ...rest]);
    break;
  case 'start':
    install();
    build();
    pnpm(['--filter', '@spartan-sessions/demo', 'run', 'start', ...rest]);
    break;
  case 'bench':
    install();
    build();
    pnpm(['--filter', '@spartan-sessions/bench', 'run', 'bench', ...rest]);
    break;
  default:
    console.error('usage: node scripts/workspace.mjs install|build|lint|typecheck|test|start|bench');
    process.exit(2);
}
