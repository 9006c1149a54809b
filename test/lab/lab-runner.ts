import type { CommandOutcome, RunOptions } from '../../src/common/exec.js';
import type { LabNode } from '../scenarios/target.js';
import { shellQuote, type Lab } from './lab.js';

/**
 * A `run` for the DRBD command layer (createDrbdCommands({ run })) that executes the argv inside a
 * lab VM through its command channel, so the layer's own argv, timeouts and classification meet
 * real DRBD. Maps the guest's answer to runCommand's CommandOutcome.
 */
export function labRunner(
  lab: Lab,
  node: LabNode,
): (argv: readonly string[], options: RunOptions) => Promise<CommandOutcome> {
  return async (argv, options) => {
    const r = await lab.sh(node, shellQuote(argv), Math.max(1, Math.ceil(options.timeoutMs / 1000)));
    if (r.timedOut)
      return { status: 'timeout', stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs };
    if (r.exitCode === 0)
      return { status: 'ok', exitCode: 0, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs };
    return {
      status: 'failed',
      exitCode: r.exitCode,
      signal: null,
      stdout: r.stdout,
      stderr: r.stderr,
      durationMs: r.durationMs,
    };
  };
}
