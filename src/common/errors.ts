/**
 * The one catalogue of stable error codes. Codes appear in logs, `status`, notifications and exit
 * paths; never rename one, only add.
 */
export const ERROR_CODES = {
  E_CONFIG: 'the configuration file is missing, unreadable or invalid',
  E_USAGE: 'the command line is invalid',
  E_PARSE: 'command output or input data could not be parsed',
  E_EXEC_FAILED: 'a command exited non-zero',
  E_EXEC_TIMEOUT: 'a command did not finish within its timeout and was killed',
  E_EXEC_SPAWN: 'a command could not be started (not found, not executable)',
  E_DRBD: 'DRBD refused an operation',
  E_PEER_UNREACHABLE: 'the peer did not answer on any heartbeat link',
  E_AUTH: 'a packet or request failed authentication',
  E_CONTROL: 'the local control socket is unavailable or answered an error',
  E_INTERNAL: 'a bug: an unexpected exception',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A located, coded error value; `cause` carries the underlying error or output where there is one. */
export interface SentinelError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly cause?: unknown;
}

export function sentinelError(code: ErrorCode, message: string, cause?: unknown): SentinelError {
  return cause === undefined ? { code, message } : { code, message, cause };
}

/** Fatal startup errors and bugs are thrown as this class so the top-level handler can map them. */
export class SentinelFatal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SentinelFatal';
  }
}

/** Process exit codes, documented in the README and `--help`. */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  CONFIG: 78, // EX_CONFIG from sysexits.h: systemd's RestartPreventExitStatus=78 keeps a bad config from looping
} as const;
