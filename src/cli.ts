#!/usr/bin/env node
import { fastCommand } from './cli/fast-args.js';

// fence-peer (run by DRBD inside `drbdadm primary`), unfence-peer, status and --version skip commander
// and the command tree (src/cli/fast-path.ts); everything else, help and usage errors included, goes to it.
// exitCode rather than process.exit(): a piped stdout is flushed before the process ends.
const fast = fastCommand(process.argv.slice(2));
process.exitCode =
  fast !== null
    ? await (await import('./cli/fast-path.js')).runFast(fast)
    : await (await import('./cli/program.js')).runCli(process.argv);
