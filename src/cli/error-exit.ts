import { EXIT } from '../common/errors.js';
import { CliExit } from '../common/cli-exit.js';

/**
 * The exit code for what a command threw, its message written to stderr: a CliExit's own code and
 * message, anything else an internal error (exit 1). Shared by runCli (program.ts) and the fast path.
 */
export function exitForError(e: unknown): number {
  if (e instanceof CliExit) {
    if (e.message) process.stderr.write(`drbd-sentinel: ${e.message}\n`);
    return e.exitCode;
  }
  process.stderr.write(`drbd-sentinel: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  return EXIT.FAILURE;
}
