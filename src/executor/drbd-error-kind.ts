/**
 * Classifies drbdadm failures into stable error kinds from DRBD's real messages (captured from DRBD
 * 8.4.11, see /work/shared/fixtures/drbd-8.4.11/refuse-*.txt). Pure and total.
 *
 * Used only until src/drbd's command layer lands; the daemon should then adapt that layer to
 * DrbdPort instead (see drbd-port.ts).
 */
import type { CommandOutcome } from '../common/exec.js';

export type DrbdErrorKind =
  | 'need-uptodate'
  | 'held-open'
  | 'multiple-primaries'
  | 'peer-not-outdated'
  | 'refused-by-peer'
  | 'transient'
  | 'connected-outdate'
  | 'not-configured'
  | 'module-not-loaded'
  | 'timeout'
  | 'unknown';

interface Rule {
  readonly kind: DrbdErrorKind;
  readonly pattern: RegExp;
}

// Order matters: the state-change code is the most specific signal, then free-text messages.
const RULES: readonly Rule[] = [
  { kind: 'need-uptodate', pattern: /\(-2\) Need access to UpToDate data/ },
  { kind: 'held-open', pattern: /\(-12\) Device is held open by someone/ },
  { kind: 'multiple-primaries', pattern: /\(-1\) Multiple primaries not allowed/ },
  { kind: 'peer-not-outdated', pattern: /\(-7\) Refusing to be Primary while peer is not outdated/ },
  { kind: 'connected-outdate', pattern: /\(-6\) Refusing to be Outdated while Connected/ },
  { kind: 'refused-by-peer', pattern: /\(-10\) State change was refused by peer/ },
  { kind: 'transient', pattern: /\(-1[89]\) (In transient state|Concurrent state changes)/ },
  { kind: 'timeout', pattern: /did not terminate within \d+ seconds/ },
  {
    kind: 'not-configured',
    pattern:
      /not defined in your config|no resources defined|Unknown resource|Resource unknown|No such resource/i,
  },
  {
    kind: 'module-not-loaded',
    pattern: /Could not connect to 'drbd' generic netlink|\/proc\/drbd: No such file|DRBD module not loaded/i,
  },
];

/** Error kinds after which running the same command again cannot make things worse. */
const RETRY_SAFE: ReadonlySet<DrbdErrorKind> = new Set<DrbdErrorKind>([
  // A refused state change changed nothing.
  'need-uptodate',
  'held-open',
  'multiple-primaries',
  'peer-not-outdated',
  'connected-outdate',
  'refused-by-peer',
  'transient',
  // drbdadm's own 5 s wait expired; the operation is idempotent and re-checked before a retry.
  'timeout',
]);

/** The error kind of a drbdadm outcome's text (stderr and stdout). */
export function classifyDrbdOutput(text: string): DrbdErrorKind {
  for (const rule of RULES) if (rule.pattern.test(text)) return rule.kind;
  return 'unknown';
}

/** The error kind of a failed or timed-out drbdadm run; null for `ok`. */
export function classifyDrbdOutcome(outcome: CommandOutcome): DrbdErrorKind | null {
  switch (outcome.status) {
    case 'ok':
      return null;
    case 'timeout':
    case 'aborted':
      return 'timeout';
    case 'spawn-error':
      return 'unknown';
    case 'failed':
      return classifyDrbdOutput(`${outcome.stderr}\n${outcome.stdout}`);
  }
}

export const drbdRetrySafe = (kind: DrbdErrorKind): boolean => RETRY_SAFE.has(kind);
