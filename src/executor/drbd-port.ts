/**
 * A DrbdPort on drbdadm through runCommand: the default until the daemon adapts src/drbd's command
 * layer to DrbdPort. Argument arrays only (no shell).
 *
 * SAFETY (rule 4): no operation here ever adds `--force`, `--discard-my-data` or
 * `--overwrite-data-of-peer`.
 */
import type { CommandOutcome, RunOptions } from '../common/exec.js';
import { runCommand } from '../common/exec.js';
import type { Result } from '../common/result.js';
import { err, ok } from '../common/result.js';
import type { ConnectionState, DiskState, Role } from '../drbd/types.js';
import { CONNECTION_STATES, DISK_STATES, ROLES } from '../drbd/types.js';
import { classifyDrbdOutcome, drbdRetrySafe } from './drbd-error-kind.js';
import type { OpOptions, StepOutcome } from './outcome.js';
import { outputSummary, stepFailed, stepOk, stepTimeout } from './outcome.js';
import type { DrbdPort, DrbdResourceStatus, QueryFailure } from './ports.js';

export type CommandRunner = (argv: readonly string[], options: RunOptions) => Promise<CommandOutcome>;

export interface CommandDrbdPortOptions {
  /** Path of drbdadm (config `drbd.drbdadm`). */
  readonly drbdadm: string;
  /** Injected for tests; defaults to runCommand. */
  readonly run?: CommandRunner;
}

/** Maps a drbdadm outcome to a step outcome with a classified error kind. */
export function drbdStep(outcome: CommandOutcome, what: string): StepOutcome {
  const kind = classifyDrbdOutcome(outcome);
  if (kind === null) return stepOk(`${what}: ok`);
  const text = outputSummary(outcome);
  if (outcome.status === 'timeout' || outcome.status === 'aborted')
    return stepTimeout(`${what}: ${outcome.status} after ${outcome.durationMs} ms`, true);
  if (kind === 'timeout') return stepTimeout(`${what}: ${text}`, true);
  if (outcome.status === 'spawn-error') return stepFailed('spawn-error', `${what}: ${text}`, true);
  return stepFailed(kind, `${what}: ${text}`, drbdRetrySafe(kind));
}

const firstLine = (text: string): string =>
  text
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim() ?? '';

const asRole = (t: string | undefined): Role =>
  (ROLES as readonly string[]).includes(t ?? '') ? (t as Role) : 'Unknown';
const asDisk = (t: string | undefined): DiskState =>
  (DISK_STATES as readonly string[]).includes(t ?? '') ? (t as DiskState) : 'DUnknown';

/** Parses `drbdadm role` output (`Primary/Secondary`; DRBD 9 prints only the local role). Total. */
export function parseRoleOutput(text: string): { role: Role; peerRole: Role } {
  const [local, peer] = firstLine(text).split('/');
  return { role: asRole(local), peerRole: asRole(peer) };
}

/** Parses `drbdadm dstate` output, one `Local/Peer` line per volume. Total. */
export function parseDstateOutput(text: string): { disks: DiskState[]; peerDisks: DiskState[] } {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return {
    disks: lines.map((l) => asDisk(l.split('/')[0])),
    peerDisks: lines.map((l) => asDisk(l.split('/')[1])),
  };
}

/** Parses `drbdadm cstate` output (first volume); DRBD 9's `Connecting` is 8.4's `WFConnection`. Total. */
export function parseCstateOutput(text: string): ConnectionState | null {
  const t = firstLine(text);
  const name = t === 'Connecting' ? 'WFConnection' : t;
  return (CONNECTION_STATES as readonly string[]).includes(name) ? (name as ConnectionState) : null;
}

export function createCommandDrbdPort(options: CommandDrbdPortOptions): DrbdPort {
  const run = options.run ?? runCommand;
  const exec = (args: readonly string[], op: OpOptions) =>
    run([options.drbdadm, ...args], {
      timeoutMs: op.timeoutMs,
      ...(op.signal ? { signal: op.signal } : {}),
    });
  const query = async (
    sub: string,
    resource: string,
    op: OpOptions,
  ): Promise<Result<string, QueryFailure>> => {
    const o = await exec([sub, resource], op);
    if (o.status === 'ok') return ok(o.stdout);
    return err({
      errorKind: classifyDrbdOutcome(o) ?? 'unknown',
      detail: `drbdadm ${sub} ${resource}: ${o.status}: ${outputSummary(o)}`,
      timedOut: o.status === 'timeout' || o.status === 'aborted',
    });
  };
  return {
    primary: async (r, op) => drbdStep(await exec(['primary', r], op), `drbdadm primary ${r}`),
    secondary: async (r, op) => drbdStep(await exec(['secondary', r], op), `drbdadm secondary ${r}`),
    outdate: async (r, op) => drbdStep(await exec(['outdate', r], op), `drbdadm outdate ${r}`),
    connect: async (r, op) => drbdStep(await exec(['connect', r], op), `drbdadm connect ${r}`),
    async status(r, op): Promise<Result<DrbdResourceStatus, QueryFailure>> {
      const role = await query('role', r, op);
      if (!role.ok) return role;
      const dstate = await query('dstate', r, op);
      if (!dstate.ok) return dstate;
      const cstateText = await query('cstate', r, op);
      if (!cstateText.ok) return cstateText;
      const cstate = parseCstateOutput(cstateText.value);
      if (cstate === null)
        return err({
          errorKind: 'parse',
          detail: `drbdadm cstate ${r}: unexpected output ${JSON.stringify(firstLine(cstateText.value))}`,
          timedOut: false,
        });
      const disks = parseDstateOutput(dstate.value);
      if (disks.disks.length === 0)
        return err({ errorKind: 'parse', detail: `drbdadm dstate ${r}: no output`, timedOut: false });
      return ok({ ...parseRoleOutput(role.value), ...disks, cstate });
    },
  };
}
