/**
 * One drbd-sentinel daemon process in the cluster simulation. It mirrors the composition of
 * src/daemon/daemon.ts (step, execute, finishExecution, answerPeer, the fence-peer control handler)
 * with the same pure pieces: the DRBD parsers and reducer (events2 lines of the sim node plus a
 * /proc/drbd supplement), `buildObservation`, `decide`, `buildNodeReport`, `runPlan` over ports built
 * on the simulator (the real command-based DrbdPort over the sim's drbdadm), the FailureDetector fed by
 * simulated heartbeats, `answerOutdateRequest` and `serveFencePeer`. What it leaves out is I/O plumbing:
 * UDP/HMAC framing, the control socket, journal, metrics, notify hooks, sd_notify.
 */
import type { CommandOutcome } from '../../../src/common/exec.js';
import type { DrbdReducerState, DrbdView } from '../../../src/drbd/index.js';
import { INITIAL_DRBD_STATE, parseEvents2Line, parseProcDrbd, reduceDrbd } from '../../../src/drbd/index.js';
import { buildNodeReport } from '../../../src/daemon/local-report.js';
import { buildObservation, type LocalResourceFacts } from '../../../src/daemon/observe.js';
import { deviceOfResource } from '../../../src/daemon/resource-devices.js';
import {
  decide,
  initialMemory,
  resultObservation,
  type ActionResultObservation,
  type Decision,
  type EngineMemory,
  type EnginePolicy,
  type Observation,
  type PeerRequest,
} from '../../../src/engine/index.js';
import {
  createCommandDrbdPort,
  runPlan,
  type ActionResult,
  type DrbdPort,
  type ExecutorContext,
  type FenceOutcome,
  type FencePort,
  type PeerRequestOutcome,
  type PeerRequester,
  type SystemPort,
} from '../../../src/executor/index.js';
import { answerOutdateRequest } from '../../../src/fencing/index.js';
import { answerDrbdFencePeer } from '../../../src/daemon/drbd-fence-peer.js';
import { FailureDetector, type MembershipEvent, type NodeReport } from '../../../src/membership/index.js';
import type { PeerOperation, PeerReply } from '../../../src/membership/peer-protocol.js';
import { renderEvents2Line } from '../../../src/sim/events2-format.js';
import type { SimCluster } from '../../../src/sim/cluster.js';
import { ProcessClock } from './process-clock.js';
import {
  DETECTOR_TICK_MS,
  DEVICE,
  FENCE_BUDGET_MS,
  FENCE_HANDLER_TIMEOUT_MS,
  FENCE_OP_MS,
  HEARTBEAT,
  MOUNT_POINT,
  RESOURCE,
  RESOURCE_EXEC,
  REQUEST_RESEND_MS,
  SERVICE,
  STALL_THRESHOLD_MS,
  TICK_MS,
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
  private memory: EngineMemory = initialMemory();
  private drbd: DrbdReducerState = INITIAL_DRBD_STATE;
  private readonly detector: FailureDetector;
  private peerRequests: PeerRequest[] = [];
  private results: ActionResultObservation[] = [];
  private readonly executions = new Map<number, ReadonlySet<string | null>>();
  private nextExecutionId = 0;
  private lastStepAtMs: number | null = null;
  private stallPending = false;
  private lastObservation: Observation | null = null;
  private report: NodeReport | null = null;
  private readySent = false;
  private stepScheduled = false;
  private hbSeq = 0;
  private readonly linkSeq = [0, 0];
  private requestSeq = 0;
  /** Requests answered by this process, by sender incarnation and id (membership's request cache). */
  private readonly answered = new Map<string, Promise<PeerReply>>();
  private readonly abort = new AbortController();
  private readonly drbdPort: DrbdPort;
  private readonly system: SystemPort;
  private readonly executor: ExecutorContext;
  private readonly startedAtMs: number;
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
    private readonly policy: EnginePolicy,
  ) {
    const cluster = world.cluster;
    this.proc = new ProcessClock(cluster.clock);
    this.startedAtMs = this.proc.nowMs();
    this.detector = new FailureDetector(
      [
        { localAddress: `${name}-hb0`, peerAddress: `${other(name)}-hb0` },
        { localAddress: `${name}-hb1`, peerAddress: `${other(name)}-hb1` },
      ],
      { ...HEARTBEAT, mode: { kind: 'fixed' } },
      this.startedAtMs,
    );
    this.drbdPort = this.buildDrbdPort();
    this.system = host.systemPort(this.proc);
    this.executor = {
      resources: new Map([[RESOURCE, RESOURCE_EXEC(onBusyUmount)]]),
      drbd: this.drbdPort,
      system: this.system,
      peer: this.peerRequester(),
      fence: this.fencePort(),
      notifier: { notify: () => this.proc.gate({ status: 'ok', detail: 'queued' } as const) },
      clock: this.proc,
      signal: this.abort.signal,
      fenceTimeoutMs: FENCE_BUDGET_MS,
      localNode: name,
    };
  }

  // -- process lifecycle ------------------------------------------------------------------------------

  /** Starts the event source (events2 stream with its initial dump), membership timers and the loop. */
  start(): void {
    this.feedDrbd({ type: 'events2-restart' });
    const lines = this.world.cluster.events2Now(this.name, { timestamps: true, statistics: false });
    for (const line of lines) this.feedEvents2(line);
    this.unsubscribe = this.world.cluster.node(this.name).subscribe((rec) => {
      const line = renderEvents2Line(rec, { timestamps: true, statistics: false });
      this.proc.run(() => {
        this.feedEvents2(line);
        this.trigger();
      });
    });
    this.heartbeatTimer();
    this.detectorTimer();
    this.tickTimer();
    this.trigger();
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
    return this.memory;
  }

  private feedEvents2(line: string): void {
    const parsed = parseEvents2Line(line);
    if (parsed.ok) this.feedDrbd({ type: 'events2', event: parsed.value });
  }

  private feedDrbd(input: Parameters<typeof reduceDrbd>[1]): void {
    this.drbd = reduceDrbd(this.drbd, input).state;
  }

  private get drbdView(): DrbdView {
    return this.drbd.view;
  }

  // -- membership ---------------------------------------------------------------------------------------

  private heartbeatTimer(): void {
    this.proc.setTimer(HEARTBEAT.intervalMs, () => {
      this.hbSeq++;
      for (const link of [0, 1]) {
        this.linkSeq[link] = (this.linkSeq[link] ?? 0) + 1;
        this.world.sendHeartbeat(this.name, link, {
          incarnation: this.incarnation,
          seq: this.hbSeq,
          linkSeq: this.linkSeq[link] ?? 0,
          report: this.report,
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
      if (e.kind === 'stall') this.stallPending = true;
      this.trigger();
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

  // -- the loop (daemon.ts: step / execute / finishExecution) -------------------------------------------

  private tickTimer(): void {
    this.proc.setTimer(TICK_MS, () => {
      this.trigger();
      this.tickTimer();
    });
  }

  trigger(): void {
    if (this.stepScheduled) return;
    this.stepScheduled = true;
    this.proc.setTimer(0, () => {
      this.stepScheduled = false;
      void this.step();
    });
  }

  private stepping = false;

  private async step(): Promise<void> {
    // SerializedLoop: never two iterations at once; a trigger during one runs another after it.
    if (this.stepping) {
      this.trigger();
      return;
    }
    this.stepping = true;
    try {
      await this.stepOnce();
    } finally {
      this.stepping = false;
    }
  }

  private async stepOnce(): Promise<void> {
    const now = this.proc.nowMs();
    const stalled =
      this.stallPending || (this.lastStepAtMs !== null && now - this.lastStepAtMs > STALL_THRESHOLD_MS);
    this.stallPending = false;
    this.lastStepAtMs = now;
    // The 8.4 event source re-reads /proc/drbd for protocol, I/O flags and sync progress.
    const proc = parseProcDrbd(this.world.cluster.procDrbd(this.name));
    if (proc.ok) this.feedDrbd({ type: 'proc-supplement', snapshot: proc.value });

    const local = await this.localFacts();
    const obs = buildObservation({
      nowMs: this.proc.nowMs(),
      self: this.name,
      peerName: other(this.name),
      linkNames: ['link0', 'link1'],
      resources: [{ name: RESOURCE, device: DEVICE }],
      drbd: this.drbdView,
      local,
      peer: this.detector.view(),
      intents: { switchovers: [], standby: false, maintenance: false },
      peerRequests: this.peerRequests,
      results: this.results,
      inFlight: [...new Set([...this.executions.values()].flatMap((e) => [...e]))],
      stalled,
      startup: { daemonStartMs: this.startedAtMs, degradedShutdown: false },
      drbdFencing: new Map([[RESOURCE, this.world.cluster.node(this.name).config.fencing]]),
    });
    this.results = [];
    // Each peer request reaches the engine exactly once; the asker repeats it if it still wants it.
    this.peerRequests = [];
    const { decision, memory } = decide(obs, this.memory, this.policy);
    this.memory = memory;
    this.lastObservation = obs;
    for (const r of decision.resources) this.world.noteReason(r.reason);
    this.report = buildNodeReport(obs, memory, this.health());
    const previous = this.lastDecision;
    this.lastDecision = {
      atMs: obs.nowMs,
      reason: decision.reason,
      plan: decision.plan.filter((a) => a.kind !== 'notify').map((a) => a.kind),
    };
    if (previous?.reason !== decision.reason || this.lastDecision.plan.length > 0)
      this.world.trace(
        `${this.name}#${this.incarnation} ${decision.reason}${this.lastDecision.plan.length > 0 ? ` [${this.lastDecision.plan.join(',')}]` : ''} ${describeFacts(decision)}`,
      );
    if (decision.plan.length > 0) this.execute(decision);
    if (!this.readySent && this.drbdView.availability !== 'unknown') this.readySent = true;
  }

  private health(): 'starting' | 'ok' | 'degraded' {
    if (!this.readySent) return 'starting';
    return this.drbdView.availability === 'ok' ? 'ok' : 'degraded';
  }

  private async localFacts(): Promise<Map<string, LocalResourceFacts>> {
    const d = deviceOfResource(this.drbdView, { name: RESOURCE, device: DEVICE });
    const st = await this.system.mountState(DEVICE, MOUNT_POINT);
    const mounted = st.ok && st.value.kind === 'mounted-here';
    let servicesUp = true;
    if (d?.role !== 'Primary' && !mounted) servicesUp = false;
    else {
      const active = await this.system.serviceActive(SERVICE, { timeoutMs: 5_000 });
      servicesUp = active.ok && active.value;
    }
    return new Map([[RESOURCE, { mounted, servicesUp, currentUuid: null }]]);
  }

  private execute(decision: Decision): void {
    const inFlight = new Set([...this.executions.values()].flatMap((e) => [...e]));
    const plan = decision.plan.filter((a) => {
      const key = a.kind === 'fence-peer' ? null : a.kind === 'notify' ? undefined : a.resource;
      if (key === undefined || !inFlight.has(key)) return true;
      this.world.trace(`${this.name} BUG engine planned ${a.kind} for a resource in flight`);
      return false;
    });
    const resources = new Set<string | null>();
    for (const a of plan) if (a.kind !== 'notify') resources.add(a.kind === 'fence-peer' ? null : a.resource);
    const id = this.nextExecutionId++;
    this.executions.set(id, resources);
    void runPlan(plan, this.executor).then(
      (results) => this.proc.run(() => this.finishExecution(id, results)),
      () => this.proc.run(() => this.finishExecution(id, [])),
    );
  }

  private finishExecution(id: number, results: readonly ActionResult[]): void {
    this.executions.delete(id);
    for (const r of results) {
      // skipped-precondition passes through: the world changed under the plan, which is no failure.
      this.results.push(resultObservation(r, this.proc.nowMs()));
      if (r.action.kind !== 'notify' && r.status !== 'ok')
        this.world.trace(
          `${this.name}#${this.incarnation}   ${r.action.kind} ${r.status} ${r.errorKind ?? ''} ${r.detail}`,
        );
    }
    this.trigger();
  }

  // -- ports --------------------------------------------------------------------------------------------

  /** The production DrbdPort (src/drbd's command layer) over the simulator's drbdadm. */
  private buildDrbdPort(): DrbdPort {
    const cluster = this.world.cluster;
    const run = async (
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
    return createCommandDrbdPort({ drbdadm: 'drbdadm', run });
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
        this.world.trace(`${this.name}#${this.incarnation} STONITH ${other(this.name)} (${reason})`);
        return { status: 'fenced', handlers: [report('ok', FENCE_OP_MS)], detail: 'power cycled' };
      },
    };
  }

  /** daemon.ts peerRequester: requests over the heartbeat links, answered by the peer's answerPeer. */
  private peerRequester(): PeerRequester {
    const ask = (op: PeerOperation, deadlineMs: number): Promise<PeerRequestOutcome> =>
      new Promise((resolve) => {
        const id = ++this.requestSeq;
        let done = false;
        const finish = (o: PeerRequestOutcome) => {
          if (done) return;
          done = true;
          cancel();
          resolve(o);
        };
        const cancel = this.proc.setTimer(Math.max(1, deadlineMs - this.proc.nowMs()), () =>
          finish({ status: 'unreachable', detail: 'no answer on any link' }),
        );
        const attempt = () => {
          if (done) return;
          this.world.sendRequest({ from: this.name, incarnation: this.incarnation, id, op }, (reply) =>
            this.proc.run(() => {
              if (reply.outcome === 'done') finish({ status: 'ok', code: reply.code, detail: reply.message });
              else finish({ status: 'failed', errorKind: reply.code, detail: reply.message });
            }),
          );
          this.proc.setTimer(REQUEST_RESEND_MS, attempt);
        };
        attempt();
      });
    return {
      outdatePeer: (resource, deadlineMs) => ask({ kind: 'outdate', resource }, deadlineMs),
      requestRelease: (resource, deadlineMs) => ask({ kind: 'release', resource }, deadlineMs),
      requestTakeover: (resource, deadlineMs) => ask({ kind: 'takeover', resource }, deadlineMs),
    };
  }

  /** A request frame arrived (through this process's clock). One answer per request id, as membership guarantees. */
  receiveRequest(req: PeerRequestFrame): Promise<PeerReply> {
    const key = `${req.incarnation}/${req.id}`;
    const cached = this.answered.get(key);
    if (cached) return cached;
    const p = this.answerPeer(req.op).then((r) => this.proc.gate(r));
    this.answered.set(key, p);
    return p;
  }

  /** daemon.ts answerPeer. */
  private async answerPeer(op: PeerOperation): Promise<PeerReply> {
    const reply = (outcome: PeerReply['outcome'], code: string, message: string): PeerReply => ({
      outcome,
      code,
      message,
      report: this.report,
    });
    if (op.kind === 'state-query') return reply('done', 'state', 'current state');
    if (op.resource !== RESOURCE) return reply('refused', 'unknown-resource', `${op.resource} unknown`);
    switch (op.kind) {
      case 'outdate': {
        const answer = await answerOutdateRequest(op.resource, {
          drbd: this.drbdPort,
          clock: this.proc,
          timeoutMs: Math.max(2_000, HEARTBEAT.deadtimeMs * 2 - 500),
          signal: this.abort.signal,
        });
        this.world.trace(`${this.name}#${this.incarnation} answered outdate: ${answer.code}`);
        this.trigger();
        return reply(answer.outcome, answer.code, answer.message);
      }
      case 'prepare-handover':
        return reply('done', 'ready', 'ready to take over');
      case 'release':
      case 'takeover':
        this.peerRequests = [
          ...this.peerRequests.filter((r) => !(r.resource === op.resource && r.kind === op.kind)),
          { kind: op.kind, resource: op.resource, atMs: this.proc.nowMs() },
        ];
        this.trigger();
        return reply('done', 'accepted', `${op.kind} of ${op.resource} accepted; the engine decides`);
    }
  }

  /**
   * DRBD's fence-peer handler (`drbd-sentinel fence-peer`) reaching this daemon's control socket:
   * daemon.ts's 'fence-peer' control handler. Resolves to the handler's exit code (1 when the daemon
   * dies before it answers: the CLI sees the connection close).
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
        void this.serveFencePeer(resource).then((code) => this.proc.run(() => finish(code)));
      });
    });
  }

  private async serveFencePeer(resource: string): Promise<number> {
    const view = this.detector.view();
    const answer = await answerDrbdFencePeer(resource, {
      memory: this.memory,
      observation: this.lastObservation,
      peerReachable: view.reachable,
      peerReport: view.report,
      policy: this.policy.fencing,
      delayMs: this.policy.fenceDelayMs,
      deadtimeMs: HEARTBEAT.deadtimeMs,
      localNode: this.name,
      peerNode: other(this.name),
      clock: this.proc,
      peer: this.executor.peer,
      fence: this.executor.fence,
      signal: this.abort.signal,
      onFenced: () => {
        this.results.push({
          kind: 'fence-peer',
          resource: null,
          outcome: 'ok',
          retrySafe: true,
          atMs: this.proc.nowMs(),
          errorKind: null,
        });
        this.trigger();
      },
    });
    this.world.trace(
      `${this.name}#${this.incarnation} fence-peer handler: exit ${answer.exitCode} ${answer.message}`,
    );
    return answer.exitCode;
  }
}

function describeFacts(d: Decision): string {
  const f = d.facts;
  return `(${String(f.role)}/${String(f.disk)} ${String(f.cstate)} peer ${String(f.peerRole)}/${String(f.peerDisk)} reach=${String(f.peerReachable)})`;
}
