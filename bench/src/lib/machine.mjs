// What the report states about the run: the machine and the exact versions measured.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

function sh(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

export function machineInfo() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpu: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    // --all: the orchestrator pins itself to one core, which plain nproc would report.
    nproc: Number(sh('nproc', ['--all'])) || os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    os: sh('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']) ?? os.type(),
    node: process.version,
  };
}

/** Versions of every package measured (as installed) and the commit of our code. */
export function versions(benchDir, rootDir) {
  const manifest = JSON.parse(readFileSync(join(benchDir, 'package.json'), 'utf8'));
  const names = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})];
  const packages = {};
  for (const name of names.sort()) {
    try {
      packages[name] = JSON.parse(readFileSync(join(benchDir, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      packages[name] = 'not installed';
    }
  }
  const commit = sh('git', ['-C', rootDir, 'rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['-C', rootDir, 'status', '--porcelain', '--', 'packages']);
  return { packages, commit: commit && dirty ? `${commit} (+ uncommitted changes in packages/)` : commit };
}

/**
 * When each workspace package's build was last written (newest file in its dist/), so a run can
 * tell whether our packages were rebuilt while it was measuring them.
 */
export function buildStamps(rootDir) {
  const stamps = {};
  const packagesDir = join(rootDir, 'packages');
  for (const name of readdirSync(packagesDir)) {
    try {
      const dist = join(packagesDir, name, 'dist');
      stamps[name] = Math.max(...readdirSync(dist).map((file) => statSync(join(dist, file)).mtimeMs));
    } catch {
      // Not built (or not a package).
    }
  }
  return stamps;
}
