import type { Command } from 'commander';
import { runDemo } from '../demo/demo.js';

/** `drbd-sentinel demo`: the local two-node failover demo (README's first command). */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run two nodes on this machine (simulated DRBD) and show a failover and a switchover')
    .option('--keep', 'leave the pair running at the end, for `status` and `switchover` by hand')
    .option('--dir <dir>', 'working directory (default: a new temporary directory)')
    .addHelpText(
      'after',
      `
Needs no root and no DRBD: each node is a simulated DRBD 8.4 node (replicating over loopback TCP) and
a real drbd-sentinel daemon (heartbeats over two loopback links). The demo powers off the Primary's node,
shows the survivor fencing and taking over with a timeline in milliseconds, brings the old node back as
Secondary (it resyncs), switches over back, and checks that no acknowledged write was lost.

Exit codes: 0 the demo completed and lost no acknowledged write, 1 otherwise.`,
    )
    .action(async (opts: { keep?: boolean; dir?: string }) => {
      process.exitCode = await runDemo({
        keep: opts.keep === true,
        ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
        out: (line) => process.stdout.write(`${line}\n`),
      });
    });
}
