/**
 * The DrbdPort on src/drbd's typed command layer (drbdadm without a shell, failures classified from
 * DRBD's real messages there). The daemon builds it with `createDrbdPort(createDrbdCommands(...))`.
 *
 * SAFETY (rule 4): the command layer cannot express `--force`, `--discard-my-data` or
 * `--overwrite-data-of-peer`, and this port only uses plain primary/secondary/outdate/connect.
 */
import type { CommandOutcome, RunOptions } from '../common/exec.js';
import { runCommand } from '../common/exec.js';
import type { Result } from '../common/result.js';
import { err, ok } from '../common/result.js';
import type { DrbdCommandError, DrbdCommandResult, DrbdCommands } from '../drbd/runner.js';
import { createDrbdCommands } from '../drbd/runner.js';
import { events2TextView } from '../drbd/inspect.js';
import type { OpOptions, StepOutcome } from './outcome.js';
import { stepFailed, stepOk, stepTimeout } from './outcome.js';
import type { DrbdPort, DrbdResourceStatus, QueryFailure } from './ports.js';
import { statusFromView } from './view-status.js';

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

/**
 * One fresh read of a resource with a single process: `drbdsetup events2 --now all`, folded through
 * the event source's own parser and reducer (so 8.4's and 9's names come out as the view's). It gives
 * role, peer role, every volume's disk and peer disk and the connection at one instant, which the
 * three `drbdadm role|dstate|cstate` runs gave only at three instants (each ~10-30 ms on real DRBD).
 * `all` rather than the resource: drbdsetup-84 accepts both, and the output is a few lines a resource.
 */
async function events2NowStatus(
  drbdsetup: string,
  run: CommandRunner,
  resource: string,
  o: OpOptions,
): Promise<Result<DrbdResourceStatus, QueryFailure>> {
  const argv = [drbdsetup, 'events2', '--now', 'all'];
  const what = argv.join(' ');
  const outcome = await run(argv, runOptions(o));
  if (outcome.status === 'timeout' || outcome.status === 'aborted')
    return err({ errorKind: 'timeout', detail: `${what}: ${outcome.status}`, timedOut: true });
  if (outcome.status === 'spawn-error')
    return err({ errorKind: 'spawn-error', detail: `${what}: ${outcome.message}`, timedOut: false });
  if (outcome.status === 'failed')
    return err({
      errorKind: 'unknown',
      detail: `${what}: exit ${outcome.exitCode ?? outcome.signal}: ${outcome.stderr.trim() || outcome.stdout.trim()}`,
      timedOut: false,
    });
  const view = events2TextView(outcome.stdout);
  if (!view.ok) return err({ errorKind: 'parse', detail: `${what}: ${view.error}`, timedOut: false });
  const st = statusFromView({ ...view.value, availability: 'ok' }, resource);
  return st === null
    ? err({ errorKind: 'no-resource', detail: `${what}: no resource ${resource}`, timedOut: false })
    : ok(st);
}

/** Options of the port beyond the command layer. */
export interface DrbdPortOptions {
  /**
   * drbdsetup path: `status` then costs one `drbdsetup events2 --now` instead of three drbdadm runs.
   * Without it (tests whose fakes answer only drbdadm), `status` runs `drbdadm role`, `dstate`, `cstate`.
   */
  readonly drbdsetup?: string;
  readonly run?: CommandRunner;
}

export function createDrbdPort(commands: DrbdCommands, options: DrbdPortOptions = {}): DrbdPort {
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
      if (options.drbdsetup !== undefined)
        return events2NowStatus(options.drbdsetup, options.run ?? runCommand, r, o);
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

/**
 * A DrbdPort straight from the program paths: `createDrbdPort(createDrbdCommands({ drbdadm, run }),
 * { drbdsetup, run })`. The daemon gives drbdsetup (one process per fresh read).
 */
export function createCommandDrbdPort(options: {
  readonly drbdadm: string;
  readonly drbdsetup?: string;
  readonly run?: CommandRunner;
}): DrbdPort {
  const run = options.run ? { run: options.run } : {};
  return createDrbdPort(createDrbdCommands({ drbdadm: options.drbdadm, ...run }), {
    ...(options.drbdsetup !== undefined ? { drbdsetup: options.drbdsetup } : {}),
    ...run,
  });
}
