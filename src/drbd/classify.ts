import type { CommandOutcome } from '../common/exec.js';

/**
 * Stable kinds of DRBD command failure. Logs, the executor and notifications use these names; never
 * rename one, only add.
 */
export const DRBD_FAILURE_KINDS = [
  'need-uptodate',
  'held-open',
  'multiple-primaries',
  'peer-primary',
  'peer-not-outdated',
  'refused-by-peer',
  'transient',
  'no-net-config',
  'need-connection',
  'no-quorum',
  'state-refused',
  'no-resource',
  'backing-disk-error',
  'module-not-loaded',
  'timeout',
  'aborted',
  'spawn-error',
  'unknown',
] as const;
export type DrbdFailureKind = (typeof DRBD_FAILURE_KINDS)[number];

/** A classified failure of one DRBD command. */
export interface DrbdFailure {
  readonly kind: DrbdFailureKind;
  /**
   * Re-running the same command after a short wait is safe and may succeed without anything else
   * changing first (DRBD state changes are idempotent; the cause is passing). False means something
   * must change first (unmount, peer demotion, operator) and the next tick must decide again.
   */
  readonly retrySafe: boolean;
  /** DRBD's own code from `(-2)` / `(158)`, null when none was printed. */
  readonly drbdCode: number | null;
  readonly exitCode: number | null;
  /** The line that decided the kind (DRBD's message), or a description. */
  readonly message: string;
  readonly stderr: string;
}

interface Rule {
  readonly kind: DrbdFailureKind;
  readonly re: RegExp;
}

// Message-level rules, checked in order on stderr+stdout. Sources: drbd-utils drbdsetup
// (v84/v9 error tables and main()), drbdadm_main.c, shared_main.c; see docs/drbd.md.
const MESSAGE_RULES: readonly Rule[] = [
  { kind: 'module-not-loaded', re: /Could not connect to 'drbd' generic netlink family/ },
  { kind: 'module-not-loaded', re: /Could not stat \/proc\/drbd/ },
  { kind: 'module-not-loaded', re: /Make sure that the DRBD kernel module is installed/ },
  { kind: 'timeout', re: /did not terminate within \d+ seconds/ },
  { kind: 'no-resource', re: /not defined in your config/ },
  { kind: 'no-resource', re: /no resources defined!?/ },
  { kind: 'no-resource', re: /: No such resource/ },
  { kind: 'no-resource', re: /Failure: \(158\) Unknown resource/ },
  { kind: 'no-resource', re: /Failure: \(127\) Device minor not allocated/ },
  { kind: 'no-resource', re: /^Resource unknown$/m },
  // attach/adjust on a failing backing disk: drbdmeta's pread/pwrite errors, kernel ERR_OPEN_DISK (104)
  // and ERR_IO_MD_DISK (118).
  { kind: 'backing-disk-error', re: /Input\/output error/ },
  { kind: 'backing-disk-error', re: /Failure: \(104\) Can not open backing device/ },
  {
    kind: 'backing-disk-error',
    re: /Failure: \(118\) IO error\(s\) occurred during initial access to meta-data/,
  },
];

// SS_* codes of `State change failed: (N) ...` (drbd.h enum drbd_state_rv, 8.4 and 9).
const STATE_CODES: Readonly<Record<number, DrbdFailureKind>> = {
  [-1]: 'multiple-primaries', // Multiple primaries not allowed by config
  [-2]: 'need-uptodate', // Need access to UpToDate data
  [-7]: 'peer-not-outdated', // Refusing to be Primary while peer is not outdated
  [-10]: 'refused-by-peer', // State change was refused by peer node
  [-12]: 'held-open', // Device is held open by someone
  [-13]: 'no-net-config', // Have no net/connection configuration
  [-15]: 'need-connection', // Need a connection to start verify or resync
  [-18]: 'transient', // In transient state, retry after next state change
  [-19]: 'transient', // Concurrent state changes detected and aborted
  [-20]: 'peer-primary', // Other vol primary on peer not allowed by config
  [-22]: 'peer-primary', // (9) Peer may not become primary while device is opened read-only
  [-23]: 'transient', // (9) Timeout in operation
  [-25]: 'no-quorum', // (9) No quorum
};

const RETRY_SAFE: ReadonlySet<DrbdFailureKind> = new Set<DrbdFailureKind>([
  'timeout',
  'transient',
  'refused-by-peer',
]);

function failure(
  kind: DrbdFailureKind,
  message: string,
  stderr: string,
  exitCode: number | null,
  drbdCode: number | null,
): DrbdFailure {
  return { kind, retrySafe: RETRY_SAFE.has(kind), drbdCode, exitCode, message, stderr };
}

function lineMatching(text: string, re: RegExp): string {
  return (
    text
      .split(/\r?\n/)
      .find((l) => re.test(l))
      ?.trim() ?? text.trim()
  );
}

/**
 * Pure and total. Classifies a finished command's failure from DRBD's messages and exit code.
 * Returns null for success (`ok`, or exit 0). Message rules first, then the SS_* code of
 * `State change failed: (N)`, then bare exit codes (17: drbdsetup's code for SS_NO_UP_TO_DATE_DISK,
 * which `outdate` on a Primary returns without printing anything).
 */
export function classifyDrbdFailure(outcome: CommandOutcome): DrbdFailure | null {
  switch (outcome.status) {
    case 'ok':
      return null;
    case 'spawn-error':
      return failure('spawn-error', outcome.message, '', null, null);
    case 'aborted':
      return failure('aborted', 'aborted by the daemon', outcome.stderr, null, null);
    case 'timeout':
      return failure('timeout', 'killed after its timeout', outcome.stderr, null, null);
    case 'failed':
      break;
  }
  const { stderr, stdout, exitCode } = outcome;
  const text = `${stderr}\n${stdout}`;
  for (const rule of MESSAGE_RULES) {
    if (rule.re.test(text)) {
      const code = /Failure: \((\d+)\)/.exec(text);
      return failure(rule.kind, lineMatching(text, rule.re), stderr, exitCode, code ? Number(code[1]) : null);
    }
  }
  const sc = /State change failed: \((-?\d+)\)\s*(.*)/.exec(text);
  if (sc && sc[1] !== undefined) {
    const code = Number(sc[1]);
    return failure(
      STATE_CODES[code] ?? 'state-refused',
      lineMatching(text, /State change failed/),
      stderr,
      exitCode,
      code,
    );
  }
  const kf = /Failure: \((\d+)\)/.exec(text);
  if (kf && kf[1] !== undefined)
    return failure('unknown', lineMatching(text, /Failure: \(/), stderr, exitCode, Number(kf[1]));
  if (exitCode === 17 && text.trim() === '')
    return failure(
      'need-uptodate',
      'exit code 17 (SS_NO_UP_TO_DATE_DISK) without a message',
      stderr,
      exitCode,
      -2,
    );
  const firstLine = text.trim().split(/\r?\n/)[0] ?? '';
  return failure(
    'unknown',
    firstLine === ''
      ? `exit code ${exitCode ?? 'none'}${outcome.signal ? ` (${outcome.signal})` : ''}`
      : firstLine,
    stderr,
    exitCode,
    null,
  );
}
