/**
 * One drbd-sentinel daemon process in the cluster simulation: the production cycle
 * (src/daemon/cycle/) over adapters to the simulated world. Only I/O is simulated here: the events2
 * stream and /proc/drbd of the sim node (through the production parsers and reducer), drbdadm (the
 * production command layer over the sim's drbdadm), the host, heartbeats into the production
 * FailureDetector, peer requests over the heartbeat links, the fence device. Deciding, answering the
 * peer and DRBD's fence-peer handler, and executing plans are the cycle's, exactly as on a node.
 */
import { pino } from 'pino';
import type { CommandOutcome } from '../../../src/common/exec.js';
import { sentinelError } from '../../../src/common/errors.js';
import { err, ok } from '../../../src/common/result.js';
import {
  createDrbdCommands,
  INITIAL_DRBD_STATE,
  parseEvents2Line,
  parseProcDrbd,
  reduceDrbd,
  type DrbdReducerState,
} from '../../../src/drbd/index.js';
import { Cycle, type CycleSettings } from '../../../src/daemon/cycle/index.js';
import { readDrbdFencing } from '../../../src/daemon/drbd-fencing.js';
import { outdateCapMs, type PeerLink } from '../../../src/daemon/peer-requester.js';
import {
  initialMemory,
  type Decision,
  type EngineMemory,
  type EnginePolicy,
} from '../../../src/engine/index.js';
import { createCommandDrbdPort, type FenceOutcome, type FencePort } from '../../../src/executor/index.js';
import {
  FailureDetector,
  type MembershipEvent,
  type NodeReport,
  type PeerReply,
} from '../../../src/membership/index.js';
import type { PeerOperation } from '../../../src/membership/peer-protocol.js';
import { renderEvents2Line } from '../../../src/sim/events2-format.js';
import type { SimCluster } from '../../../src/sim/cluster.js';
import { ProcessClock } from './process-clock.js';
import {
  DETECTOR_TICK_MS,
  FENCE_BUDGET_MS,
  FENCE_HANDLER_TIMEOUT_MS,
  FENCE_OP_MS,
  HEARTBEAT,
  RESOURCE,
  RESOURCE_EXEC,
  REQUEST_RESEND_MS,
  other,
  type NodeName,
} from './sim-config.js';
import type { SimHost } from './sim-host.js';

/** A heartbeat as the receiving membership layer admits it (authentication is out of the simulation). */
export interface HeartbeatFrame {
  readonly incarnation: number;
  readonly seq: number;
  readonly linkSeq: number;
  readonly report: NodeReport | null;
}

export interface PeerRequestFrame {
  readonly from: NodeName;
  readonly incarnation: number;
  readonly id: number;
  readonly op: PeerOperation;
}

/** What a daemon needs from the simulated world. */
export interface DaemonWorld {
  readonly cluster: SimCluster;
  /** Sends a heartbeat on heartbeat link `link` (dropped when the link is cut). */
  sendHeartbeat(from: NodeName, link: number, frame: HeartbeatFrame): void;
  /** Sends a request on every heartbeat link that is up; `onReply` gets the answer if one comes back. */
  sendRequest(req: PeerRequestFrame, onReply: (reply: PeerReply) => void): void;
  /** The fence device's behaviour for handlers run on `node` now. */
  fenceMode(node: NodeName): 'ok' | 'fail' | 'timeout';
  /** The fence device powers `target` off (STONITH power cycle). */
  stonith(target: NodeName, by: NodeName): void;
  /** Called right before the executor's `drbdadm primary` reaches DRBD on `node`. */
  onPromoteCommand(node: NodeName): void;
  /** Every decision's reason code (coverage). */
  noteReason(reason: string): void;
  trace(line: string): void;
}

/** What the loop shows about its decisions, for the trace and the liveness exclusions. */
export interface DecisionNote {
  readonly atMs: number;
  readonly reason: string;
  readonly plan: readonly string[];
}

export class SimDaemon {
  readonly proc: ProcessClock;
  private readonly cycle: Cycle;
  private drbd: DrbdReducerState = INITIAL_DRBD_STATE;
  private readonly detector: FailureDetector;
  private readonly membershipListeners = new Set<(e: MembershipEvent) => void>();
  private hbSeq = 0;
  private readonly linkSeq = [0, 0];
  private requestSeq = 0;
  /** Requests answered by this process, by sender incarnation and id (membership's request cache). */
  private readonly answered = new Map<string, Promise<PeerReply>>();
  private readonly abort = new AbortController();
  private readonly drbdCommands;
  private unsubscribe: (() => void) | null = null;
  /** fence-peer handler calls waiting for this process (the CLI gets "connection closed" on kill). */
  private readonly handlerWaiters = new Set<(code: number) => void>();
  lastDecision: DecisionNote | null = null;

  constructor(
    readonly name: NodeName,
    readonly incarnation: number,
    private readonly world: DaemonWorld,
    host: SimHost,
    onBusyUmount: 'refuse' | 'kill',
    policy: EnginePolicy,
  ) {
    this.proc = new ProcessClock(world.cluster.clock);
    this.detector = new FailureDetector(
      [
        { localAddress: `${name}-hb0`, peerAddress: `${other(name)}-hb0` },
        { localAddress: `${name}-hb1`, peerAddress: `${other(name)}-hb1` },
      ],
      { ...HEARTBEAT, mode: { kind: 'fixed' } },
      this.proc.nowMs(),
    );
    const run = this.drbdadm();
    this.drbdCommands = createDrbdCommands({ drbdadm: 'drbdadm', run });
    const settings: CycleSettings = {
      self: name,
      peer: other(name),
      linkNames: ['link0', 'link1'],
      policy,
      resources: new Map([[RESOURCE, RESOURCE_EXEC(onBusyUmount)]]),
      fenceTimeoutMs: FENCE_BUDGET_MS,
      outdateCapMs: outdateCapMs(HEARTBEAT.deadtimeMs),
    };
    const fence = this.fencePort();
    this.cycle = new Cycle(
      settings,
      {
        clock: this.proc,
        wall: { nowIso: () => new Date(this.proc.nowMs()).toISOString() },
        logger: this.traceLogger(),
        signal: this.abort.signal,
        drbd: createCommandDrbdPort({ drbdadm: 'drbdadm', run }),
        drbdCommands: this.drbdCommands,
        system: host.systemPort(this.proc),
        membership: this.peerLink(),
        fenceChain: () => fence,
        notify: () => {},
        journal: null,
        stores: {
          saveLastPrimaries: () => ok(undefined),
          saveDegraded: () => ok(undefined),
          saveIntents: () => ok(undefined),
        },
        sdNotify: () => Promise.resolve(),
        observer: {
          decided: (_obs, decision) => this.noteDecision(decision),
          actionDone: (r) => {
            if (r.action.kind !== 'notify' && r.status !== 'ok')
              this.trace(`  ${r.action.kind} ${r.status} ${r.errorKind ?? ''} ${r.detail}`);
          },
        },
      },
      {
        // A daemon process keeps nothing across restarts here: the state dir is not simulated.
        memory: initialMemory(),
        intents: { standby: false, maintenance: false },
        degradedAtStart: false,
        savedLastPrimaries: null,
        savedDegraded: null,
      },
    );
  }

  // -- process lifecycle ------------------------------------------------------------------------------

  /**
   * As daemon.ts start(): DRBD's fencing setting (drbdadm dump-xml), membership, the events2 stream with
   * its initial dump, then the loop.
   */
  start(): void {
    void readDrbdFencing(this.drbdCommands, [RESOURCE], this.abort.signal).then((read) =>
      this.proc.run(() => {
        this.cycle.setDrbdFencing(read.modes);
        this.heartbeatTimer();
        this.detectorTimer();
        this.feedDrbd({ type: 'events2-restart' });
        const lines = this.world.cluster.events2Now(this.name, { timestamps: true, statistics: false });
        for (const line of lines) this.feedEvents2(line);
        this.unsubscribe = this.world.cluster.node(this.name).subscribe((rec) => {
          const line = renderEvents2Line(rec, { timestamps: true, statistics: false });
          this.proc.run(() => this.feedEvents2(line));
        });
        this.publishView();
        this.cycle.start();
      }),
    );
  }

  /** kill -9: memory, timers and waiting calls are gone; DRBD, mounts and services stay as they are. */
  kill(): void {
    this.proc.kill();
    this.abort.abort();
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const w of this.handlerWaiters) w(1);
    this.handlerWaiters.clear();
  }

  get engineMemory(): EngineMemory {
    return this.cycle.engineMemory;
  }

  private noteDecision(decision: Decision): void {
    for (const r of decision.resources) this.world.noteReason(r.reason);
    const previous = this.lastDecision;
    const plan = decision.plan.filter((a) => a.kind !== 'notify').map((a) => a.kind);
    this.lastDecision = { atMs: this.proc.nowMs(), reason: decision.reason, plan };
    if (previous?.reason !== decision.reason || plan.length > 0)
      this.trace(
        `${decision.reason}${plan.length > 0 ? ` [${plan.join(',')}]` : ''} ${describeFacts(decision)}`,
      );
  }

  private trace(line: string): void {
    this.world.trace(`${this.name}#${this.incarnation} ${line}`);
  }

  /** The cycle's warnings and errors (reason codes) go into the trace. */
  private traceLogger() {
    return pino(
      { level: 'warn', base: null, timestamp: false },
      {
        write: (json: string) => {
          const l = JSON.parse(json) as { code?: string; msg?: string };
          this.trace(`log ${l.code ?? ''} ${l.msg ?? ''}`);
        },
      },
    );
  }

  // -- DRBD: events2 and /proc/drbd through the production parsers and reducer ---------------------------

  private feedEvents2(line: string): void {
    const parsed = parseEvents2Line(line);
    if (!parsed.ok) return;
    this.feedDrbd({ type: 'events2', event: parsed.value });
    this.publishView();
  }

  private feedDrbd(input: Parameters<typeof reduceDrbd>[1]): void {
    this.drbd = reduceDrbd(this.drbd, input).state;
  }

  /** The 8.4 event source supplements events2 with /proc/drbd (protocol, I/O flags, sync progress). */
  private publishView(): void {
    const proc = parseProcDrbd(this.world.cluster.procDrbd(this.name));
    if (proc.ok) this.feedDrbd({ type: 'proc-supplement', snapshot: proc.value });
    this.cycle.drbdViewChanged(this.drbd.view);
  }

  /** The simulator's drbdadm as a command runner for the production DRBD command layer. */
  private drbdadm() {
    const cluster = this.world.cluster;
    return async (
      argv: readonly string[],
      options: { timeoutMs: number; signal?: AbortSignal },
    ): Promise<CommandOutcome> => {
      await this.proc.gate(undefined);
      const started = this.proc.nowMs();
      if (argv.includes('primary')) this.world.onPromoteCommand(this.name);
      const result = await new Promise<CommandOutcome>((resolve) => {
        let done = false;
        const cancel = this.proc.setTimer(options.timeoutMs, () => {
          if (done) return;
          done = true;
          resolve({ status: 'timeout', stdout: '', stderr: '', durationMs: this.proc.nowMs() - started });
        });
        void cluster.start(this.name, argv).then((r) => {
          if (done) return;
          done = true;
          cancel();
          const durationMs = this.proc.nowMs() - started;
          resolve(
            r.exitCode === 0
              ? { status: 'ok', exitCode: 0, stdout: r.stdout, stderr: r.stderr, durationMs }
              : {
                  status: 'failed',
                  exitCode: r.exitCode,
                  signal: null,
                  stdout: r.stdout,
                  stderr: r.stderr,
                  durationMs,
                },
          );
        });
      });
      return this.proc.gate(result);
    };
  }

  // -- membership: heartbeats into the production FailureDetector, requests over the links ---------------

  private heartbeatTimer(): void {
    this.proc.setTimer(HEARTBEAT.intervalMs, () => {
      this.hbSeq++;
      for (const link of [0, 1]) {
        this.linkSeq[link] = (this.linkSeq[link] ?? 0) + 1;
        this.world.sendHeartbeat(this.name, link, {
          incarnation: this.incarnation,
          seq: this.hbSeq,
          linkSeq: this.linkSeq[link] ?? 0,
          report: this.cycle.nodeReport,
        });
      }
      this.heartbeatTimer();
    });
  }

  private detectorTimer(): void {
    this.proc.setTimer(DETECTOR_TICK_MS, () => {
      this.onMembershipEvents(this.detector.tick(this.proc.nowMs()));
      this.detectorTimer();
    });
  }

  private onMembershipEvents(events: readonly MembershipEvent[]): void {
    for (const e of events) {
      for (const l of this.membershipListeners) l(e);
      this.cycle.trigger('peer');
    }
  }

  /** A heartbeat arrived on `link` (called through this process's clock: queued while paused). */
  receiveHeartbeat(link: number, f: HeartbeatFrame): void {
    const known = this.detector.view().incarnation;
    this.onMembershipEvents(
      this.detector.observe(this.proc.nowMs(), {
        link,
        incarnation: f.incarnation,
        newIncarnation: known !== f.incarnation,
        confirmed: true,
        seq: f.seq,
        heartbeatLinkSeq: f.linkSeq,
        rttSampleMs: null,
        report: f.report,
      }),
    );
  }

  /** Membership's request API: re-sent on every link until answered or out of time. */
  private peerLink(): PeerLink {
    return {
      view: () => this.detector.view(),
      onEvent: (listener) => {
        this.membershipListeners.add(listener);
        return () => this.membershipListeners.delete(listener);
      },
      request: (op, { timeoutMs }) =>
        new Promise((resolve) => {
          const id = ++this.requestSeq;
          let done = false;
          const finish = (r: Parameters<typeof resolve>[0]) => {
            if (done) return;
            done = true;
            cancel();
            resolve(r);
          };
          const cancel = this.proc.setTimer(timeoutMs, () =>
            finish(err(sentinelError('E_PEER_UNREACHABLE', 'no answer on any link'))),
          );
          const attempt = () => {
            if (done) return;
            this.world.sendRequest({ from: this.name, incarnation: this.incarnation, id, op }, (reply) =>
              this.proc.run(() => finish(ok(reply))),
            );
            this.proc.setTimer(REQUEST_RESEND_MS, attempt);
          };
          attempt();
        }),
    };
  }

  /** A request frame arrived (through this process's clock). One answer per request id, as membership guarantees. */
  receiveRequest(req: PeerRequestFrame): Promise<PeerReply> {
    const key = `${req.incarnation}/${req.id}`;
    const cached = this.answered.get(key);
    if (cached) return cached;
    const p = this.cycle.answerPeer(req.op).then((r) => this.proc.gate(r));
    this.answered.set(key, p);
    return p;
  }

  // -- the control socket's fence-peer request, and the fence device ------------------------------------

  /**
   * DRBD's fence-peer handler (`drbd-sentinel fence-peer`) reaching this daemon's control socket.
   * Resolves to the handler's exit code (1 when the daemon dies before it answers: the CLI sees the
   * connection close).
   */
  fencePeerHandler(resource: string): Promise<number> {
    return new Promise<number>((resolve) => {
      let done = false;
      const finish = (code: number) => {
        if (done) return;
        done = true;
        this.handlerWaiters.delete(finish);
        resolve(code);
      };
      this.handlerWaiters.add(finish);
      this.proc.run(() => {
        void this.cycle.answerFencePeer(resource).then((a) =>
          this.proc.run(() => {
            this.trace(`fence-peer handler: exit ${a.exitCode} ${a.message}`);
            finish(a.exitCode);
          }),
        );
      });
    });
  }

  /** STONITH through the simulated fence device (a handler chain of one). */
  private fencePort(): FencePort {
    const sleep = (ms: number) => new Promise<void>((resolve) => this.proc.setTimer(ms, resolve));
    return {
      fencePeer: async (reason) => {
        const mode = this.world.fenceMode(this.name);
        const report = (status: 'ok' | 'failed' | 'timeout', durationMs: number) => ({
          name: 'sim-ipmi',
          status,
          exitCode: status === 'ok' ? 0 : status === 'failed' ? 1 : null,
          durationMs,
          output: '',
        });
        if (mode === 'timeout') {
          await sleep(FENCE_HANDLER_TIMEOUT_MS);
          return {
            status: 'timeout',
            handlers: [report('timeout', FENCE_HANDLER_TIMEOUT_MS)],
            detail: 'fence device did not answer',
          } satisfies FenceOutcome;
        }
        await sleep(FENCE_OP_MS);
        if (mode === 'fail')
          return {
            status: 'failed',
            handlers: [report('failed', FENCE_OP_MS)],
            detail: 'fence device error',
          };
        this.world.stonith(other(this.name), this.name);
        this.trace(`STONITH ${other(this.name)} (${reason})`);
        return { status: 'fenced', handlers: [report('ok', FENCE_OP_MS)], detail: 'power cycled' };
      },
    };
  }
}

function describeFacts(d: Decision): string {
  const f = d.facts;
  return `(${String(f.role)}/${String(f.disk)} ${String(f.cstate)} peer ${String(f.peerRole)}/${String(f.peerDisk)} reach=${String(f.peerReachable)})`;
}
