/**
 * The stable catalogue of reason codes. Every decision names one; codes appear in logs, `status`,
 * notifications and the journal. Never rename a code, only add (docs/decisions.md lists them all).
 */
import type { NotifyEventName } from './notify-events.js';

export type Severity = 'info' | 'warning' | 'page';

export interface ReasonInfo {
  /** What this node does when it decides this. */
  readonly node: string;
  /** What the operator should do. */
  readonly operator: string;
  readonly severity: Severity;
  /** Notify event sent when a resource enters this reason (not again while it stays); null for none. */
  readonly event: NotifyEventName | null;
}

const r = (
  severity: Severity,
  event: NotifyEventName | null,
  node: string,
  operator: string,
): ReasonInfo => ({ severity, event, node, operator });

export const REASONS = {
  // --- node-level / gating -------------------------------------------------------------------------
  NO_RESOURCES: r(
    'info',
    null,
    'Nothing configured: no resources to decide on.',
    'Nothing, or add resources.',
  ),
  DRBD_UNAVAILABLE: r(
    'page',
    'degraded',
    'DRBD is not available or the resource is not configured here: no action on the resource.',
    'Load the DRBD module / bring the resource up (drbdadm up), then check `status`.',
  ),
  STARTUP_WAIT_DRBD: r(
    'info',
    null,
    'Startup: the first DRBD view (events2 dump or /proc/drbd) has not arrived yet: no action, no page (unknown is not unavailable).',
    'Nothing; if it lasts past the start-up bound the node reports DRBD_UNAVAILABLE.',
  ),
  STALL_REVERIFY: r(
    'warning',
    null,
    'The daemon was paused longer than its threshold: no action this tick; peer-loss timers restart from fresh evidence.',
    'Look for the cause of the stall (swap, SIGSTOP, overloaded host) if it repeats.',
  ),
  HOLD_ACTION_IN_FLIGHT: r(
    'info',
    null,
    'The previous plan for the resource is still running: nothing new is planned until its results are in.',
    'Nothing; if it lasts, check the executor step timeouts.',
  ),
  MAINTENANCE: r(
    'info',
    'maintenance',
    'Maintenance mode (on this node or the peer): observe only, no DRBD, mount, service or address action.',
    'Leave maintenance (`drbd-sentinel maintenance off`) when done.',
  ),
  FROZEN_SPLIT_BRAIN: r(
    'page',
    'split-brain',
    'Split-brain: the resource is frozen, no automatic action at all until DRBD reconnects cleanly.',
    'Pick the victim, on it run `drbdadm secondary R; drbdadm connect --discard-my-data R`, then `drbdadm connect R` on the survivor.',
  ),
  SPLIT_BRAIN_RESOLVED: r(
    'info',
    null,
    'DRBD reconnected without split-brain signals: the freeze is lifted, normal rules resume next tick.',
    'Check that the data on the survivor is what you expect.',
  ),
  SAFETY_GATE_HOLD: r(
    'page',
    'refused',
    'The final safety gate stopped a plan that would have promoted against SAFETY.md (a rule bug): no action.',
    'Report a bug with the journaled observation; decide by hand meanwhile.',
  ),
  // --- retries and escalation ------------------------------------------------------------------------
  RETRY_BACKOFF: r(
    'warning',
    null,
    'An action failed and is safe to retry: waiting out the backoff, then the rules decide again.',
    'Check the failed step in the log; nothing if the retry succeeds.',
  ),
  ESCALATE_ACTION_FAILED: r(
    'page',
    'takeover-failed',
    'An action failed and is not safe to retry (or retries are exhausted): no automatic action until the DRBD state changes.',
    'Fix the failing step (see the log and error kind), then the engine resumes on the next state change.',
  ),
  ESCALATE_DEMOTE_FAILED: r(
    'page',
    'demote-failed',
    'A demote could not complete: pages, runs the on-demote-failure handler where configured, plans nothing else on the resource.',
    'Find the holders of the device (`fuser -m`), stop them, demote by hand; or power-cycle the node.',
  ),
  // --- local disk ------------------------------------------------------------------------------------
  DISK_FAILED_HANDOVER: r(
    'page',
    'disk-failed',
    'Local disk failed on the Primary: release the resource and ask the UpToDate peer to take over.',
    'Replace the disk, then `drbdadm attach` and let it resync.',
  ),
  DISK_FAILED_NO_PEER: r(
    'page',
    'disk-failed',
    'Local disk failed on the Primary and no UpToDate reachable peer can take over: keep running (diskless if connected).',
    'Restore the peer or the disk urgently.',
  ),
  DISK_FAILED_SECONDARY: r(
    'page',
    'disk-failed',
    'Local disk failed on a Secondary: this node is out of the candidate set.',
    'Replace the disk, `drbdadm attach`, let it resync.',
  ),
  REFUSE_NOT_UPTODATE: r(
    'page',
    'refused',
    'The local disk is not UpToDate: never promote here.',
    'Bring the peer back so it can resync this node, or, knowing the data loss, force it by hand.',
  ),
  // --- steady states ---------------------------------------------------------------------------------
  STEADY_PRIMARY_HERE: r('info', null, 'Primary here, peer in sync or reachable: nothing to do.', 'Nothing.'),
  COMPLETE_TAKEOVER: r(
    'warning',
    null,
    'Primary here but not mounted or services down: run the remaining takeover steps.',
    'Nothing if they succeed; else see the failed step.',
  ),
  STEADY_PRIMARY_THERE: r('info', null, 'The peer is Primary and reachable: stay Secondary.', 'Nothing.'),
  STEADY_SECONDARY_PEER_ELECTED: r(
    'info',
    null,
    'Both Secondary; the election elects the peer (by the agreed tie-break, or as the only candidate): wait for it to promote.',
    'Nothing.',
  ),
  ELECTED_TAKEOVER: r(
    'info',
    'failover',
    'Both Secondary, peer reachable; this node wins the tie-break (preferred, last Primary, lower name): take over.',
    'Nothing.',
  ),
  ELECTED_ONLY_CANDIDATE: r(
    'info',
    'failover',
    'Both Secondary, peer reachable; the peer cannot take the resource (its disk is not UpToDate, or it is in standby or split-brain), so this node, the only candidate, takes over.',
    'Check why the peer is no candidate.',
  ),
  ELECTED_OUTDATE_PEER_FIRST: r(
    'warning',
    'failover',
    'Elected but DRBD is disconnected from the reachable peer: have the peer outdated, then take over.',
    'Check the replication link.',
  ),
  WAIT_REPLICATION_CONNECT: r(
    'warning',
    null,
    'Elected, but DRBD is disconnected and the peer may hold newer data: wait for DRBD to connect and compare generations.',
    'Repair the replication link; if it cannot be, check which node has the newest data and promote it by hand.',
  ),
  YIELD_TO_PEER: r(
    'info',
    null,
    'This node just released the resource to the peer: it does not elect itself during the yield window.',
    'Nothing.',
  ),
  HOLD_PEER_UNCERTAIN: r(
    'warning',
    null,
    'Membership is ambiguous (a link up but no report, or not reachable with a live link): hold.',
    'Check the heartbeat links.',
  ),
  // --- startup ---------------------------------------------------------------------------------------
  STARTUP_WAIT_PEER: r(
    'info',
    null,
    'Startup: waiting for the peer up to initdead (degraded-initdead after a degraded shutdown); never promote on silence.',
    'Start the peer; after the wait, takeover still needs proof per fencing policy.',
  ),
  STARTUP_ELECT: r(
    'info',
    'failover',
    'Startup, peer heard, both Secondary: this node wins the tie-break and takes over.',
    'Nothing.',
  ),
  // --- peer lost / fencing ---------------------------------------------------------------------------
  HOLD_PEER_CONNECTED: r(
    'warning',
    null,
    'Heartbeats silent but DRBD still Connected: the peer is alive, no takeover.',
    'Check the heartbeat links.',
  ),
  HOLD_PEER_PRIMARY: r(
    'warning',
    null,
    'DRBD still reports the peer Primary: no takeover.',
    'Check the heartbeat links.',
  ),
  HOLD_PEER_REACHABLE_REPL_LOST: r(
    'warning',
    null,
    'Replication lost but the peer is reachable: no takeover (the Primary outdates this disk).',
    'Check the replication link.',
  ),
  WAIT_FENCE_DELAY: r(
    'warning',
    null,
    'Peer lost on every link and DRBD disconnected: the Secondary waits the fence delay so the Primary wins a fence race.',
    'Nothing yet.',
  ),
  FENCE_PEER: r(
    'page',
    null,
    'Peer lost on every link and DRBD disconnected: run the node-level fence handler chain.',
    'Check that the peer is really down.',
  ),
  FENCE_IN_PROGRESS: r(
    'warning',
    null,
    'The fence handler chain is running: wait for its result.',
    'Nothing.',
  ),
  FENCE_FAILED_BACKOFF: r(
    'page',
    null, // the node-level fence-failed page goes out on every failed attempt, not on entering this reason
    'The fence handler failed or timed out: no takeover; retry after backoff, paging on every failure.',
    'Fix the fence device, or power the peer off and confirm by hand.',
  ),
  TAKEOVER_FENCED: r(
    'page',
    'failover',
    'The peer is fenced (proof): take over.',
    'Investigate the fenced peer; it rejoins as Secondary and resyncs.',
  ),
  REFUSE_PEER_WAS_PRIMARY: r(
    'page',
    'refused',
    'Restarted without hearing the peer, which was the last Primary: no automatic takeover (this disk may lack its later writes).',
    'Find out whether the peer still runs the resource. If it is gone for good and this data is acceptable, promote here by hand; otherwise bring the peer back.',
  ),
  REFUSE_PEER_IO_NOT_FROZEN: r(
    'page',
    'refused',
    "Policy stonith, but DRBD's fencing is not resource-and-stonith: the silent peer may have acknowledged writes this disk lacks, so no fence and no takeover.",
    'Set `fencing resource-and-stonith;` in the resource (disk section in 8.4, net in 9) on both nodes and `drbdadm adjust`. Now: verify the peer is down and whether it wrote alone, then promote by hand.',
  ),
  REFUSE_NO_PROOF_RESOURCE_ONLY: r(
    'page',
    'refused',
    'Policy resource-only: no automatic takeover from an unreachable peer.',
    'Verify the peer is down, then `drbd-sentinel switchover` / promote by hand.',
  ),
  REFUSE_NO_PROOF_NO_FENCING: r(
    'page',
    'refused',
    'Policy none without accept-risk: no automatic takeover from an unreachable peer.',
    'Verify the peer is down and take over by hand, or configure a fence handler.',
  ),
  WAIT_DEADTIME: r(
    'warning',
    null,
    'Policy none + accept-risk: waiting until the peer has been lost for deadtime.',
    'Nothing yet.',
  ),
  TAKEOVER_ACCEPT_RISK: r(
    'page',
    'risk-accepted',
    'Policy none + accept-risk: take over without proof after deadtime (warning each time: two primaries are possible).',
    'Verify the old Primary is really down; configure fencing.',
  ),
  PRIMARY_SURVIVOR: r(
    'warning',
    null,
    'Primary, peer lost on every link and DRBD disconnected: keep running (under stonith, fence the peer at once).',
    'Bring the peer back; it resyncs as Secondary.',
  ),
  PRIMARY_PEER_SILENT_CONNECTED: r(
    'warning',
    null,
    'Primary, heartbeats silent but DRBD Connected: keep running.',
    'Check the heartbeat links.',
  ),
  // --- resource-level fencing ------------------------------------------------------------------------
  OUTDATE_PEER_REPL_LOST: r(
    'warning',
    'degraded',
    'Primary, replication lost, peer reachable: have the peer mark its disk Outdated before writing on alone.',
    'Repair the replication link.',
  ),
  OUTDATE_PEER_FAILED: r(
    'page',
    'fence-failed',
    'Outdating the peer failed: retry after backoff (under stonith, node fencing only when the peer DRBD itself failed to outdate, E_DRBD).',
    'Check the peer daemon and the heartbeat links.',
  ),
  PRIMARY_REPL_LOST_PEER_OUTDATED: r(
    'warning',
    null,
    'Primary, replication lost, peer disk Outdated: keep running alone (reconnect if DRBD is StandAlone).',
    'Repair the replication link; the peer resyncs and is unfenced.',
  ),
  PEER_RESYNCED_UNFENCED: r(
    'info',
    'resync-done',
    'The outdated peer resynced to UpToDate: the resource-level fence is lifted.',
    'Nothing.',
  ),
  ANSWER_OUTDATE_REQUEST: r(
    'info',
    null,
    'The peer (Primary) asked this Secondary to outdate its disk: mark it Outdated.',
    'Repair the replication link.',
  ),
  REFUSE_OUTDATE_PRIMARY: r(
    'page',
    'refused',
    'The peer asked this Primary to outdate its disk: refused (a Primary is never outdated).',
    'Possible split-brain in the making: check both nodes.',
  ),
  // --- operator intents ------------------------------------------------------------------------------
  SWITCHOVER_REQUEST_RELEASE: r(
    'info',
    'switchover',
    'Switchover to this node: ask the peer to release the resource.',
    'Nothing.',
  ),
  SWITCHOVER_WAIT_PEER_RELEASE: r('info', null, 'Switchover: waiting for the peer to release.', 'Nothing.'),
  SWITCHOVER_TAKEOVER: r('info', 'switchover', 'Switchover: the peer released, take over.', 'Nothing.'),
  SWITCHOVER_RELEASE: r(
    'info',
    'switchover',
    'Switchover to the peer: release here, then ask the peer to take over.',
    'Nothing.',
  ),
  SWITCHOVER_REQUEST_TAKEOVER: r(
    'info',
    null,
    'Switchover to the peer while both are Secondary: ask the peer to take over (every yieldMs), stay out of the election.',
    'Nothing; if it lasts, check the peer (standby, disk, pre-checks).',
  ),
  SWITCHOVER_WAIT_PEER_TAKEOVER: r(
    'info',
    null,
    'Switchover: released, waiting for the peer to take over.',
    'Nothing.',
  ),
  SWITCHOVER_DONE: r(
    'info',
    null,
    'Switchover complete: the resource is where it was asked to be.',
    'Nothing.',
  ),
  SWITCHOVER_REFUSED: r(
    'warning',
    'refused',
    'Switchover pre-checks failed (peer unreachable, not UpToDate, resync running, unknown target): nothing moves.',
    'Fix what the facts name, then retry.',
  ),
  PEER_REQUEST_RELEASE: r(
    'info',
    'switchover',
    'The peer asked for the resource (switchover or failback) and passes the pre-checks: release.',
    'Nothing.',
  ),
  PEER_REQUEST_RELEASE_REFUSED: r(
    'warning',
    'refused',
    'The peer asked for the resource but fails the pre-checks: keep it.',
    'See the facts.',
  ),
  PEER_REQUEST_RELEASE_WAIT_VIEW: r(
    'info',
    null,
    "The peer asked for the resource; the pre-checks fail only on what this node's view may not show yet (the peer's report and DRBD disagree): judge it again on every decision, up to 5 s, before refusing.",
    'Nothing.',
  ),
  PEER_REQUEST_TAKEOVER: r(
    'info',
    'switchover',
    'The peer released the resource and asks this node to take over: take over.',
    'Nothing.',
  ),
  PEER_REQUEST_TAKEOVER_WAIT_VIEW: r(
    'info',
    null,
    "The peer released and asked this node to take over, but this node's view still shows it Primary (or has no report): judge it again on every decision, up to 5 s, before refusing.",
    'Nothing.',
  ),
  PEER_REQUEST_TAKEOVER_REFUSED: r(
    'page',
    'refused',
    'The peer released and asked this node to take over, but this node fails the pre-checks.',
    'See the facts; the resource may be down.',
  ),
  STANDBY_RELEASE: r(
    'info',
    'switchover',
    'Standby: release the resource here and ask the peer to take over.',
    'Nothing.',
  ),
  STANDBY_HOLD: r('info', null, 'Standby: this node does not take resources.', 'Leave standby when ready.'),
  STANDBY_NO_PEER: r(
    'warning',
    'refused',
    'Standby asked but the peer cannot take over (unreachable, not UpToDate, out of sync): keep running here.',
    'Bring the peer in sync first.',
  ),
  FAILBACK_WAIT_STABLE: r(
    'info',
    null,
    'Preferred node back, UpToDate and in sync: waiting the failback stability delay.',
    'Nothing.',
  ),
  FAILBACK_REQUEST_RELEASE: r(
    'info',
    'failback',
    'Preferred node stable: ask the peer to release so this node takes the resource back.',
    'Nothing.',
  ),
  RECONNECT: r(
    'info',
    null,
    'DRBD is StandAlone without split-brain: reconnect (never with --discard-my-data).',
    'Nothing if it connects.',
  ),
} as const satisfies Record<string, ReasonInfo>;

export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

export function isReasonCode(x: string): x is ReasonCode {
  return Object.prototype.hasOwnProperty.call(REASONS, x);
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, page: 2 };

/** Numeric order of severities (info < warning < page). Pure. */
export function severityRank(s: Severity): number {
  return RANK[s];
}
