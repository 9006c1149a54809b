/**
 * DRBD 8.4's state-change refusals and configuration failures, with the texts the kernel returns and
 * the exit codes drbdsetup-84 maps them to (fixtures in shared/fixtures/drbd-8.4.11/ beside the repository).
 */

/** A refused state change: DRBD's SS_* code and its text. */
export interface StateError {
  readonly code: number;
  readonly text: string;
}

export const SS = {
  TWO_PRIMARIES: { code: -1, text: 'Multiple primaries not allowed by config' },
  NO_UP_TO_DATE_DISK: { code: -2, text: 'Need access to UpToDate data' },
  NO_LOCAL_DISK: { code: -4, text: 'Can not resync without local disk' },
  NO_REMOTE_DISK: { code: -5, text: 'Can not resync without remote disk' },
  CONNECTED_OUTDATES: { code: -6, text: 'Refusing to be Outdated while Connected' },
  PRIMARY_NOP: { code: -7, text: 'Refusing to be Primary while peer is not outdated' },
  RESYNC_RUNNING: { code: -8, text: 'Can not start OV/resync since it is already active' },
  IS_DISKLESS: { code: -11, text: 'Device is diskless, the requested operation requires a disk' },
  DEVICE_IN_USE: { code: -12, text: 'Device is held open by someone' },
  NO_VERIFY_ALG: { code: -14, text: 'Need a verify algorithm to start online verify' },
  NEED_CONNECTION: { code: -15, text: 'Need a connection to start verify or resync' },
  LOWER_THAN_OUTDATED: { code: -16, text: 'Disk state is lower than outdated' },
  IN_TRANSIENT_STATE: { code: -18, text: 'In transient state, retry after next state change' },
  CONCURRENT_ST_CHG: { code: -19, text: 'Concurrent state changes detected and aborted' },
} as const satisfies Record<string, StateError>;

/** drbdsetup's exit code for a refused state change: 17 for "no UpToDate disk", else 11. */
export function stateErrorExitCode(e: StateError): number {
  return e.code === SS.NO_UP_TO_DATE_DISK.code ? 17 : 11;
}

/** drbdsetup's stderr line for a refused state change on `object` (a minor like `1`, or `r0`). */
export function stateErrorLine(object: string, e: StateError): string {
  return `${object}: State change failed: (${e.code}) ${e.text}`;
}

/** Configuration-level failures (`Failure: (NNN) ...`), drbdsetup exit code 10. */
export const ERR = {
  NET_CONFIGURED: { code: 151, text: 'Device has a net-config (use disconnect first)' },
  DISK_CONFIGURED: { code: 124, text: 'Device is attached to a disk (use detach first)' },
  MD_IO: { code: 118, text: 'IO error(s) occurred during initial access to meta-data.' },
  MINOR_INVALID: { code: 127, text: 'Device minor not allocated' },
} as const;

/** The outcome of one drbdsetup-level operation on a simulated node. */
export interface SetupOutcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export const SETUP_OK: SetupOutcome = { exitCode: 0, stdout: '', stderr: '' };

export function stateFailure(object: string, e: StateError, extra = ''): SetupOutcome {
  return { exitCode: stateErrorExitCode(e), stdout: '', stderr: `${stateErrorLine(object, e)}\n${extra}` };
}

export function configFailure(
  object: string,
  e: { readonly code: number; readonly text: string },
  extra = '',
): SetupOutcome {
  return { exitCode: 10, stdout: '', stderr: `${object}: Failure: (${e.code}) ${e.text}\n${extra}` };
}
