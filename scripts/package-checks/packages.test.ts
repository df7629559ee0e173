import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { publint } from 'publint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attwBin,
  exportTargets,
  type PackageJson,
  packAll,
  pnpmBin,
  publishablePackages,
  root,
  run,
  type WorkspacePackage,
} from './support.js';

const packages = publishablePackages();
const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8');
let packDir: string;
const tarballs = new Map<string, string>();

/** The tarball's file list and its packed package.json (what npm users get). */
function contentsOf(tarball: string): { files: string[]; manifest: PackageJson } {
  const list = run('tar', ['-tzf', tarball]);
  expect(list.status, list.stderr).toBe(0);
  const files = list.stdout
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''));
  const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json']).stdout) as PackageJson;
  return { files, manifest };
}

beforeAll(() => {
  packDir = mkdtempSync(join(tmpdir(), 'spartan-pack-'));
  for (const [name, tarball] of packAll(packDir)) tarballs.set(name, tarball);
});

afterAll(() => {
  if (packDir !== undefined) rmSync(packDir, { recursive: true, force: true });
});

describe('the packages found', () => {
  it('are every package of the workspace layout (SPEC §2), none missed by the glob', () => {
    const names = packages.map(({ manifest }) => manifest.name);
    for (const name of [
      '@spartan-sessions/core',
      '@spartan-sessions/adapter-express',
      '@spartan-sessions/adapter-fastify',
      '@spartan-sessions/adapter-koa',
      '@spartan-sessions/store-redis',
      '@spartan-sessions/store-mongo',
      '@spartan-sessions/cli',
    ]) {
      expect(names).toContain(name);
    }
  });
});

describe.each(packages.map((pkg): [string, WorkspacePackage] => [pkg.manifest.name, pkg]))(
  '%s',
  (name, { manifest }) => {
    it('tarball: LICENSE (the root MIT text), README.md, package.json and every file its exports and bin name', () => {
      const tarball = tarballs.get(name)!;
      const { files } = contentsOf(tarball);
      expect(files).toContain('LICENSE');
      expect(files).toContain('README.md');
      expect(files).toContain('package.json');
      expect(run('tar', ['-xzOf', tarball, 'package/LICENSE']).stdout).toBe(rootLicense);
      const targets = [...exportTargets(manifest.exports), ...Object.values(manifest.bin ?? {})].map((target) =>
        target.replace(/^\.\//, ''),
      );
      expect(targets.length).toBeGreaterThan(0);
      for (const target of targets) expect(files, `${target} is in the tarball`).toContain(target);
      // Nothing but what users need: no sources, tests or configuration.
      expect(files.filter((file) => /^(src|test)\/|tsconfig|vitest\.config|tsup\.config/.test(file))).toEqual([]);
    });

    it('package.json: MIT, repository, homepage, engines.node; dependencies as ranges users can share', () => {
      const { manifest: packed } = contentsOf(tarballs.get(name)!);
      expect(packed.license).toBe('MIT');
      expect(packed.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/);
      expect(packed.repository?.directory).toMatch(/^packages\//);
      expect(packed.homepage).toMatch(/^https:\/\//);
      expect(packed.engines?.node).toBe('^20.19 || >=22.12');
      // pnpm turns workspace:^ into a caret range of the version being packed.
      for (const [dependency, range] of Object.entries(packed.dependencies ?? {})) {
        expect(range, `${dependency}@${range}`).toMatch(/^\^\d+\.\d+\.\d+$/);
      }
      expect(JSON.stringify(packed)).not.toContain('workspace:');
    });

    it('arethetypeswrong --pack: no problem (node10, node16 from CJS and ESM, bundler)', () => {
      // The CLI is ESM only (a `bin` and an ESM API): checked with attw's esm-only profile.
      const profile =
        manifest.exports !== undefined && JSON.stringify(manifest.exports).includes('"require"')
          ? []
          : ['--profile', 'esm-only'];
      const result = run(attwBin, ['--pack', tarballs.get(name)!, '--format', 'ascii', '--no-emoji', ...profile]);
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      if (profile.length === 0) expect(result.stdout).toContain('No problems found');
      else expect(result.stdout).not.toMatch(/node16 \(from ESM\): (?!OK)|bundler: (?!OK)/);
    });

    it('publint --strict: no message', async () => {
      const tarball = readFileSync(tarballs.get(name)!);
      const { messages } = await publint({
        pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
        strict: true,
        level: 'suggestion',
      });
      expect(messages).toEqual([]);
    });
  },
);

describe('peer dependencies real apps satisfy', () => {
  const byName = new Map(packages.map(({ manifest }) => [manifest.name, manifest]));

  it('store-redis accepts ioredis 5 and 6; store-mongo the mongodb driver 6 and 7', () => {
    expect(byName.get('@spartan-sessions/store-redis')?.peerDependencies?.ioredis).toBe('^5.4.0 || ^6.0.0');
    expect(byName.get('@spartan-sessions/store-mongo')?.peerDependencies?.mongodb).toBe('^6.0.0 || ^7.0.0');
  });

  it("core's vitest peer (for /testing only) is optional and accepts vitest 3 and later", () => {
    const core = byName.get('@spartan-sessions/core')!;
    expect(core.peerDependencies?.vitest).toBe('>=3.0.0');
    expect(core.peerDependenciesMeta?.vitest?.optional).toBe(true);
  });
});

describe('release', () => {
  it('changesets: `changeset version` bumps every public package together (one fixed group) and writes changelogs', () => {
    // On a copy of the workspace's manifests and .changeset/: the real files stay as they are.
    const copy = mkdtempSync(join(tmpdir(), 'spartan-changesets-'));
    try {
      cpSync(join(root, '.changeset'), join(copy, '.changeset'), { recursive: true });
      for (const file of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, file), join(copy, file));
      const workspaceDirs = [...packages.map(({ dir }) => dir), join(root, 'examples', 'demo'), join(root, 'bench')];
      for (const dir of workspaceDirs) {
        const target = join(copy, relative(root, dir));
        mkdirSync(target, { recursive: true });
        cpSync(join(dir, 'package.json'), join(target, 'package.json'));
      }
      const pending = readdirSync(join(root, '.changeset')).filter(
        (file) => file.endsWith('.md') && file !== 'README.md',
      );
      const result = run(join(root, 'node_modules', '.bin', 'changeset'), ['version'], { cwd: copy });
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      const versions = new Set<string>();
      for (const { dir, manifest } of packages) {
        const bumped = JSON.parse(readFileSync(join(copy, relative(root, dir), 'package.json'), 'utf8')) as PackageJson;
        versions.add(bumped.version);
        if (pending.length > 0) {
          expect(bumped.version, manifest.name).not.toBe(manifest.version);
          expect(readFileSync(join(copy, relative(root, dir), 'CHANGELOG.md'), 'utf8')).toContain(
            `## ${bumped.version}`,
          );
        }
      }
      expect(versions.size).toBe(1);
      // Private workspace packages are never versioned.
      const demo = JSON.parse(readFileSync(join(copy, 'examples', 'demo', 'package.json'), 'utf8')) as PackageJson;
      expect(demo.version).toBe('0.0.0');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('pnpm -r publish --dry-run succeeds for every package', () => {
    const result = run(pnpmBin, ['-r', 'publish', '--dry-run', '--no-git-checks'], { cwd: root });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    for (const { manifest } of packages) expect(result.stdout).toContain(`${manifest.name}@${manifest.version}`);
  });
});
