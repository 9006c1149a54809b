import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  CONNECTION_STATES,
  DISK_STATES,
  LINKED_CONNECTION_STATES,
  ROLES,
  type ConnectionState,
  type DiskState,
  type Role,
} from '../drbd/types.js';
import { REJECT_REASONS, type MembershipCounters } from '../membership/index.js';
import type { DeliveryReport } from '../notify/delivery.js';

/** Seconds buckets for action durations: promote takes ~100 ms, a fence handler or umount can take a minute. */
const ACTION_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const LOOP_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

export interface ResourceMetricsState {
  readonly role: Role;
  readonly disk: DiskState;
  readonly cstate: ConnectionState;
  /** Resync / verify progress, null when none runs. */
  readonly syncPercent: number | null;
}

/**
 * The daemon's Prometheus metrics on their own registry (never prom-client's global one, so tests and two
 * in-process nodes do not collide). Names are prefixed `drbd_sentinel_`; label values are bounded sets
 * (link names, resource names, reason codes, action kinds), never free text.
 */
export class SentinelMetrics {
  readonly registry = new Registry();
  /** The membership's own counters, read at scrape time (one bookkeeping, never copied). */
  private membership: {
    readonly counters: MembershipCounters;
    readonly linkName: (i: number) => string;
  } | null = null;

  private readonly heartbeatsSent: Counter<'link'> = new Counter({
    name: 'drbd_sentinel_heartbeat_packets_sent_total',
    help: 'Heartbeat packets sent, per link',
    labelNames: ['link'] as const,
    registers: [this.registry],
    collect: () =>
      this.fromMembership(this.heartbeatsSent, (c, link) =>
        this.heartbeatsSent.inc({ link }, c.heartbeatsSent),
      ),
  });
  private readonly heartbeatsReceived: Counter<'link'> = new Counter({
    name: 'drbd_sentinel_heartbeat_packets_received_total',
    help: 'Authenticated heartbeat packets accepted (confirmed), per link',
    labelNames: ['link'] as const,
    registers: [this.registry],
    collect: () =>
      this.fromMembership(this.heartbeatsReceived, (c, link) =>
        this.heartbeatsReceived.inc({ link }, c.heartbeatsReceived),
      ),
  });
  private readonly packetsRejected: Counter<'link' | 'reason'> = new Counter({
    name: 'drbd_sentinel_heartbeat_packets_rejected_total',
    help: 'Packets dropped on a heartbeat link, per link and reason (bad-mac, replayed, invalid-field, ...)',
    labelNames: ['link', 'reason'] as const,
    registers: [this.registry],
    collect: () =>
      this.fromMembership(this.packetsRejected, (c, link) => {
        for (const reason of REJECT_REASONS) this.packetsRejected.inc({ link, reason }, c.rejected[reason]);
      }),
  });
  private readonly linkUp = new Gauge({
    name: 'drbd_sentinel_link_up',
    help: '1 when the peer was heard on this heartbeat link within the dead time',
    labelNames: ['link'] as const,
    registers: [this.registry],
  });
  private readonly linkRtt = new Gauge({
    name: 'drbd_sentinel_link_rtt_seconds',
    help: 'Smoothed heartbeat round-trip time per link (absent while unknown)',
    labelNames: ['link'] as const,
    registers: [this.registry],
  });
  private readonly peerReachable = new Gauge({
    name: 'drbd_sentinel_peer_reachable',
    help: '1 when the peer is heard on at least one heartbeat link',
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'drbd_sentinel_decisions_total',
    help: 'Engine decisions by reason code',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly actions = new Counter({
    name: 'drbd_sentinel_actions_total',
    help: 'Plan actions executed, by kind and outcome',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });
  private readonly actionDuration = new Histogram({
    name: 'drbd_sentinel_action_duration_seconds',
    help: 'Duration of executed plan actions, by kind and outcome',
    labelNames: ['kind', 'status'] as const,
    buckets: ACTION_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly notifyDeliveries = new Counter({
    name: 'drbd_sentinel_notify_deliveries_total',
    help: 'Notify hook deliveries by hook kind, outcome and failure reason (none when ok)',
    labelNames: ['kind', 'status', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly resourceRole = new Gauge({
    name: 'drbd_sentinel_resource_role',
    help: '1 for the local DRBD role of the resource, 0 for the others',
    labelNames: ['resource', 'role'] as const,
    registers: [this.registry],
  });
  private readonly resourceDisk = new Gauge({
    name: 'drbd_sentinel_resource_disk_state',
    help: '1 for the local disk state of the resource, 0 for the others',
    labelNames: ['resource', 'disk'] as const,
    registers: [this.registry],
  });
  private readonly resourceCstate = new Gauge({
    name: 'drbd_sentinel_resource_connection_state',
    help: '1 for the DRBD connection state of the resource, 0 for the others',
    labelNames: ['resource', 'cstate'] as const,
    registers: [this.registry],
  });
  private readonly resourceReplicating = new Gauge({
    name: 'drbd_sentinel_resource_replicating',
    help: '1 when the replication link of the resource is established',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });
  private readonly resourceSync = new Gauge({
    name: 'drbd_sentinel_resource_sync_percent',
    help: 'Resync or online-verify progress of the resource (absent when none runs)',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });
  private readonly modes = new Gauge({
    name: 'drbd_sentinel_mode',
    help: '1 while the mode (standby, maintenance) is on',
    labelNames: ['mode'] as const,
    registers: [this.registry],
  });
  private readonly openAlerts = new Gauge({
    name: 'drbd_sentinel_open_alerts',
    help: 'Alerts raised and not yet resolved',
    registers: [this.registry],
  });
  private readonly loopCycles = new Histogram({
    name: 'drbd_sentinel_loop_cycle_seconds',
    help: 'Duration of one observe-decide-act cycle of the main loop (excluding action execution)',
    buckets: LOOP_BUCKETS_S,
    registers: [this.registry],
  });

  constructor(
    options: { readonly node?: string; readonly version?: string; readonly processMetrics?: boolean } = {},
  ) {
    new Gauge({
      name: 'drbd_sentinel_info',
      help: 'Constant 1, labelled with the node name and version',
      labelNames: ['node', 'version'] as const,
      registers: [this.registry],
    }).set({ node: options.node ?? '', version: options.version ?? '' }, 1);
    if (options.processMetrics === true)
      collectDefaultMetrics({ register: this.registry, prefix: 'drbd_sentinel_' });
    this.modes.set({ mode: 'standby' }, 0);
    this.modes.set({ mode: 'maintenance' }, 0);
    this.peerReachable.set(0);
    this.openAlerts.set(0);
  }

  /**
   * Exports the membership's counters (per link: heartbeats sent, received, packets rejected by reason)
   * at every scrape. `linkName` must match the `link` label of `setLink` (the daemon uses `link<index>`).
   */
  observeMembership(
    counters: MembershipCounters,
    linkName: (index: number) => string = (i) => `link${i}`,
  ): void {
    this.membership = { counters, linkName };
  }

  /** Replaces `metric`'s series by the membership's current values (a counter only ever grows there). */
  private fromMembership<L extends string>(
    metric: Counter<L>,
    set: (c: MembershipCounters['links'][number], link: string) => void,
  ): void {
    const m = this.membership;
    if (m === null) return;
    metric.reset();
    m.counters.links.forEach((c, i) => set(c, m.linkName(i)));
  }
  setLink(link: string, up: boolean, rttMs: number | null): void {
    this.linkUp.set({ link }, up ? 1 : 0);
    if (rttMs === null) this.linkRtt.remove({ link });
    else this.linkRtt.set({ link }, rttMs / 1_000);
  }
  setPeerReachable(reachable: boolean): void {
    this.peerReachable.set(reachable ? 1 : 0);
  }
  decision(reason: string): void {
    this.decisions.inc({ reason });
  }
  action(kind: string, status: string, durationMs: number): void {
    this.actions.inc({ kind, status });
    this.actionDuration.observe({ kind, status }, durationMs / 1_000);
  }
  notifyDelivery(report: DeliveryReport): void {
    this.notifyDeliveries.inc({
      kind: report.kind,
      status: report.status,
      reason: report.status === 'ok' ? 'none' : report.reason,
    });
  }
  setResource(resource: string, s: ResourceMetricsState): void {
    for (const role of ROLES) this.resourceRole.set({ resource, role }, role === s.role ? 1 : 0);
    for (const disk of DISK_STATES) this.resourceDisk.set({ resource, disk }, disk === s.disk ? 1 : 0);
    for (const cstate of CONNECTION_STATES)
      this.resourceCstate.set({ resource, cstate }, cstate === s.cstate ? 1 : 0);
    this.resourceReplicating.set({ resource }, LINKED_CONNECTION_STATES.has(s.cstate) ? 1 : 0);
    if (s.syncPercent === null) this.resourceSync.remove({ resource });
    else this.resourceSync.set({ resource }, s.syncPercent);
  }
  /** Drops a resource's series (removed from the configuration on reload). */
  removeResource(resource: string): void {
    for (const role of ROLES) this.resourceRole.remove({ resource, role });
    for (const disk of DISK_STATES) this.resourceDisk.remove({ resource, disk });
    for (const cstate of CONNECTION_STATES) this.resourceCstate.remove({ resource, cstate });
    this.resourceReplicating.remove({ resource });
    this.resourceSync.remove({ resource });
  }
  setModes(m: { readonly standby: boolean; readonly maintenance: boolean }): void {
    this.modes.set({ mode: 'standby' }, m.standby ? 1 : 0);
    this.modes.set({ mode: 'maintenance' }, m.maintenance ? 1 : 0);
  }
  setOpenAlerts(count: number): void {
    this.openAlerts.set(count);
  }
  loopCycle(durationMs: number): void {
    this.loopCycles.observe(durationMs / 1_000);
  }
}
