/**
 * The daemon's cycle (ARCHITECTURE.md): one serialized loop of observe → decide → journal → execute →
 * finish execution → notify, over the ports of ports.ts. It runs on every event, at the exact time the
 * last decision said it next needs to decide (fence delay, initdead, ...), and on a 1 s safety tick. Only `decide` chooses; everything here gathers
 * facts for it or carries its plan out. No I/O of its own: a node runs it over real adapters
 * (daemon.ts), the cluster simulation over simulated ones, so both run this very code.
 */
import type { Logger } from '../../common/log.js';
import { err, ok, type Result } from '../../common/result.js';
import type { DrbdView } from '../../drbd/index.js';
import { LINKED_CONNECTION_STATES } from '../../drbd/index.js';
import {
  answer,
  decide,
  explain,
  REASONS,
  type Answer,
  type Decision,
  type DrbdFencingMode,
  type EngineMemory,
  type Observation,
  type Question,
} from '../../engine/index.js';
import type { FencePeerAnswer } from '../../fencing/index.js';
import type { DaemonHealth, NodeReport, PeerOperation, PeerReply } from '../../membership/index.js';
import type { PersistedIntents } from '../intent-store.js';
import { buildNodeReport } from '../local-report.js';
import { deviceOfResource } from '../resource-devices.js';
import { SerializedLoop, type LoopTrigger } from '../serialized-loop.js';
import type { AlertBook } from '../status.js';
import { createActors, type Actors } from './actors.js';
import { Executions } from './executions.js';
import { answerFencePeerCall } from './fence-peer-call.js';
import { CycleInputs } from './inputs.js';
import { localFacts } from './local-facts.js';
import { PeerAnswers } from './peer-answers.js';
import type { CyclePorts, CycleSettings, CycleStart } from './ports.js';
import { Records, trackAlerts } from './records.js';
import { SdStatus, statusLine } from './status-line.js';
import { earliest, StallWatch } from './time.js';
import type { SwitchoverAnswer } from './switchovers.js';

/** How often the loop runs without any event (the tick of ARCHITECTURE.md). */
export const TICK_MS = 1_000;
/**
 * A gap between two iterations longer than this means this process stalled (SAFETY.md, "Monotonic time"):
 * at least three ticks, and never less than the dead time, the silence after which the peer may have
 * acted on our absence. Shorter hiccups are membership's business (its own stall guard).
 */
const MIN_STALL_THRESHOLD_MS = 3 * TICK_MS;

/** The last decision, as `status` shows it. */
export interface LastDecision {
  readonly decision: Decision;
  readonly atIso: string;
  readonly outcome: 'ok' | 'failed' | 'running' | null;
}

export class Cycle {
  private readonly log: Logger;
  private memory: EngineMemory;
  private readonly inputs: CycleInputs;
  private readonly executions: Executions;
  private readonly records: Records;
  private readonly actors: Actors;
  private readonly loop: SerializedLoop;
  readonly alerts: AlertBook = new Map();
  private readonly stall = new StallWatch();
  private lastObservation: Observation | null = null;
  private last: LastDecision | null = null;
  private report: NodeReport | null = null;
  private readonly sd = new SdStatus();

  constructor(
    private settings: CycleSettings,
    private readonly ports: CyclePorts,
    start: CycleStart,
  ) {
    this.log = ports.logger.child({ module: 'daemon' });
    this.memory = start.memory;
    const peerAnswers = new PeerAnswers({
      clock: ports.clock,
      log: this.log,
      signal: ports.signal,
      drbd: ports.drbd,
      drbdCommands: ports.drbdCommands,
      resources: () => this.settings.resources,
      deadtimeMs: () => this.settings.policy.deadtimeMs,
      view: () => this.inputs.drbdView,
      intents: () => this.inputs.intents,
      report: () => this.report,
      judge: (q) => this.judge(q),
      wake: () => this.loop.trigger('peer'),
    });
    this.inputs = new CycleInputs(
      { daemonStartMs: ports.clock.nowMs(), degradedShutdown: start.degradedAtStart },
      start.intents,
      peerAnswers,
    );
    this.records = new Records(ports, this.log, start);
    this.actors = createActors(
      ports,
      settings,
      () => this.last?.decision.reason ?? null,
      () => this.inputs.drbdView,
    );
    this.executions = new Executions({
      clock: ports.clock,
      log: this.log,
      run: (plan) => this.actors.runPlan(plan),
      onResult: (r) => {
        ports.observer.actionDone(r);
        this.inputs.switchovers.recordStep(r);
      },
      onFinished: (failed) => {
        if (this.last !== null && this.last.outcome === 'running')
          this.last = { ...this.last, outcome: failed ? 'failed' : 'ok' };
        this.loop.trigger('action-done');
      },
    });
    this.loop = new SerializedLoop({
      clock: ports.clock,
      tickIntervalMs: TICK_MS,
      step: () => this.step(),
      onUnexpectedError: (e) =>
        // An unexpected throw takes no action this tick and withholds the watchdog ping (ARCHITECTURE.md).
        this.log.error({ code: 'E_INTERNAL', err: e }, 'loop iteration failed'),
    });
  }

  // -- lifecycle and events ---------------------------------------------------------------------------

  start(): void {
    this.loop.start();
  }

  /** Stops the loop; resolves when the iteration in progress (if any) has finished. */
  async stop(message = 'daemon stopping'): Promise<void> {
    await this.loop.stop();
    this.inputs.switchovers.abandon(message);
  }

  trigger(reason: LoopTrigger): void {
    this.loop.trigger(reason);
  }

  /** New settings (reload): the next decision uses them. */
  reconfigure(settings: CycleSettings): void {
    this.settings = settings;
    this.actors.reconfigure(settings);
    this.loop.trigger('intent');
  }

  /** The DRBD event source has a new view. */
  drbdViewChanged(view: DrbdView): void {
    this.inputs.drbdView = view;
    for (const r of this.settings.resources.values()) {
      const d = deviceOfResource(view, r);
      if (d !== null && LINKED_CONNECTION_STATES.has(d.cstate))
        this.actors.requester.replicationRestored(r.name);
    }
    this.loop.trigger('drbd');
  }

  /** DRBD's `fencing` per resource (drbdadm dump-xml). */
  setDrbdFencing(modes: ReadonlyMap<string, DrbdFencingMode>): void {
    this.inputs.drbdFencing = modes;
  }

  // -- requests from outside ------------------------------------------------------------------------

  /** The peer's authenticated requests (membership calls this once per request id). */
  answerPeer(op: PeerOperation): Promise<PeerReply> {
    return this.inputs.peerAnswers.answer(op);
  }

  /**
   * DRBD's fence-peer handler, through the control socket: answered at once (DRBD has I/O frozen), each
   * step by the engine's `answer`, journaled.
   */
  answerFencePeer(resource: string): Promise<FencePeerAnswer> {
    const s = this.settings;
    return answerFencePeerCall(resource, {
      clock: this.ports.clock,
      log: this.log,
      signal: this.ports.signal,
      drbd: this.ports.drbd,
      resources: s.resources,
      view: () => this.inputs.drbdView,
      now: () => ({
        peerView: this.ports.membership.view(),
        memory: this.memory,
        observation: this.lastObservation,
      }),
      policy: s.policy.fencing,
      fenceDelayMs: s.policy.fenceDelayMs,
      deadtimeMs: s.policy.deadtimeMs,
      self: s.self,
      peer: s.peer,
      requester: this.actors.requester,
      fence: this.actors.fence,
      notify: this.ports.notify,
      judge: (q) => this.judge(q),
      fenced: (result) => {
        this.executions.addResult(result);
        this.loop.trigger('action-done');
      },
    });
  }

  /** The engine's answer to a question from outside the loop, journaled with it (replay recomputes it). */
  private judge(q: Question): Answer {
    const a = answer(q);
    this.records.journalAnswer(this.settings.self, this.ports.clock.nowMs(), q, a);
    return a;
  }

  /** An operator switchover of `resource` to node `to`: answered by a later decision. */
  requestSwitchover(resource: string, to: string): Promise<SwitchoverAnswer> {
    const r = this.settings.resources.get(resource);
    if (r === undefined)
      return Promise.resolve(err({ code: 'E_USAGE', message: `unknown resource ${resource}` }));
    return new Promise((resolve) => {
      this.inputs.switchovers.request(r, to, this.ports.clock.nowMs(), resolve);
      this.log.info({ resource, to }, 'switchover requested');
      this.loop.trigger('intent');
    });
  }

  /**
   * The reminders job: the next decision re-sends the page or warning of every problem still open (the
   * engine plans them). Returns how many alerts are open now.
   */
  remindOpenAlerts(): number {
    this.inputs.remindersDue = true;
    this.loop.trigger('intent');
    return this.alerts.size;
  }

  /** Stores and applies the operator's standby/maintenance intents (the engine notifies a maintenance switch). */
  setIntents(next: PersistedIntents): Result<void, { code: string; message: string }> {
    const saved = this.ports.stores.saveIntents(next);
    if (!saved.ok) return err({ code: 'E_CONFIG', message: saved.error });
    this.inputs.intents = next;
    this.loop.trigger('intent');
    return ok(undefined);
  }

  // -- what the cycle shows -------------------------------------------------------------------------

  get intents(): PersistedIntents {
    return this.inputs.intents;
  }
  get drbdView(): DrbdView {
    return this.inputs.drbdView;
  }
  get engineMemory(): EngineMemory {
    return this.memory;
  }
  get observation(): Observation | null {
    return this.lastObservation;
  }
  get lastDecision(): LastDecision | null {
    return this.last;
  }
  /** This node's report for the peer (heartbeats and request replies). */
  get nodeReport(): NodeReport | null {
    return this.report;
  }
  get startedAtMs(): number {
    return this.inputs.startup.daemonStartMs;
  }
  /** Monotonic time of the last healthy iteration (the watchdog's evidence), null before the first. */
  lastHealthyAt(): number | null {
    return this.loop.lastHealthyAt();
  }

  health(): DaemonHealth {
    if (!this.sd.readySent) return 'starting';
    return this.inputs.drbdView.availability === 'ok' ? 'ok' : 'degraded';
  }

  // -- the step ---------------------------------------------------------------------------------------

  private async step(): Promise<{ healthy: boolean }> {
    const { clock, membership, observer } = this.ports;
    const s = this.settings;
    const now = clock.nowMs();
    this.stall.iteration(now, Math.max(MIN_STALL_THRESHOLD_MS, s.policy.deadtimeMs));
    if (!this.executions.viewCaughtUp(now, this.inputs.drbdView, s.resources)) {
      this.loop.wakeAt(this.executions.catchUpDeadlineMs());
      return { healthy: true };
    }
    const stalled = this.stall.take();

    const local = await localFacts(s.resources, this.inputs.drbdView, this.ports.system);
    const obs = this.inputs.observe(s, {
      nowMs: clock.nowMs(),
      local,
      peer: membership.view(),
      results: this.executions.takeResults(),
      inFlight: this.executions.inFlight(),
      stalled,
    });
    const memoryBefore = this.memory;
    const { decision, memory, nextDecisionAtMs } = decide(obs, memoryBefore, s.policy);
    const previous = this.last?.decision ?? null;
    this.memory = memory;
    this.records.persistLastPrimaries(memory);
    this.records.persistDegraded(obs);
    this.lastObservation = obs;
    this.report = buildNodeReport(obs, memory, this.health());
    this.inputs.switchovers.settle(decision, obs);

    // A new peer request is journaled with its judgement even when the decision looks the same (a wait
    // displaced by a base rule shows only as `alsoDecided`).
    const changed =
      previous === null ||
      previous.reason !== decision.reason ||
      decision.plan.length > 0 ||
      obs.peerRequests.length > 0;
    if (changed) {
      this.records.journal(s.self, obs, memoryBefore, s.policy, decision);
      this.last = {
        decision,
        atIso: this.ports.wall.nowIso(),
        outcome: decision.plan.length > 0 ? 'running' : null,
      };
      const level = REASONS[decision.reason].severity === 'info' ? 'info' : 'warn';
      this.log[level](
        { reason: decision.reason, facts: decision.facts, plan: decision.plan.map((a) => a.kind) },
        explain(decision),
      );
    }
    observer.decided(obs, decision, changed);
    trackAlerts(this.alerts, decision, this.ports.wall.nowIso());
    if (decision.plan.length > 0) this.executions.start(decision);
    this.loop.wakeAt(earliest([nextDecisionAtMs, this.inputs.switchovers.deadlineMs()]));
    await this.notifySystemd(decision);
    return { healthy: true };
  }

  /** READY=1 once DRBD was seen (either way), and STATUS whenever the line changes. */
  private async notifySystemd(decision: Decision): Promise<void> {
    const view = this.inputs.drbdView;
    const line = () =>
      statusLine(this.lastObservation, this.ports.membership.view().reachable, decision, this.inputs.intents);
    if (!this.sd.readySent && view.availability !== 'unknown') {
      this.sd.readySent = true;
      await this.ports.sdNotify({ ready: true, status: line() });
      this.log.info({ drbd: view.availability }, 'ready');
    }
    const now = line();
    if (now !== this.sd.lastLine) {
      this.sd.lastLine = now;
      void this.ports.sdNotify({ status: now });
    }
  }
}
