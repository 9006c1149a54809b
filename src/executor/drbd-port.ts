/**
 * The DrbdPort on src/drbd's typed command layer (drbdadm without a shell, failures classified from
 * DRBD's real messages there). The daemon builds it with `createDrbdPort(createDrbdCommands(...))`.
 *
 * SAFETY (rule 4): the command layer cannot express `--force`, `--discard-my-data` or
 * `--overwrite-data-of-peer`, and this port only uses plain primary/secondary/outdate/connect.
 */
import type { CommandOutcome, RunOptions } from '../common/exec.js';
import type { Result } from '../common/result.js';
import { err, ok } from '../common/result.js';
import type { DrbdCommandError, DrbdCommandResult, DrbdCommands } from '../drbd/runner.js';
import { createDrbdCommands } from '../drbd/runner.js';
import type { OpOptions, StepOutcome } from './outcome.js';
import { stepFailed, stepOk, stepTimeout } from './outcome.js';
import type { DrbdPort, DrbdResourceStatus, QueryFailure } from './ports.js';

const runOptions = (op: OpOptions) => ({
  timeoutMs: op.timeoutMs,
  ...(op.signal ? { signal: op.signal } : {}),
});

const describe = (e: DrbdCommandError): string => `${e.argv.join(' ') || e.op}: ${e.message}`;

/**
 * Maps a command result to a step outcome. The error kind and `retrySafe` are the command layer's
 * (src/drbd/classify.ts: retry-safe means re-running may succeed without anything else changing).
 */
export function drbdStep(result: DrbdCommandResult, what: string): StepOutcome {
  if (result.ok) return stepOk(`${what}: ok`);
  const e = result.error;
  if (e.kind === 'timeout' || e.kind === 'aborted') return stepTimeout(describe(e), e.retrySafe);
  return stepFailed(e.kind, describe(e), e.retrySafe);
}

const queryFailure = (e: DrbdCommandError): QueryFailure => ({
  errorKind: e.kind,
  detail: describe(e),
  timedOut: e.kind === 'timeout' || e.kind === 'aborted',
});

export function createDrbdPort(commands: DrbdCommands): DrbdPort {
  const mutate = async (
    op: 'primary' | 'secondary' | 'outdate' | 'connect',
    resource: string,
    o: OpOptions,
  ) => drbdStep(await commands.run({ op, resource }, runOptions(o)), `drbdadm ${op} ${resource}`);
  return {
    primary: (r, o) => mutate('primary', r, o),
    secondary: (r, o) => mutate('secondary', r, o),
    outdate: (r, o) => mutate('outdate', r, o),
    connect: (r, o) => mutate('connect', r, o),
    async status(r, o): Promise<Result<DrbdResourceStatus, QueryFailure>> {
      const role = await commands.role(r, runOptions(o));
      if (!role.ok) return err(queryFailure(role.error));
      const dstate = await commands.dstate(r, runOptions(o));
      if (!dstate.ok) return err(queryFailure(dstate.error));
      const cstate = await commands.cstate(r, runOptions(o));
      if (!cstate.ok) return err(queryFailure(cstate.error));
      const first = cstate.value[0];
      if (first === undefined)
        return err({ errorKind: 'parse', detail: `drbdadm cstate ${r}: no output`, timedOut: false });
      return ok({
        role: role.value.role,
        peerRole: role.value.peerRole ?? 'Unknown',
        disks: dstate.value.map((d) => d.disk),
        peerDisks: dstate.value.map((d) => d.peerDisk ?? 'DUnknown'),
        cstate: first,
      });
    },
  };
}

/** How a command is run (runCommand's signature); injectable for tests. */
export type CommandRunner = (argv: readonly string[], options: RunOptions) => Promise<CommandOutcome>;

/** A DrbdPort straight from a drbdadm path: `createDrbdPort(createDrbdCommands({ drbdadm, run }))`. */
export function createCommandDrbdPort(options: {
  readonly drbdadm: string;
  readonly run?: CommandRunner;
}): DrbdPort {
  return createDrbdPort(
    createDrbdCommands({ drbdadm: options.drbdadm, ...(options.run ? { run: options.run } : {}) }),
  );
}
