import { err, ok, type Result } from '../common/result.js';
import { parseError, type DrbdParseError } from './parse-error.js';
import {
  asConnectionState,
  asDiskState,
  asEvents2ConnectionState,
  asEvents2ReplicationState,
  asRole,
  normalizeEvents2Cstate,
} from './state-names.js';
import type { ConnectionState, DiskState, Role } from './types.js';

/**
 * The DRBD operations the daemon runs, each on one resource. There is deliberately no way to
 * express `--force`, `--discard-my-data`, `invalidate` or `--overwrite-data-of-peer`.
 * SAFETY: rule 4 ("Forced data decisions") - those are operator commands, never built here.
 */
export type DrbdOp =
  | { readonly op: 'primary'; readonly resource: string }
  | { readonly op: 'secondary'; readonly resource: string }
  | { readonly op: 'outdate'; readonly resource: string }
  | { readonly op: 'connect'; readonly resource: string }
  | { readonly op: 'disconnect'; readonly resource: string }
  | { readonly op: 'verify'; readonly resource: string }
  | { readonly op: 'adjust'; readonly resource: string }
  | { readonly op: 'role'; readonly resource: string }
  | { readonly op: 'cstate'; readonly resource: string }
  | { readonly op: 'dstate'; readonly resource: string }
  /** `drbdadm dump-xml [RES]`: DRBD's own parsed configuration; `resource` null for all. */
  | { readonly op: 'dump-xml'; readonly resource: string | null };

export type DrbdOpName = DrbdOp['op'];

/** Operations that change DRBD state (the rest only read). */
export const MUTATING_OPS: ReadonlySet<DrbdOpName> = new Set<DrbdOpName>([
  'primary',
  'secondary',
  'outdate',
  'connect',
  'disconnect',
  'verify',
  'adjust',
]);

/** Default timeout per operation in ms: state changes wait for the peer; queries are local. */
export const DEFAULT_OP_TIMEOUT_MS: Readonly<Record<DrbdOpName, number>> = {
  primary: 30_000,
  secondary: 30_000,
  outdate: 15_000,
  connect: 15_000,
  // drbdadm itself gives up on a blocked disconnect after 5 s ("did not terminate within 5 seconds").
  disconnect: 15_000,
  verify: 15_000,
  adjust: 60_000,
  role: 10_000,
  cstate: 10_000,
  dstate: 10_000,
  'dump-xml': 10_000,
};

const RESOURCE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;

/** Pure. Whether a resource name is safe to pass as an argument (no options, no spaces). */
export function isValidResourceName(name: string): boolean {
  return RESOURCE_NAME_RE.test(name) && name.length <= 128;
}

/**
 * Pure. The argv (without the drbdadm path) for an operation: `['primary', 'r0']`. Returns null
 * for a resource name that could be mistaken for an option.
 */
export function drbdadmArgs(op: DrbdOp): string[] | null {
  if (op.op === 'dump-xml') {
    if (op.resource === null) return ['dump-xml'];
    return isValidResourceName(op.resource) ? ['dump-xml', op.resource] : null;
  }
  if (!isValidResourceName(op.resource)) return null;
  return [op.op, op.resource];
}

/** Pure. Full argv: `[...prefix, drbdadm, ...args]` (the prefix serves tests and `ssh`/`nsenter` wrappers). */
export function buildDrbdadmArgv(
  drbdadm: string,
  op: DrbdOp,
  prefix: readonly string[] = [],
): string[] | null {
  const args = drbdadmArgs(op);
  return args === null ? null : [...prefix, drbdadm, ...args];
}

/** Pure. argv of the long-running event stream: `drbdsetup events2 --timestamps --statistics all`. */
export function buildEvents2Argv(drbdsetup: string, prefix: readonly string[] = []): string[] {
  return [...prefix, drbdsetup, 'events2', '--timestamps', '--statistics', 'all'];
}

function queryLines(stdout: string): string[] {
  return stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** `drbdadm role`: 8.4 prints `Primary/Secondary` per volume; DRBD 9 prints the local role only. */
export interface RoleAnswer {
  readonly role: Role;
  readonly peerRole: Role | null;
}

/** Pure and total. Parses `drbdadm role RES` output (first line counts; all volumes share the role). */
export function parseRoleOutput(stdout: string): Result<RoleAnswer, DrbdParseError> {
  const line = queryLines(stdout)[0];
  if (line === undefined) return err(parseError(1, '', 'empty role output'));
  const [a, b, ...rest] = line.split('/');
  const role = asRole(a ?? '');
  if (role === null || rest.length > 0) return err(parseError(1, line, 'expected ROLE or ROLE/PEER_ROLE'));
  if (b === undefined) return ok({ role, peerRole: null });
  const peerRole = asRole(b);
  if (peerRole === null) return err(parseError(1, line, 'unknown peer role'));
  return ok({ role, peerRole });
}

/**
 * Pure and total. Parses `drbdadm cstate RES`: one state per volume (8.4) or per connection (9),
 * normalized to 8.4 names (`Connecting` -> `WFConnection`).
 */
export function parseCstateOutput(stdout: string): Result<ConnectionState[], DrbdParseError> {
  const lines = queryLines(stdout);
  if (lines.length === 0) return err(parseError(1, '', 'empty cstate output'));
  const out: ConnectionState[] = [];
  for (const [i, line] of lines.entries()) {
    const s8 = asConnectionState(line);
    const s9 = asEvents2ConnectionState(line);
    const r9 = asEvents2ReplicationState(line);
    const s =
      s8 ??
      (s9 !== null
        ? normalizeEvents2Cstate(s9, null)
        : r9 !== null
          ? normalizeEvents2Cstate('Connected', r9)
          : null);
    if (s === null) return err(parseError(i + 1, line, 'unknown connection state'));
    out.push(s8 === 'Connected' || s9 === 'Connected' ? 'Connected' : s);
  }
  return ok(out);
}

/** `drbdadm dstate`: `UpToDate/UpToDate` per volume in 8.4; DRBD 9 may print the local state only. */
export interface DstateAnswer {
  readonly disk: DiskState;
  readonly peerDisk: DiskState | null;
}

/** Pure and total. Parses `drbdadm dstate RES`, one entry per volume. */
export function parseDstateOutput(stdout: string): Result<DstateAnswer[], DrbdParseError> {
  const lines = queryLines(stdout);
  if (lines.length === 0) return err(parseError(1, '', 'empty dstate output'));
  const out: DstateAnswer[] = [];
  for (const [i, line] of lines.entries()) {
    const [a, b, ...rest] = line.split('/');
    const disk = asDiskState(a ?? '');
    const peerDisk = b === undefined ? null : asDiskState(b);
    if (disk === null || rest.length > 0 || (b !== undefined && peerDisk === null))
      return err(parseError(i + 1, line, 'expected DISK or DISK/PEER_DISK'));
    out.push({ disk, peerDisk });
  }
  return ok(out);
}
