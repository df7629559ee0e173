#!/usr/bin/env node
// Where a server's time goes: the top self-time functions and packages of a V8 CPU profile
// (`pnpm bench --profile …` writes one per "ours" server to results/*.cpuprofile).
//   node bench/src/profile-top.mjs bench/results/<file>.cpuprofile [top=25]
import { readFileSync } from 'node:fs';
import { packageOf } from './lib/package-of.mjs';

const [file, top = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/src/profile-top.mjs <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const byFunction = new Map();
const byPackage = new Map();
let total = 0;
let idle = 0;

profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  const { callFrame } = nodes.get(id);
  total += delta;
  if (callFrame.functionName === '(idle)') {
    idle += delta;
    return;
  }
  const where = callFrame.url ? `${callFrame.url.split('/').slice(-2).join('/')}:${callFrame.lineNumber + 1}` : '';
  const name = `${callFrame.functionName || '(anonymous)'} ${where}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  const pkg = packageOf(callFrame.url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + delta);
});

const busy = total - idle;
const print = (title, map, count) => {
  console.log(
    `\n${title} (share of busy time, ${(busy / 1000).toFixed(0)} ms busy, ${((idle / total) * 100).toFixed(0)}% idle)`,
  );
  for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`${((time / busy) * 100).toFixed(1).padStart(6)}%  ${name}`);
  }
};
print('by package', byPackage, 15);
print('by function (self time)', byFunction, Number(top));
