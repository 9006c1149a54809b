/**
 * The real adapters of one node, built from the configuration: the DRBD event source and commands,
 * the host (mounts, services, addresses), membership over UDP, notify hooks and metrics; plus the
 * cycle's metrics observer and the scheduler's ports over them.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { err, ok } from '../common/result.js';
import type { LocalNodes, ResourceConfig, SentinelConfig } from '../config/index.js';
import { createDrbdCommands, DrbdEventSource, type DrbdCommands } from '../drbd/index.js';
import {
  createCommandDrbdPort,
  createCommandSystemPort,
  type DrbdPort,
  type SystemPort,
} from '../executor/index.js';
import { SentinelMetrics } from '../metrics/index.js';
import {
  MembershipEndpoint,
  type NodeReport,
  type PeerOperation,
  type PeerReply,
} from '../membership/index.js';
import { hooksFromConfig, NotifyRunner } from '../notify/index.js';
import type { SchedulerPorts } from '../scheduler/index.js';
import { heartbeatLinks } from './adapters.js';
import type { Cycle, CycleObserver } from './cycle/index.js';
import { deviceOfResource, minorNames } from './resource-devices.js';

export interface NodeAdapters {
  readonly drbdSource: DrbdEventSource;
  readonly drbdPort: DrbdPort;
  readonly drbdCommands: DrbdCommands;
  readonly system: SystemPort;
  readonly membership: MembershipEndpoint;
  readonly notifier: NotifyRunner;
  readonly metrics: SentinelMetrics;
}

export interface NodeAdapterOptions {
  readonly config: SentinelConfig;
  readonly nodes: LocalNodes;
  readonly logger: Logger;
  readonly version: string;
  readonly clock: Clock;
  readonly incarnation: number;
  readonly key: Buffer;
  /** This node's report for heartbeats and replies (the cycle's). */
  readonly report: () => NodeReport | null;
  readonly answerPeer: (op: PeerOperation) => Promise<PeerReply>;
}

export function buildNodeAdapters(o: NodeAdapterOptions): NodeAdapters {
  const c = o.config;
  const metrics = new SentinelMetrics({ node: o.nodes.local.name, version: o.version });
  const membership = new MembershipEndpoint({
    clusterName: c.cluster.name,
    nodeName: o.nodes.local.name,
    peerName: o.nodes.peer.name,
    key: o.key,
    incarnation: o.incarnation,
    links: heartbeatLinks(c, o.nodes),
    intervalMs: c.heartbeat.intervalMs,
    warntimeMs: c.heartbeat.warntimeMs,
    deadtimeMs: c.heartbeat.deadtimeMs,
    mode:
      c.heartbeat.detector === 'phi'
        ? { kind: 'phi', threshold: c.heartbeat.phiThreshold }
        : { kind: 'fixed' },
    clock: o.clock,
    logger: o.logger.child({ module: 'membership' }),
    getReport: o.report,
    onRequest: o.answerPeer,
  });
  metrics.observeMembership(membership.counters);
  return {
    drbdSource: new DrbdEventSource({
      drbdsetup: c.drbd.drbdsetup,
      procPath: c.drbd.proc,
      pollIntervalMs: c.drbd.pollIntervalMs,
      names: minorNames(c.resources),
      mode: c.drbd.events2 === 'on' ? 'events2' : c.drbd.events2 === 'off' ? 'proc' : 'auto',
      clock: o.clock,
      logger: o.logger.child({ module: 'drbd' }),
    }),
    drbdPort: createCommandDrbdPort({ drbdadm: c.drbd.drbdadm, drbdsetup: c.drbd.drbdsetup }),
    drbdCommands: createDrbdCommands({ drbdadm: c.drbd.drbdadm }),
    system: createCommandSystemPort({
      commands: c.commands,
      ...(c.commands.mountsFile ? { mountsFile: c.commands.mountsFile } : {}),
    }),
    membership,
    notifier: new NotifyRunner({
      hooks: hooksFromConfig(c.notify),
      node: o.nodes.local.name,
      cluster: c.cluster.name,
      clock: o.clock,
      logger: o.logger.child({ module: 'notify' }),
      onDelivery: (report) => metrics.notifyDelivery(report),
    }),
    metrics,
  };
}

/** The cycle's decisions and actions as Prometheus metrics. */
export function metricsObserver(a: NodeAdapters, cycle: () => Cycle): CycleObserver {
  const m = a.metrics;
  return {
    decided: (obs, decision) => {
      m.decision(decision.reason);
      m.setPeerReachable(obs.peer.reachable);
      for (const l of a.membership.view().links) m.setLink(`link${l.index}`, l.state !== 'down', l.rttMs);
      for (const r of obs.resources)
        m.setResource(r.name, {
          role: r.drbd?.role ?? 'Unknown',
          disk: r.drbd?.disk ?? 'DUnknown',
          cstate: r.drbd?.cstate ?? 'Unconfigured',
          syncPercent: r.drbd?.syncPercent ?? null,
        });
      m.setModes(cycle().intents);
      m.setOpenAlerts(cycle().alerts.size);
    },
    actionDone: (r) => m.action(r.action.kind, r.status, r.durationMs),
  };
}

/** What the scheduler's jobs (online verify, reminders of open alerts) read and do. */
export function schedulerPorts(
  a: NodeAdapters,
  cycle: Cycle,
  resources: readonly ResourceConfig[],
  signal: AbortSignal,
): SchedulerPorts {
  return {
    resources: () =>
      resources.map((r) => {
        const d = deviceOfResource(cycle.drbdView, r);
        return {
          name: r.name,
          role: d?.role ?? 'Unknown',
          cstate: d?.cstate ?? 'Unconfigured',
          disk: d?.disk ?? 'DUnknown',
          peerDisk: d?.peerDisk ?? 'DUnknown',
        };
      }),
    maintenance: () => cycle.intents.maintenance,
    startVerify: async (resource) => {
      const o = await a.drbdCommands.run({ op: 'verify', resource }, { signal });
      return o.ok ? ok(undefined) : err(o.error.message);
    },
    remindOpenAlerts: async () => cycle.remindOpenAlerts(),
  };
}
