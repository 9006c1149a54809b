/**
 * Runs a command line fast-args.ts recognised, without commander or any other command's module: the
 * same actions (fence-handler.ts, status-run.ts) and the same error reporting (error-exit.ts) as the
 * commander definitions. `npm run build` replaces the compiled file with a one-file esbuild bundle of
 * this module and what it imports (scripts/bundle-fast-path.mjs): one module to load instead of ~60
 * (yaml alone is ~50), which is what DRBD's fence-peer call inside `drbdadm primary` waits for.
 */
import { EXIT } from '../common/errors.js';
import { packageVersion } from '../common/version.js';
import { exitForError } from './error-exit.js';
import type { FastCommand } from './fast-args.js';
import { runFencePeer, runUnfencePeer } from './fence-handler.js';
import { runStatus } from './status-run.js';

/** Resolves to the process exit code. Never throws. */
export async function runFast(c: FastCommand): Promise<number> {
  try {
    switch (c.kind) {
      case 'version':
        process.stdout.write(`${packageVersion()}\n`);
        break;
      case 'fence-peer':
        await runFencePeer(c);
        break;
      case 'unfence-peer':
        await runUnfencePeer(c);
        break;
      case 'status':
        await runStatus(c);
        break;
    }
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    return exitForError(e);
  }
}
