/**
 * The chaos tier's judge: a schedule's history in, verdicts out. Pure (no I/O, no clock), so the rules
 * that decide whether a run of real daemons kept SAFETY.md can be proven on hand-made histories
 * (checker.test.ts) before they judge real ones. See docs/chaos-tests.md for the end states.
 */

export type NodeIndex = 0 | 1;

/** DRBD's own role of both nodes at one instant; null while a node's DRBD is not running (powered off). */
export interface RoleSample {
  readonly tMs: number;
  readonly roles: readonly [string | null, string | null];
}

/** A write the Primary's DRBD acknowledged to the client. */
export interface AckedWrite {
  readonly id: string;
  readonly node: NodeIndex;
  readonly tMs: number;
}

/** A notification (page) a node's notify hook received. */
export interface Page {
  readonly event: string;
  readonly reason?: string | undefined;
}

/** One node after heal and settle. */
export interface FinalNode {
  /** Daemon status answered (null fields otherwise). */
  readonly role: string | null;
  readonly disk: string | null;
  readonly cstate: string | null;
  readonly mounted: boolean;
  /** The daemon froze the resource (split-brain). */
  readonly frozen: boolean;
  /** Reason code of the daemon's latest decision. */
  readonly lastReason: string | null;
  /** Write ids the node's disk holds; null when it could not be read. */
  readonly held: readonly string[] | null;
  readonly pages: readonly Page[];
}

export interface ChaosHistory {
  readonly nodes: readonly [string, string];
  /** Role samples in time order (consecutive duplicates may be left out). */
  readonly samples: readonly RoleSample[];
  readonly acked: readonly AckedWrite[];
  /** When every fault had been healed. */
  readonly healedAtMs: number;
  /**
   * Writes whose only copy was on a backing disk that failed (on the failed node's disk, not on the
   * peer's, when it failed): a double fault no failover can undo, so they are not required.
   */
  readonly lostWithFailedDisk?: readonly string[];
  readonly final: readonly [FinalNode, FinalNode];
}

export interface CheckOptions {
  /** A node must acknowledge a write within this long after the heal (steady end states). */
  readonly recoveryBoundMs: number;
}

export type CheckName = 'single-primary' | 'acked-writes' | 'recovery' | 'end-state';

export interface Verdict {
  readonly check: CheckName;
  readonly ok: boolean;
  readonly detail: string;
}

/** The documented states that need an operator (docs/chaos-tests.md), and the page each must have sent. */
export type OperatorState = 'split-brain' | 'no-uptodate-disk' | 'escalated';

export type EndState =
  | { readonly kind: 'steady'; readonly primary: NodeIndex }
  | {
      readonly kind: 'operator';
      readonly state: OperatorState;
      readonly paged: boolean;
      readonly detail: string;
    }
  | { readonly kind: 'stuck'; readonly detail: string };

export interface CheckResult {
  readonly ok: boolean;
  readonly endState: EndState;
  readonly verdicts: readonly Verdict[];
  /** Time from the heal to the first write acknowledged after it, null when there was none. */
  readonly recoveryMs: number | null;
}

const serves = (n: FinalNode) => n.role === 'Primary' && n.disk === 'UpToDate' && n.mounted;
const goodSecondary = (n: FinalNode) =>
  n.role === 'Secondary' && n.disk === 'UpToDate' && n.cstate === 'Connected';
const describe = (n: FinalNode) =>
  `${n.role ?? '?'}/${n.disk ?? '?'}/${n.cstate ?? '?'}${n.mounted ? '/mounted' : ''}${n.frozen ? '/frozen' : ''}` +
  ` (last ${n.lastReason ?? 'none'})`;
const pagedWith = (n: FinalNode, event: string) => n.pages.some((p) => p.event === event);

/** Which end state the pair settled in. Pure. */
export function classifyEndState(h: ChaosHistory): EndState {
  const [a, b] = h.final;
  if (serves(a) && goodSecondary(b)) return { kind: 'steady', primary: 0 };
  if (serves(b) && goodSecondary(a)) return { kind: 'steady', primary: 1 };
  const both = `${h.nodes[0]} ${describe(a)}, ${h.nodes[1]} ${describe(b)}`;

  // SAFETY: split-brain freezes the resource and pages; every frozen node must have said so.
  const frozen = ([0, 1] as const).filter((i) => h.final[i].frozen);
  if (frozen.length > 0)
    return {
      kind: 'operator',
      state: 'split-brain',
      paged: frozen.every((i) => pagedWith(h.final[i], 'split-brain')),
      detail: both,
    };
  const escalated = ([0, 1] as const).filter((i) => h.final[i].lastReason?.startsWith('ESCALATE_'));
  if (escalated.length > 0)
    return {
      kind: 'operator',
      state: 'escalated',
      paged: escalated.every((i) =>
        pagedWith(
          h.final[i],
          h.final[i].lastReason === 'ESCALATE_DEMOTE_FAILED' ? 'demote-failed' : 'takeover-failed',
        ),
      ),
      detail: both,
    };
  // No disk anyone may promote (both Outdated, Outdated + Inconsistent, ...): only an operator can pick.
  if (a.role !== 'Primary' && b.role !== 'Primary' && a.disk !== 'UpToDate' && b.disk !== 'UpToDate')
    return {
      kind: 'operator',
      state: 'no-uptodate-disk',
      paged: pagedWith(a, 'refused') || pagedWith(b, 'refused'),
      detail: both,
    };
  return { kind: 'stuck', detail: both };
}

function checkSinglePrimary(h: ChaosHistory): Verdict {
  const dual = h.samples.filter((s) => s.roles[0] === 'Primary' && s.roles[1] === 'Primary');
  if (dual.length === 0)
    return {
      check: 'single-primary',
      ok: true,
      detail: `${h.samples.length} role changes sampled, never two Primaries`,
    };
  return {
    check: 'single-primary',
    ok: false,
    detail: `both Primary in ${dual.length} sample(s), first at ${dual[0]!.tMs} ms`,
  };
}

function checkAckedWrites(h: ChaosHistory, end: EndState): Verdict {
  const primaries = ([0, 1] as const).filter((i) => h.final[i].role === 'Primary');
  let source: string;
  let data: Set<string>;
  if (primaries.length === 1) {
    const p = primaries[0]!;
    const held = h.final[p].held;
    if (held === null)
      return { check: 'acked-writes', ok: false, detail: `cannot read the data ${h.nodes[p]} serves` };
    source = `the final Primary ${h.nodes[p]}`;
    data = new Set(held);
  } else {
    // No single Primary (an operator-required state): what an operator can still recover is the union.
    const unreadable = ([0, 1] as const).filter((i) => h.final[i].held === null);
    if (unreadable.length > 0)
      return {
        check: 'acked-writes',
        ok: false,
        detail: `no single Primary (${end.kind}) and cannot read ${unreadable.map((i) => h.nodes[i]).join(', ')}`,
      };
    source = `either node (no single Primary)`;
    data = new Set([...(h.final[0].held ?? []), ...(h.final[1].held ?? [])]);
  }
  const gone = new Set(h.lostWithFailedDisk ?? []);
  const lost = h.acked.filter((w) => !data.has(w.id) && !gone.has(w.id));
  const exempt = h.acked.filter((w) => !data.has(w.id) && gone.has(w.id)).length;
  const besides = exempt > 0 ? ` (${exempt} more had their only copy on a failed disk)` : '';
  if (lost.length === 0)
    return {
      check: 'acked-writes',
      ok: true,
      detail: `all ${h.acked.length - exempt} acknowledged writes on ${source}${besides}`,
    };
  const first = lost[0]!;
  return {
    check: 'acked-writes',
    ok: false,
    detail:
      `${lost.length} of ${h.acked.length} acknowledged writes missing from ${source}${besides}; first ${first.id} ` +
      `acknowledged by ${h.nodes[first.node]} at ${first.tMs} ms; ids ${lost
        .slice(0, 8)
        .map((w) => w.id)
        .join(', ')}`,
  };
}

function checkRecovery(h: ChaosHistory, end: EndState, o: CheckOptions): [Verdict, number | null] {
  const after = h.acked.filter((w) => w.tMs >= h.healedAtMs);
  const first = after.length > 0 ? Math.min(...after.map((w) => w.tMs)) - h.healedAtMs : null;
  if (end.kind === 'operator')
    return [
      { check: 'recovery', ok: true, detail: `operator-required end state (${end.state}): no bound applies` },
      first,
    ];
  if (first === null)
    return [{ check: 'recovery', ok: false, detail: 'no write acknowledged after the heal' }, null];
  return [
    {
      check: 'recovery',
      ok: first <= o.recoveryBoundMs,
      detail: `first write acknowledged ${first} ms after the heal (bound ${o.recoveryBoundMs} ms)`,
    },
    first,
  ];
}

function checkEndState(end: EndState, h: ChaosHistory): Verdict {
  switch (end.kind) {
    case 'steady':
      return {
        check: 'end-state',
        ok: true,
        detail: `${h.nodes[end.primary]} Primary, ${h.nodes[1 - end.primary]} UpToDate Secondary`,
      };
    case 'operator':
      return {
        check: 'end-state',
        ok: end.paged,
        detail: `operator-required: ${end.state}, ${end.paged ? 'paged' : 'NO PAGE SENT'}: ${end.detail}`,
      };
    case 'stuck':
      return {
        check: 'end-state',
        ok: false,
        detail: `neither steady nor a documented operator state: ${end.detail}`,
      };
    default: {
      const never: never = end;
      return never;
    }
  }
}

/** Every verdict on one schedule's history. Pure. */
export function checkHistory(h: ChaosHistory, o: CheckOptions): CheckResult {
  const endState = classifyEndState(h);
  const [recovery, recoveryMs] = checkRecovery(h, endState, o);
  const verdicts = [
    checkSinglePrimary(h),
    checkAckedWrites(h, endState),
    recovery,
    checkEndState(endState, h),
  ];
  return { ok: verdicts.every((v) => v.ok), endState, verdicts, recoveryMs };
}
