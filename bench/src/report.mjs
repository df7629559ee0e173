#!/usr/bin/env node
// Regenerates BENCHMARKS.md (or prints the console tables) from a results file:
//   node bench/src/report.mjs bench/results/<date>.json [--console]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from './lib/analyze.mjs';
import { consoleReport, markdownReport } from './lib/report.mjs';

const [file, flag] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/src/report.mjs <results.json> [--console]');
  process.exit(2);
}
const rootDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const results = JSON.parse(readFileSync(resolve(file), 'utf8'));
// Re-analyzed, so a change of the report's rules applies to old results too.
results.analysis = analyze(results);
if (flag === '--console') console.log(consoleReport(results));
else {
  writeFileSync(join(rootDir, 'BENCHMARKS.md'), markdownReport(results, relative(rootDir, resolve(file))));
  console.log('BENCHMARKS.md written');
}
