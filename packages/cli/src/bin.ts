#!/usr/bin/env node
import { runCli } from './cli.js';

// exitCode rather than exit(): stdout is flushed before the process ends.
process.exitCode = await runCli(process.argv.slice(2));
