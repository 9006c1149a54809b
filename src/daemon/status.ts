import type { ArbiterSnapshot } from '../arbiter/port.js';
import type { LocalNodes, SentinelConfig } from '../config/index.js';
import type { OpenAlert, StatusSnapshot } from '../control/index.js';
import type { Decision, EngineMemory, Observation } from '../engine/index.js';
import type { DaemonHealth, PeerView } from '../membership/index.js';
import type { PersistedIntents } from './intent-store.js';

/** Open alerts by key (resource name, or a node-level key), raised and cleared by the daemon. */
export type AlertBook = Map<string, OpenAlert>;

export interface StatusInputs {
  readonly config: SentinelConfig;
  readonly nodes: LocalNodes;
  readonly version: string;
  readonly uptimeMs: number;
  readonly health: DaemonHealth;
  readonly intents: PersistedIntents;
  readonly peer: PeerView;
  readonly nowMs: number;
  /** Wall-clock time of the snapshot (ISO 8601). */
  readonly timeIso: string;
  readonly observation: Observation | null;
  readonly memory: EngineMemory;
  readonly lastDecision: {
    readonly decision: Decision;
    readonly atIso: string;
    readonly outcome: 'ok' | 'failed' | 'running' | null;
  } | null;
  readonly alerts: AlertBook;
  /** The arbiter's snapshot; null when none is configured. */
  readonly arbiter?: ArbiterSnapshot | null;
}

const ago = (nowMs: number, atMs: number | null) => (atMs === null ? null : Math.max(0, nowMs - atMs));

/** The `status` answer, from the daemon's latest observation and decision. Pure. */
export function buildStatusSnapshot(s: StatusInputs): StatusSnapshot {
  const report = s.peer.report;
  return {
    node: s.nodes.local.name,
    peer: s.nodes.peer.name,
    cluster: s.config.cluster.name,
    time: s.timeIso,
    daemon: {
      version: s.version,
      pid: process.pid,
      uptimeMs: s.uptimeMs,
      health: s.health,
      standby: s.intents.standby,
      maintenance: s.intents.maintenance || report?.maintenance === true,
    },
    peerState: {
      reachable: s.peer.reachable,
      lastHeardMsAgo: ago(s.nowMs, s.peer.reportAtMs),
      health: report?.health ?? null,
      standby: report?.standby ?? null,
    },
    links: s.peer.links.map((l) => ({
      name: `link${l.index}`,
      local: l.localAddress,
      remote: l.peerAddress,
      state: l.state === 'down' ? (l.lastHeardAtMs === null ? 'unknown' : 'down') : 'up',
      rttMs: l.rttMs,
      lastHeardMsAgo: ago(s.nowMs, l.lastHeardAtMs),
    })),
    resources: (s.observation?.resources ?? []).map((r) => ({
      name: r.name,
      role: r.drbd?.role ?? 'Unknown',
      peerRole: r.drbd?.peerRole ?? 'Unknown',
      disk: r.drbd?.disk ?? 'DUnknown',
      peerDisk: r.drbd?.peerDisk ?? 'DUnknown',
      cstate: r.drbd?.cstate ?? 'Unconfigured',
      syncPercent: r.drbd?.syncPercent ?? null,
      syncEtaSeconds: r.drbd?.syncEtaSeconds ?? null,
      mounted: r.mounted,
      servicesUp: r.servicesUp,
      frozen: r.splitBrain || (s.memory.resources[r.name]?.frozen ?? false),
    })),
    lastDecision:
      s.lastDecision === null
        ? null
        : {
            time: s.lastDecision.atIso,
            reason: s.lastDecision.decision.reason,
            actions: s.lastDecision.decision.plan.map((a) => a.kind),
            outcome: s.lastDecision.outcome,
          },
    alerts: [...s.alerts.values()],
    ...(s.arbiter === undefined || s.arbiter === null
      ? {}
      : {
          arbiter: {
            reachable: s.arbiter.reachable,
            leaseLeftMs:
              s.arbiter.ownLeaseValidUntilMs === null
                ? null
                : Math.max(0, s.arbiter.ownLeaseValidUntilMs - s.nowMs),
            leaseTtlMs: s.arbiter.leaseTtlMs,
            lastContactMsAgo: ago(s.nowMs, s.arbiter.lastContactMs),
            owners: s.arbiter.owners.map((o) => ({
              resource: o.resource,
              owner: o.owner,
              revision: o.revision,
            })),
          },
        }),
  };
}
