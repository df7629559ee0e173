// Freezes what is measured. Other work on the machine may rebuild our packages (tsup empties
// dist/ first) while a run is going: the servers would then load a half-written build, or
// different code from one repetition to the next. So the run copies our packages' builds, and
// the harness's own files, into a temporary directory and starts every child from there:
// - <dir>/node_modules mirrors bench/node_modules (symlinks), except @spartan-sessions/*, which
//   are copies (package.json + dist/) whose own node_modules point at the copies too;
// - <dir>/servers and <dir>/src are copies of the harness.
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCOPE = '@spartan-sessions';

/** Links every entry of `from` (a node_modules folder) into `to`, our scope resolved by `ours`. */
function mirrorModules(from, to, ours) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      mkdirSync(join(to, entry), { recursive: true });
      for (const name of readdirSync(join(from, entry))) {
        const target = entry === SCOPE && ours[name] ? ours[name] : realpathSync(join(from, entry, name));
        symlinkSync(target, join(to, entry, name));
      }
    } else {
      symlinkSync(realpathSync(join(from, entry)), join(to, entry));
    }
  }
}

/** Copies the builds and the harness; resolves `{ dir, servers, src, remove() }`. */
export function snapshotBuild(benchDir, runId) {
  const dir = join(tmpdir(), `spartan-bench-${runId}`);
  rmSync(dir, { recursive: true, force: true });
  const scopeDir = join(benchDir, 'node_modules', SCOPE);
  const copies = {};
  const sources = {};
  for (const name of readdirSync(scopeDir)) {
    const source = realpathSync(join(scopeDir, name));
    const target = join(dir, 'packages', name);
    if (!existsSync(join(source, 'dist'))) throw new Error(`${SCOPE}/${name} is not built (no dist/): run pnpm bench`);
    mkdirSync(target, { recursive: true });
    cpSync(join(source, 'package.json'), join(target, 'package.json'));
    cpSync(join(source, 'dist'), join(target, 'dist'), { recursive: true });
    copies[name] = target;
    sources[name] = source;
  }
  for (const [name, source] of Object.entries(sources)) {
    const modules = join(source, 'node_modules');
    if (existsSync(modules)) mirrorModules(modules, join(copies[name], 'node_modules'), copies);
  }
  mirrorModules(join(benchDir, 'node_modules'), join(dir, 'node_modules'), copies);
  cpSync(join(benchDir, 'servers'), join(dir, 'servers'), { recursive: true });
  cpSync(join(benchDir, 'src'), join(dir, 'src'), { recursive: true });
  return {
    dir,
    servers: join(dir, 'servers'),
    src: join(dir, 'src'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
