/**
 * The simulated world of one seed: the SimCluster (two DRBD nodes and their replication link), the
 * hosts, two heartbeat links, the fence device, power, the workload, the fault schedule and the
 * checks. Everything runs on the cluster's one VirtualClock; nothing reads real time or Math.random.
 */
import { SimCluster } from '../../../src/sim/cluster.js';
import type { PeerReply } from '../../../src/membership/peer-protocol.js';
import { formatSchedule, scheduleOf, type Fault, type Schedule } from './schedule.js';
import {
  CHECK_INTERVAL_MS,
  DAEMON_BOOT_MS,
  DRBD_CONNECT_INT_MS,
  DRBD_RESYNC_KIBPS,
  DRBD_SIZE_KIB,
  HB_DELAY_MS,
  livenessBoundMs,
  MOUNT_POINT,
  NODES,
  other,
  policyFor,
  RESOURCE,
  STONITH_OFF_MS,
  WRITE_INTERVAL_MS,
  type NodeName,
} from './sim-config.js';
import { SimDaemon, type DaemonWorld, type HeartbeatFrame, type PeerRequestFrame } from './sim-daemon.js';
import { SimHost } from './sim-host.js';

/** Why the liveness check did not apply to a seed: the design waits for an operator there, by rule. */
export type LivenessExclusion =
  /** SAFETY.md "Split-brain freezes the resource": no automatic action until an operator resolves it. */
  | 'split-brain'
  /** A step failed beyond its retries (ESCALATE_*): the engine pages and waits for an operator or a state change. */
  | 'escalated'
  /** No UpToDate disk on either node: SAFETY.md rule 2 forbids promoting; only an operator can decide. */
  | 'no-uptodate-disk';

export interface SeedResult {
  readonly seed: number;
  readonly schedule: Schedule;
  readonly violations: readonly string[];
  readonly exclusion: LivenessExclusion | null;
  readonly promotes: number;
  readonly stonith: number;
  readonly acknowledged: number;
  readonly trace: readonly string[];
  readonly endMs: number;
  /** Time from the heal until the service was first seen up (at the 500 ms checks); null when never. */
  readonly recoveryMs: number | null;
  /** Every reason code a decision of either daemon had in this run. */
  readonly reasons: readonly string[];
}

const TRACE_KEEP = 600;

export class World implements DaemonWorld {
  readonly cluster: SimCluster;
  private readonly hosts: Record<NodeName, SimHost>;
  private readonly daemons: Record<NodeName, SimDaemon | null> = { alpha: null, bravo: null };
  private readonly incarnations: Record<NodeName, number> = { alpha: 0, bravo: 0 };
  private readonly hbCut = [0, 0];
  private replCut = 0;
  private readonly down: Record<NodeName, number> = { alpha: 0, bravo: 0 };
  private readonly killed: Record<NodeName, number> = { alpha: 0, bravo: 0 };
  private readonly stonithUntil: Record<NodeName, number> = { alpha: 0, bravo: 0 };
  private readonly bootedAt: Record<NodeName, number> = { alpha: 0, bravo: 0 };
  private readonly fenceFaults: Record<NodeName, ('fail' | 'timeout')[]> = { alpha: [], bravo: [] };
  private readonly paused = new Map<Fault, SimDaemon>();
  readonly violations: string[] = [];
  /** Acknowledged writes whose only copy was on a disk that failed. */
  private readonly destroyed = new Set<string>();
  private readonly traceLines: string[] = [];
  promotes = 0;
  stonithCount = 0;
  private readonly reasons = new Set<string>();

  noteReason(reason: string): void {
    this.reasons.add(reason);
  }

  constructor(readonly schedule: Schedule) {
    this.cluster = new SimCluster({
      seed: schedule.seed,
      config: {
        fencing: schedule.fencing === 'stonith' ? 'resource-and-stonith' : 'resource-only',
        sizeKiB: DRBD_SIZE_KIB,
        resyncRateKiBps: DRBD_RESYNC_KIBPS,
        connectIntMs: DRBD_CONNECT_INT_MS,
      },
      // DRBD's fence-peer handler is `drbd-sentinel fence-peer`: it asks the local daemon.
      fencePeer: (node, env) => this.drbdFencePeer(node as NodeName, env),
    });
    // Rule 1 at the exact moment of every promotion, not only at the periodic checks.
    for (const name of NODES)
      this.cluster.node(name).onHistory((e) => {
        if (e.kind !== 'role' || e.role !== 'Primary') return;
        const peer = this.cluster.node(other(name));
        if (peer.powered && peer.up && peer.role === 'Primary')
          this.violation(`${name} became Primary while ${other(name)} is Primary`);
      });
    this.hosts = {
      alpha: new SimHost('alpha', this.cluster, this.cluster.clock),
      bravo: new SimHost('bravo', this.cluster, this.cluster.clock),
    };
  }

  get clock() {
    return this.cluster.clock;
  }

  trace(line: string): void {
    this.traceLines.push(`${(this.clock.nowMs() / 1000).toFixed(3)} ${line}`);
    if (this.traceLines.length > TRACE_KEEP * 2) this.traceLines.splice(0, TRACE_KEEP);
  }

  private violation(what: string): void {
    const line = `t=${(this.clock.nowMs() / 1000).toFixed(3)}s ${what}`;
    if (this.violations.includes(line)) return;
    this.violations.push(line);
    if (this.violations.length <= 3) this.trace(`VIOLATION ${what}`);
  }

  // -- DaemonWorld ----------------------------------------------------------------------------------------

  private linkUp(link: number): boolean {
    return (this.hbCut[link] ?? 0) === 0;
  }

  sendHeartbeat(from: NodeName, link: number, frame: HeartbeatFrame): void {
    if (!this.linkUp(link)) return;
    this.clock.setTimer(HB_DELAY_MS, () => {
      if (!this.linkUp(link)) return;
      const d = this.daemons[other(from)];
      if (d) d.proc.run(() => d.receiveHeartbeat(link, frame));
    });
  }

  sendRequest(req: PeerRequestFrame, onReply: (reply: PeerReply) => void): void {
    for (const link of [0, 1]) {
      if (!this.linkUp(link)) continue;
      this.clock.setTimer(HB_DELAY_MS, () => {
        if (!this.linkUp(link)) return;
        const d = this.daemons[other(req.from)];
        if (!d) return;
        d.proc.run(() => {
          void d.receiveRequest(req).then((reply) => {
            for (const back of [0, 1]) {
              if (!this.linkUp(back)) continue;
              this.clock.setTimer(HB_DELAY_MS, () => {
                if (this.linkUp(back)) onReply(reply);
              });
            }
          });
        });
      });
    }
  }

  fenceMode(node: NodeName): 'ok' | 'fail' | 'timeout' {
    const f = this.fenceFaults[node];
    if (f.includes('timeout')) return 'timeout';
    if (f.includes('fail')) return 'fail';
    return 'ok';
  }

  stonith(target: NodeName, by: NodeName): void {
    this.stonithCount++;
    this.trace(`fence device: ${by} power-cycles ${target}`);
    this.stonithUntil[target] = this.clock.nowMs() + STONITH_OFF_MS;
    this.reconcilePower(target);
    this.clock.setTimer(STONITH_OFF_MS, () => this.reconcilePower(target));
  }

  onPromoteCommand(node: NodeName): void {
    this.promotes++;
    const n = this.cluster.node(node);
    // SAFETY.md rule 2: every promote the executor runs must find an UpToDate disk at that moment.
    if (n.powered && n.up && n.disk !== 'UpToDate')
      this.violation(`promote of ${n.disk} data on ${node} (role ${n.role}, ${n.cstate})`);
    this.trace(`${node} drbdadm primary (disk ${n.disk}, ${n.cstate}, peer ${n.peerRole}/${n.peerDisk})`);
  }

  private drbdFencePeer(node: NodeName, env: Readonly<Record<string, string>>): Promise<number> {
    const d = this.daemons[node];
    this.trace(`${node} DRBD calls fence-peer`);
    // No daemon: the CLI cannot reach the control socket and exits 1 (I/O stays frozen).
    if (!d || !d.proc.alive) return Promise.resolve(1);
    return d.fencePeerHandler(env.DRBD_RESOURCE ?? RESOURCE);
  }

  // -- power and processes -----------------------------------------------------------------------------

  private reconcilePower(node: NodeName): void {
    const n = this.cluster.node(node);
    const want = this.down[node] === 0 && this.clock.nowMs() >= this.stonithUntil[node];
    if (n.powered && !want) {
      this.daemons[node]?.kill();
      this.daemons[node] = null;
      this.cluster.crash(node);
      this.hosts[node].powerLoss();
      this.trace(`${node} powered off`);
    } else if (!n.powered && want) {
      // Boot: the init system runs `drbdadm up`, the daemon starts a little later.
      this.cluster.powerOn(node, true);
      this.bootedAt[node] = this.clock.nowMs();
      this.trace(`${node} powered on`);
      this.clock.setTimer(DAEMON_BOOT_MS, () => this.reconcileDaemon(node));
    }
  }

  private reconcileDaemon(node: NodeName): void {
    const n = this.cluster.node(node);
    const want =
      n.powered && this.killed[node] === 0 && this.clock.nowMs() >= this.bootedAt[node] + DAEMON_BOOT_MS;
    const d = this.daemons[node];
    if (d && !want) {
      d.kill();
      this.daemons[node] = null;
      this.trace(`${node}#${d.incarnation} daemon killed`);
    } else if (!d && want) {
      const inc = ++this.incarnations[node];
      const nd = new SimDaemon(
        node,
        inc,
        this,
        this.hosts[node],
        this.schedule.onBusyUmount,
        policyFor(this.schedule.fencing),
      );
      this.daemons[node] = nd;
      this.trace(`${node}#${inc} daemon started`);
      nd.start();
    }
  }

  // -- faults -------------------------------------------------------------------------------------------

  private setRepl(delta: number): void {
    const before = this.replCut;
    this.replCut += delta;
    if (before === 0 && this.replCut > 0) this.cluster.cutLink();
    if (before > 0 && this.replCut === 0) this.cluster.restoreLink();
  }

  private begin(f: Fault): void {
    this.trace(
      `FAULT ${f.kind}${'node' in f ? ` ${f.node}` : ''}${'link' in f ? ` link${f.link}` : ''} for ${f.ms} ms`,
    );
    switch (f.kind) {
      case 'crash':
        this.down[f.node]++;
        this.reconcilePower(f.node);
        return;
      case 'kill':
        this.killed[f.node]++;
        this.reconcileDaemon(f.node);
        return;
      case 'pause': {
        const d = this.daemons[f.node];
        if (d) {
          d.proc.pause();
          this.paused.set(f, d);
        }
        return;
      }
      case 'cut-hb-link':
        this.hbCut[f.link] = (this.hbCut[f.link] ?? 0) + 1;
        return;
      case 'cut-hb':
        this.hbCut[0] = (this.hbCut[0] ?? 0) + 1;
        this.hbCut[1] = (this.hbCut[1] ?? 0) + 1;
        return;
      case 'cut-repl':
        this.setRepl(1);
        return;
      case 'partition':
        this.hbCut[0] = (this.hbCut[0] ?? 0) + 1;
        this.hbCut[1] = (this.hbCut[1] ?? 0) + 1;
        this.setRepl(1);
        return;
      case 'fence-fail':
        this.fenceFaults[f.node].push(f.mode);
        return;
      case 'busy':
        this.hosts[f.node].addHolder(f.ms, f.stubborn);
        return;
      case 'disk-fail': {
        // Acknowledged writes that only this disk holds die with it: a hardware double fault, not a
        // failover the daemon performs (SAFETY.md rule 3 is about the latter). They leave the loss check.
        const peerHeld = new Set(this.cluster.node(other(f.node)).heldWrites());
        // (Held, not only acknowledged: writes frozen by DRBD's fencing are acknowledged after the failure.)
        for (const id of this.cluster.node(f.node).heldWrites())
          if (!peerHeld.has(id)) this.destroyed.add(id);
        this.cluster.failDisk(f.node);
        return;
      }
    }
  }

  private end(f: Fault): void {
    this.trace(`HEAL ${f.kind}${'node' in f ? ` ${f.node}` : ''}${'link' in f ? ` link${f.link}` : ''}`);
    switch (f.kind) {
      case 'crash':
        this.down[f.node]--;
        this.reconcilePower(f.node);
        return;
      case 'kill':
        this.killed[f.node]--;
        this.reconcileDaemon(f.node);
        return;
      case 'pause': {
        this.paused.get(f)?.proc.resume();
        this.paused.delete(f);
        return;
      }
      case 'cut-hb-link':
        this.hbCut[f.link] = (this.hbCut[f.link] ?? 0) - 1;
        return;
      case 'cut-hb':
        this.hbCut[0] = (this.hbCut[0] ?? 0) - 1;
        this.hbCut[1] = (this.hbCut[1] ?? 0) - 1;
        return;
      case 'cut-repl':
        this.setRepl(-1);
        return;
      case 'partition':
        this.hbCut[0] = (this.hbCut[0] ?? 0) - 1;
        this.hbCut[1] = (this.hbCut[1] ?? 0) - 1;
        this.setRepl(-1);
        return;
      case 'fence-fail': {
        const list = this.fenceFaults[f.node];
        list.splice(list.indexOf(f.mode), 1);
        return;
      }
      case 'busy':
        this.hosts[f.node].endHolders();
        return;
      case 'disk-fail': {
        // The operator replaces the disk and runs `drbdadm adjust` (attach, and connect where a boot's
        // `drbdadm up` stopped at the failed attach); a full resync follows.
        const n = this.cluster.node(f.node);
        n.repairDisk();
        if (n.powered) void this.cluster.start(f.node, ['drbdadm', 'adjust', RESOURCE]);
        return;
      }
    }
  }

  // -- workload and checks ------------------------------------------------------------------------------

  private writeTimer(): void {
    this.clock.setTimer(WRITE_INTERVAL_MS, () => {
      for (const name of NODES) {
        const n = this.cluster.node(name);
        // The application runs where the file system is mounted.
        if (n.powered && n.up && n.role === 'Primary' && n.mounts.has(MOUNT_POINT))
          this.cluster.write(name, 1);
      }
      this.writeTimer();
    });
  }

  /** SAFETY.md rules 1 and 3 on the sim's state and history. */
  checkSafety(): void {
    const primaries = NODES.filter((name) => {
      const n = this.cluster.node(name);
      return n.powered && n.up && n.role === 'Primary';
    });
    if (primaries.length > 1) this.violation('two Primaries at once');
    // A Primary without access to data (Diskless, no UpToDate peer connected) serves nothing: its reads
    // and writes fail with I/O errors, so it cannot lose or hide a write; the writes sit on the peer's disk.
    const withData = primaries.filter((name) => {
      const n = this.cluster.node(name);
      return n.disk === 'UpToDate' || n.disk === 'Consistent' || (n.linked && n.peerDisk === 'UpToDate');
    });
    const w = this.cluster.checker.check(withData, this.clock.nowMs());
    for (const c of w.concurrentPrimaryWrites)
      this.violation(
        `two Primaries accepted writes: ${c.a.node} ${c.a.id}@${c.a.atMs} and ${c.b.node} ${c.b.id}@${c.b.atMs}`,
      );
    for (const l of w.lost.filter((x) => !this.destroyed.has(x.id)))
      this.violation(`acknowledged write ${l.id} lost on ${l.node} (${l.when} at ${l.atMs})`);
  }

  /** The service: exactly one node Primary with the file system mounted. */
  serviceUp(): boolean {
    const up = NODES.filter((name) => {
      const n = this.cluster.node(name);
      return n.powered && n.up && n.role === 'Primary' && n.mounts.has(MOUNT_POINT);
    });
    const primaries = NODES.filter((name) => {
      const n = this.cluster.node(name);
      return n.powered && n.up && n.role === 'Primary';
    });
    return up.length === 1 && primaries.length === 1;
  }

  /** Why the liveness check does not apply now, or null when it does. */
  exclusion(): LivenessExclusion | null {
    for (const name of NODES) {
      const d = this.daemons[name];
      const rm = d?.engineMemory.resources[RESOURCE];
      if (rm?.frozen === true || d?.lastDecision?.reason === 'FROZEN_SPLIT_BRAIN') return 'split-brain';
      if (this.cluster.node(name).kernelLog.some((l) => /Split-Brain detected/i.test(l)))
        return 'split-brain';
    }
    for (const name of NODES) {
      const rm = this.daemons[name]?.engineMemory.resources[RESOURCE];
      if (rm && (rm.blockedFingerprint !== null || rm.demoteFailed)) return 'escalated';
    }
    if (NODES.every((name) => this.cluster.node(name).disk !== 'UpToDate')) return 'no-uptodate-disk';
    return null;
  }

  /** Runs the whole schedule, then the liveness window. */
  async run(): Promise<SeedResult> {
    for (const name of NODES) {
      this.bootedAt[name] = -DAEMON_BOOT_MS;
      this.reconcileDaemon(name);
    }
    for (const f of this.schedule.faults) {
      this.clock.setTimer(f.atMs, () => {
        this.begin(f);
        this.checkSafety();
      });
      this.clock.setTimer(f.atMs + f.ms, () => {
        this.end(f);
        this.checkSafety();
      });
    }
    this.writeTimer();
    const heal = this.schedule.healAtMs;
    const endMs = heal + livenessBoundMs();
    let recoveredAtMs: number | null = null;
    while (this.clock.nowMs() < endMs) {
      await this.cluster.advance(Math.min(CHECK_INTERVAL_MS, endMs - this.clock.nowMs()));
      this.checkSafety();
      if (this.violations.length > 0) break;
      if (recoveredAtMs === null && this.clock.nowMs() >= heal && this.serviceUp())
        recoveredAtMs = this.clock.nowMs();
    }
    let exclusion: LivenessExclusion | null = null;
    if (this.violations.length === 0 && !this.serviceUp()) {
      exclusion = this.exclusion();
      if (exclusion === null) {
        const state = NODES.map((name) => {
          const n = this.cluster.node(name);
          return `${name}: ${n.powered ? `${n.role}/${n.disk} ${n.cstate} peer ${n.peerRole}/${n.peerDisk} mounts=${n.mounts.size}` : 'off'} last=${this.daemons[name]?.lastDecision?.reason ?? 'no daemon'}`;
        }).join('; ');
        this.violation(`liveness: service not back ${livenessBoundMs()} ms after the heal (${state})`);
      }
    }
    return {
      seed: this.schedule.seed,
      schedule: this.schedule,
      violations: this.violations,
      exclusion,
      promotes: this.promotes,
      stonith: this.stonithCount,
      acknowledged: this.cluster.checker.acknowledged().size,
      trace: this.traceLines.slice(-TRACE_KEEP),
      endMs: this.clock.nowMs(),
      recoveryMs: recoveredAtMs === null ? null : recoveredAtMs - heal,
      reasons: [...this.reasons].sort(),
    };
  }
}

/** Runs one seed. Deterministic: the same seed gives the same result and trace. */
export function runSeed(seed: number): Promise<SeedResult> {
  return new World(scheduleOf(seed)).run();
}

/** The message a failing seed prints: schedule, violations, the trace's tail and how to replay it. */
export function failureReport(r: SeedResult, traceLines = 150): string {
  return [
    `cluster simulation failed for seed ${r.seed}`,
    formatSchedule(r.schedule),
    'violations:',
    ...r.violations.slice(0, 8).map((v) => `  ${v}`),
    ...(r.violations.length > 8 ? [`  ... ${r.violations.length - 8} more`] : []),
    `trace (last ${traceLines} lines):`,
    ...r.trace.slice(-traceLines).map((l) => `  ${l}`),
    `replay: SEED=${r.seed} npx vitest run --project cluster-sim`,
  ].join('\n');
}
