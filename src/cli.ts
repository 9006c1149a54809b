#!/usr/bin/env node
import { runCli } from './cli/program.js';

// exitCode rather than process.exit(): a piped stdout is flushed before the process ends.
void runCli(process.argv).then((code) => {
  process.exitCode = code;
});
