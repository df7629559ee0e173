import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const toolsPnpm = join(root, '.tools', 'node_modules', '.bin', 'pnpm');
export const pnpmBin = existsSync(toolsPnpm) ? toolsPnpm : 'pnpm';
export const attwBin = bin('attw');
export const tscBin = bin('tsc');

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  repository?: { type: string; url: string; directory: string };
  homepage?: string;
  engines?: { node?: string };
  bin?: Record<string, string>;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

export interface WorkspacePackage {
  dir: string;
  manifest: PackageJson;
}

/** Every package under packages/ that is published (not private). */
export function publishablePackages(): WorkspacePackage[] {
  return readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson }))
    .filter(({ manifest }) => manifest.private !== true);
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], options: SpawnSyncOptions = {}): RunResult {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Every file path an `exports` map points at (conditions flattened). */
export function exportTargets(exportsField: unknown): string[] {
  if (typeof exportsField === 'string') return [exportsField];
  if (typeof exportsField !== 'object' || exportsField === null) return [];
  return Object.values(exportsField).flatMap(exportTargets);
}

/** Packs every publishable package into `dir`; returns package name → tarball path. */
export function packAll(dir: string): Map<string, string> {
  const tarballs = new Map<string, string>();
  for (const { dir: packageDir, manifest } of publishablePackages()) {
    const packed = run(pnpmBin, ['pack', '--pack-destination', dir], { cwd: packageDir });
    if (packed.status !== 0) throw new Error(`${manifest.name}: pnpm pack failed\n${packed.stderr}`);
    const tarball = packed.stdout.trim().split('\n').at(-1)!;
    if (!tarball.endsWith('.tgz')) throw new Error(`${manifest.name}: pnpm pack printed no tarball\n${packed.stdout}`);
    tarballs.set(manifest.name, tarball);
  }
  return tarballs;
}

/** The version the workspace pins for a third-party package (a devDependency somewhere). */
export function pinnedVersion(name: string): string {
  const manifests = [
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson,
    ...publishablePackages().map(({ manifest }) => manifest),
  ];
  for (const manifest of manifests) {
    const version = manifest.devDependencies?.[name] ?? manifest.dependencies?.[name];
    if (version !== undefined && /^\d/.test(version)) return version;
  }
  throw new Error(`no pinned version of ${name} in the workspace`);
}

/** The code of the first ```ts block after `heading` in a Markdown text (the `index`-th one). */
export function codeBlockAfter(markdown: string, heading: string, index = 0): string {
  const start = markdown.indexOf(heading);
  if (start < 0) throw new Error(`no heading ${heading}`);
  const blocks = [...markdown.slice(start).matchAll(/```ts\n([\s\S]*?)```/g)];
  const block = blocks[index];
  if (block === undefined) throw new Error(`no ts block #${index} after ${heading}`);
  return block[1]!;
}
