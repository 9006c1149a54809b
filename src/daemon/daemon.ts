/**
 * The composition root (ARCHITECTURE.md): builds every adapter from the configuration and drives one
 * serialized loop — observe, decide, journal, execute, notify. Only `decide` chooses; everything here
 * gathers facts for it or carries its plan out.
 */
import { mkdirSync } from 'node:fs';
import { systemClock, type Clock } from '../common/clock.js';
import { sentinelError, type SentinelError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { err, ok, type Result } from '../common/result.js';
import { readSecretFile, type LocalNodes, type SentinelConfig } from '../config/index.js';
import type { ControlServer, StatusSnapshot, OperationReport, StepReport } from '../control/index.js';
import { startControlServer, type ControlHandlers } from '../control/index.js';
import {
  createDrbdCommands,
  DrbdEventSource,
  EMPTY_DRBD_VIEW,
  LINKED_CONNECTION_STATES,
  type DrbdCommands,
  type DrbdView,
} from '../drbd/index.js';
import {
  decide,
  explain,
  resultObservation,
  initialMemory,
  REASONS,
  type ActionResultObservation,
  type Decision,
  type DrbdFencingMode,
  type EngineMemory,
  type EnginePolicy,
  type Observation,
  type PeerRequest,
} from '../engine/index.js';
import {
  createCommandDrbdPort,
  createCommandSystemPort,
  drbdStep,
  runPlan,
  type ActionResult,
  type DrbdPort,
  type ExecutorContext,
  type SystemPort,
} from '../executor/index.js';
import type { DrbdResourceStatus, FencePort } from '../executor/ports.js';
import {
  answerOutdateRequest,
  createFencePort,
  fenceOnce,
  type FenceOnce,
  type OutdateAnswerResult,
} from '../fencing/index.js';
import {
  JOURNAL_VERSION,
  JournalWriter,
  journalOptionsFromConfig,
  type JournalEntry,
} from '../journal/index.js';
import { SentinelMetrics, startMetricsServer, type MetricsServer } from '../metrics/index.js';
import {
  MembershipEndpoint,
  nextIncarnation,
  type DaemonHealth,
  type NodeReport,
  type PeerOperation,
  type PeerReply,
} from '../membership/index.js';
import { hooksFromConfig, NotifyRunner } from '../notify/index.js';
import { Scheduler } from '../scheduler/index.js';
import type { SdNotifier } from '../systemd/index.js';
import { Watchdog, watchdogIntervalMs } from '../systemd/index.js';
import { fenceBudgetMs, fenceHandlers, heartbeatLinks, resourceExecConfigs } from './adapters.js';
import { enginePolicyFromConfig } from './engine-policy.js';
import { loadDegraded, saveDegraded } from './degraded-store.js';
import { answerDrbdFencePeer, screenFencePeer } from './drbd-fence-peer.js';
import { readDrbdFencing } from './drbd-fencing.js';
import { createDaemonPeerRequester, outdateCapMs, type DaemonPeerRequester } from './peer-requester.js';
import { loadIntents, saveIntents, type PersistedIntents } from './intent-store.js';
import {
  lastPrimariesOf,
  loadLastPrimaries,
  memoryWithLastPrimaries,
  saveLastPrimaries,
} from './last-primary-store.js';
import { buildNodeReport } from './local-report.js';
import { buildObservation, type LocalResourceFacts } from './observe.js';
import { deviceOfResource, minorNames } from './resource-devices.js';
import { SerializedLoop, type LoopTrigger } from './serialized-loop.js';
import { buildStatusSnapshot, type AlertBook } from './status.js';

export interface DaemonOptions {
  readonly config: SentinelConfig;
  readonly nodes: LocalNodes;
  readonly logger: Logger;
  readonly version: string;
  readonly sd: SdNotifier;
  readonly clock?: Clock;
}

/** How often the loop runs without any event (the tick of ARCHITECTURE.md). */
const TICK_MS = 1_000;
/**
 * A gap between two iterations longer than this means this process stalled (SAFETY.md, "Monotonic time"):
 * at least three ticks, and never less than the dead time, the silence after which the peer may have
 * acted on our absence. Shorter hiccups are membership's business (its own stall guard).
 */
const MIN_STALL_THRESHOLD_MS = 3 * TICK_MS;
/** A refused peer request is judged again on each decision for this long (the views converge meanwhile). */
const PEER_REQUEST_REJUDGE_MS = 5_000;
/** After DRBD actions complete, decisions wait this long at most for the DRBD view to show their effect. */
const VIEW_CATCH_UP_MS = 3_000;

interface SwitchoverWaiter {
  readonly resource: string;
  readonly to: string;
  readonly steps: StepReport[];
  readonly resolve: (r: Result<OperationReport, { code: string; message: string }>) => void;
  readonly deadlineMs: number;
}

interface Execution {
  readonly id: number;
  readonly resources: ReadonlySet<string | null>;
}

export class Daemon {
  private readonly clock: Clock;
  private readonly log: Logger;
  private config: SentinelConfig;
  private policy: EnginePolicy;
  private readonly nodes: LocalNodes;
  private memory: EngineMemory = initialMemory();
  private drbdView: DrbdView = EMPTY_DRBD_VIEW;
  private intents: PersistedIntents = { standby: false, maintenance: false };
  private switchovers: SwitchoverWaiter[] = [];
  private peerRequests: PeerRequest[] = [];
  private results: ActionResultObservation[] = [];
  private readonly executions = new Map<number, Execution>();
  private nextExecutionId = 0;
  private lastStepAtMs: number | null = null;
  /** Roles DRBD must show before the next decision, after promote/demote succeeded (until the deadline). */
  private expectedRoles = new Map<string, { role: 'Primary' | 'Secondary'; untilMs: number }>();
  private lastObservation: Observation | null = null;
  private lastDecision: {
    decision: Decision;
    atIso: string;
    outcome: 'ok' | 'failed' | 'running' | null;
  } | null = null;
  private report: NodeReport | null = null;
  private readySent = false;
  private lastStatusLine = '';
  private readonly startedAtMs: number;
  private journalSeq = 0;
  private savedLastPrimaries = '{}';
  private savedDegraded: boolean | null = null;
  /** The cluster was degraded when this node last ran (the startup wait is then degraded-initdead). */
  private degradedAtStart = true;
  private stallSeen = false;
  private readonly alerts: AlertBook = new Map();
  private drbdFencing: ReadonlyMap<string, DrbdFencingMode> = new Map();
  private readonly abort = new AbortController();

  private readonly loop: SerializedLoop;
  private readonly drbdSource: DrbdEventSource;
  private readonly membership: MembershipEndpoint;
  private readonly drbdPort: DrbdPort;
  private readonly drbdCommands: DrbdCommands;
  private readonly system: SystemPort;
  private readonly notifier: NotifyRunner;
  private readonly metrics: SentinelMetrics;
  private executor: ExecutorContext;
  /** The configured handler chain; every caller reaches it through `fence` (one fence per loss episode). */
  private fenceChain: FencePort | null = null;
  private readonly fence: FenceOnce;
  private readonly peers: DaemonPeerRequester;
  /** Outdate requests this node is answering, per resource: a second one shares the first's answer. */
  private readonly outdateAnswers = new Map<string, Promise<OutdateAnswerResult>>();
  private journal: JournalWriter | null = null;
  private control: ControlServer | null = null;
  private metricsServer: MetricsServer | null = null;
  private scheduler: Scheduler | null = null;
  private watchdog: Watchdog | null = null;

  private constructor(
    private readonly options: DaemonOptions,
    incarnation: number,
    key: Buffer,
  ) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ module: 'daemon' });
    this.config = options.config;
    this.nodes = options.nodes;
    this.policy = enginePolicyFromConfig(this.config);
    this.startedAtMs = this.clock.nowMs();
    const c = this.config;
    this.metrics = new SentinelMetrics({ node: this.nodes.local.name, version: options.version });

    this.drbdSource = new DrbdEventSource({
      drbdsetup: c.drbd.drbdsetup,
      procPath: c.drbd.proc,
      pollIntervalMs: c.drbd.pollIntervalMs,
      names: minorNames(c.resources),
      mode: c.drbd.events2 === 'on' ? 'events2' : c.drbd.events2 === 'off' ? 'proc' : 'auto',
      clock: this.clock,
      logger: options.logger.child({ module: 'drbd' }),
    });
    this.drbdPort = createCommandDrbdPort({ drbdadm: c.drbd.drbdadm });
    this.drbdCommands = createDrbdCommands({ drbdadm: c.drbd.drbdadm });
    this.system = createCommandSystemPort({
      commands: c.commands,
      ...(c.commands.mountsFile ? { mountsFile: c.commands.mountsFile } : {}),
    });
    this.notifier = new NotifyRunner({
      hooks: hooksFromConfig(c.notify),
      node: this.nodes.local.name,
      cluster: c.cluster.name,
      clock: this.clock,
      logger: options.logger.child({ module: 'notify' }),
      onDelivery: (report) => this.metrics.notifyDelivery(report),
    });
    this.membership = new MembershipEndpoint({
      clusterName: c.cluster.name,
      nodeName: this.nodes.local.name,
      peerName: this.nodes.peer.name,
      key,
      incarnation,
      links: heartbeatLinks(c, this.nodes),
      intervalMs: c.heartbeat.intervalMs,
      warntimeMs: c.heartbeat.warntimeMs,
      deadtimeMs: c.heartbeat.deadtimeMs,
      mode:
        c.heartbeat.detector === 'phi'
          ? { kind: 'phi', threshold: c.heartbeat.phiThreshold }
          : { kind: 'fixed' },
      clock: this.clock,
      logger: options.logger.child({ module: 'membership' }),
      getReport: () => this.report,
      onRequest: (op) => this.answerPeer(op),
    });
    this.metrics.observeMembership(this.membership.counters);
    this.peers = createDaemonPeerRequester({
      link: this.membership,
      clock: this.clock,
      logger: options.logger.child({ module: 'peer-requests' }),
      outdateCapMs: outdateCapMs(c.heartbeat.deadtimeMs),
    });
    this.fence = fenceOnce({
      inner: () =>
        this.fenceChain ?? {
          fencePeer: async () => ({ status: 'failed', handlers: [], detail: 'no fence port' }),
        },
      clock: this.clock,
      heardSince: (atMs) =>
        this.membership.view().links.some((l) => l.lastHeardAtMs !== null && l.lastHeardAtMs > atMs),
      logger: options.logger.child({ module: 'fencing' }),
    });
    this.executor = this.buildExecutor();
    this.loop = new SerializedLoop({
      clock: this.clock,
      tickIntervalMs: TICK_MS,
      step: (triggers) => this.step(triggers),
      onUnexpectedError: (e) =>
        // An unexpected throw takes no action this tick and withholds the watchdog ping (ARCHITECTURE.md).
        this.log.error({ code: 'E_INTERNAL', err: e }, 'loop iteration failed'),
    });
  }

  /** Reads the secret and the incarnation, then builds the daemon (nothing started yet). */
  static async create(options: DaemonOptions): Promise<Result<Daemon, SentinelError>> {
    const c = options.config;
    try {
      mkdirSync(c.stateDir, { recursive: true, mode: 0o700 });
    } catch (e) {
      return err(sentinelError('E_CONFIG', `cannot create state-dir ${c.stateDir}: ${(e as Error).message}`));
    }
    const secret = readSecretFile(c.cluster.secretFile);
    if (!secret.ok) return err(sentinelError('E_CONFIG', secret.error));
    const key = secret.value;
    const incarnation = await nextIncarnation(c.stateDir);
    if (!incarnation.ok) return err(incarnation.error);
    return ok(new Daemon(options, incarnation.value, key));
  }

  async start(): Promise<Result<void, SentinelError>> {
    const c = this.config;
    const lastPrimaries = loadLastPrimaries(c.stateDir);
    if (lastPrimaries.ok) {
      this.memory = memoryWithLastPrimaries(lastPrimaries.value);
      this.savedLastPrimaries = JSON.stringify(lastPrimaries.value);
    } else
      // The engine then treats every resource as never seen Primary: the startup wait and fencing rules still hold.
      this.log.error({ code: 'E_CONFIG', reason: lastPrimaries.error }, 'last-primary file unreadable');
    const degraded = loadDegraded(c.stateDir);
    if (degraded.ok) this.degradedAtStart = this.savedDegraded = degraded.value;
    else
      this.log.error(
        { code: 'E_CONFIG', reason: degraded.error },
        'degraded-state file unreadable, assuming degraded',
      );
    const intents = loadIntents(c.stateDir);
    if (intents.ok) this.intents = intents.value;
    else {
      // SAFETY: an unreadable intents file may hide "maintenance on": observe only until an operator decides.
      this.intents = { standby: false, maintenance: true };
      this.log.error({ code: 'E_CONFIG', reason: intents.error }, 'intents unreadable, entering maintenance');
    }
    const journal = JournalWriter.open({
      ...journalOptionsFromConfig(c.journal, c.stateDir),
      clock: this.clock,
      logger: this.options.logger.child({ module: 'journal' }),
    });
    // The journal is for replay and forensics; the daemon runs on without it (logged), never stops for it.
    if (journal.ok) this.journal = journal.value;
    else this.log.error({ code: journal.error.code, reason: journal.error.message }, 'journal unavailable');

    await this.loadDrbdFencing();
    const membership = await this.membership.start();
    if (!membership.ok) return membership;
    this.membership.onEvent(() => this.loop.trigger('peer'));

    this.drbdSource.subscribe((view) => {
      this.drbdView = view;
      for (const r of this.config.resources) {
        const d = deviceOfResource(view, r);
        if (d !== null && LINKED_CONNECTION_STATES.has(d.cstate)) this.peers.replicationRestored(r.name);
      }
      this.loop.trigger('drbd');
    });
    this.drbdSource.start();

    const control = await startControlServer({
      path: c.control.socket,
      logger: this.options.logger.child({ module: 'control' }),
      handlers: this.controlHandlers(),
    });
    if (!control.ok) {
      await this.stop();
      return control;
    }
    this.control = control.value;

    if (c.control.metrics !== null) {
      const m = await startMetricsServer({
        listen: c.control.metrics,
        registry: this.metrics.registry,
        logger: this.options.logger,
      });
      if (m.ok) this.metricsServer = m.value;
      else this.log.warn({ code: m.error.code, reason: m.error.message }, 'metrics endpoint not started');
    }

    const scheduler = Scheduler.create({
      verifyCron: c.schedule.verify,
      remindersCron: c.schedule.reminders,
      logger: this.options.logger.child({ module: 'scheduler' }),
      ports: {
        resources: () =>
          c.resources.map((r) => {
            const d = deviceOfResource(this.drbdView, r);
            return {
              name: r.name,
              role: d?.role ?? 'Unknown',
              cstate: d?.cstate ?? 'Unconfigured',
              disk: d?.disk ?? 'DUnknown',
              peerDisk: d?.peerDisk ?? 'DUnknown',
            };
          }),
        maintenance: () => this.intents.maintenance,
        startVerify: async (resource) => {
          const o = await this.drbdCommands.run({ op: 'verify', resource }, { signal: this.abort.signal });
          return o.ok ? ok(undefined) : err(o.error.message);
        },
        remindOpenAlerts: async () => {
          for (const alert of this.alerts.values())
            this.notifier.notify({
              event: alert.event,
              resource: alert.resource,
              message: `still open: ${alert.message}`,
            });
          return this.alerts.size;
        },
      },
    });
    if (scheduler.ok) {
      this.scheduler = scheduler.value;
      this.scheduler.start();
    } else this.log.error({ code: 'E_CONFIG', reason: scheduler.error }, 'scheduler not started');

    const wd = watchdogIntervalMs(process.env);
    if (wd !== null) {
      this.watchdog = new Watchdog({
        clock: this.clock,
        intervalMs: wd,
        isHealthy: () => this.healthy(wd),
        ping: () => this.options.sd.notify({ watchdog: true }),
        logger: this.options.logger.child({ module: 'watchdog' }),
      });
      this.watchdog.start();
    }
    this.loop.start();
    this.log.info(
      {
        node: this.nodes.local.name,
        peer: this.nodes.peer.name,
        incarnation: this.membership.incarnation,
        fencing: c.fencing.policy,
        maintenance: this.intents.maintenance,
        standby: this.intents.standby,
      },
      'daemon started',
    );
    if (c.fencing.policy === 'none' && c.fencing.acceptRisk)
      this.log.warn(
        { code: 'RISK_ACCEPTED' },
        'fencing policy none with accept-risk: a partition can cause split-brain',
      );
    return ok(undefined);
  }

  /**
   * Stops cleanly without touching DRBD roles, mounts or services: a stopping daemon is not a failover.
   * Actions in progress are aborted at their next check.
   */
  async stop(): Promise<void> {
    this.log.info({}, 'daemon stopping');
    await this.options.sd.notify({ stopping: true, status: 'stopping' });
    this.watchdog?.stop();
    this.scheduler?.stop();
    await this.loop.stop();
    this.abort.abort();
    await this.drbdSource.stop();
    await this.membership.stop();
    await this.control?.close();
    await this.metricsServer?.close();
    for (const w of this.switchovers) w.resolve(err({ code: 'E_CONTROL', message: 'daemon stopping' }));
    this.switchovers = [];
    await this.notifier.close();
    this.journal?.close();
  }

  /**
   * Applies a new configuration to the decision policy, hooks and timeouts. Changes to the node names,
   * links, ports, secret or socket need a restart and are refused (the old configuration stays).
   */
  reload(next: SentinelConfig): Result<void, string> {
    const old = this.config;
    const fixed = (c: SentinelConfig) =>
      JSON.stringify([
        c.cluster,
        c.nodes,
        c.heartbeat.port,
        c.control,
        c.stateDir,
        c.drbd,
        c.resources.map((r) => [r.name, r.device]),
      ]);
    if (fixed(old) !== fixed(next))
      return err(
        'cluster, nodes, heartbeat port, control, state-dir, drbd and resource names/devices need a restart',
      );
    this.config = next;
    this.policy = enginePolicyFromConfig(next);
    this.notifier.setHooks(hooksFromConfig(next.notify));
    this.executor = this.buildExecutor();
    void this.loadDrbdFencing().then(() => this.loop.trigger('intent'));
    this.loop.trigger('intent');
    return ok(undefined);
  }

  /**
   * Reads DRBD's fencing setting per resource and flags, loudly, the combination that cannot keep the
   * acknowledged-writes promise: policy stonith without DRBD's resource-and-stonith (docs/decisions.md).
   */
  private async loadDrbdFencing(): Promise<void> {
    const c = this.config;
    const read = await readDrbdFencing(
      this.drbdCommands,
      c.resources.map((r) => r.name),
      this.abort.signal,
    );
    this.drbdFencing = read.modes;
    if (read.error !== null)
      this.log.error(
        { code: 'E_DRBD_CONFIG', reason: read.error },
        'drbdadm dump-xml failed: DRBD fencing unknown',
      );
    if (c.fencing.policy !== 'stonith') return;
    for (const [resource, mode] of read.modes)
      if (mode !== 'resource-and-stonith') {
        const message = `${resource}: fencing.policy stonith needs DRBD "fencing resource-and-stonith" (DRBD has ${mode}): a silent Primary whose fence handler fails writes on alone and a takeover loses those writes`;
        this.log.error({ code: 'STONITH_NEEDS_RESOURCE_AND_STONITH', resource, drbdFencing: mode }, message);
      }
  }

  // -- the loop ---------------------------------------------------------------------------------------

  private healthy(watchdogMs: number): boolean {
    const last = this.loop.lastHealthyAt();
    return last !== null && this.clock.nowMs() - last < watchdogMs;
  }

  private async step(_triggers: ReadonlySet<LoopTrigger>): Promise<{ healthy: boolean }> {
    const now = this.clock.nowMs();
    const stallThresholdMs = Math.max(MIN_STALL_THRESHOLD_MS, this.config.heartbeat.deadtimeMs);
    // A stall seen while the decision waits for the DRBD view is kept for the next decision.
    this.stallSeen ||= this.lastStepAtMs !== null && now - this.lastStepAtMs > stallThresholdMs;
    this.lastStepAtMs = now;
    if (!this.viewCaughtUp(now)) return { healthy: true };
    const stalled = this.stallSeen;
    this.stallSeen = false;

    const local = await this.localFacts();
    const obs = buildObservation({
      nowMs: this.clock.nowMs(),
      self: this.nodes.local.name,
      peerName: this.nodes.peer.name,
      linkNames: this.nodes.local.addresses.map((a, i) => `link${i}:${a}`),
      resources: this.config.resources,
      drbd: this.drbdView,
      local,
      peer: this.membership.view(),
      intents: {
        switchovers: this.switchovers.map((s) => ({ resource: s.resource, to: s.to })),
        standby: this.intents.standby,
        maintenance: this.intents.maintenance,
      },
      peerRequests: this.peerRequests,
      results: this.results,
      inFlight: [...new Set([...this.executions.values()].flatMap((e) => [...e.resources]))],
      stalled,
      startup: { daemonStartMs: this.startedAtMs, degradedShutdown: this.degradedAtStart },
      drbdFencing: this.drbdFencing,
    });
    this.results = [];
    const delivered = this.peerRequests;
    this.peerRequests = [];
    const memoryBefore = this.memory;
    const { decision, memory } = decide(obs, memoryBefore, this.policy);
    const previous = this.lastDecision?.decision ?? null;
    this.memory = memory;
    this.persistLastPrimaries(memory);
    this.persistDegraded(obs);
    this.keepRefusedPeerRequests(delivered, decision, now);
    this.lastObservation = obs;
    this.report = buildNodeReport(obs, memory, this.health());
    this.settleSwitchovers(decision, obs);

    const changed = previous === null || previous.reason !== decision.reason || decision.plan.length > 0;
    if (changed) {
      const entry: JournalEntry<Observation, EngineMemory, EnginePolicy, Decision> = {
        v: JOURNAL_VERSION,
        time: new Date().toISOString(),
        monoMs: obs.nowMs,
        node: this.nodes.local.name,
        seq: this.journalSeq++,
        observation: obs,
        memory: memoryBefore,
        policy: this.policy,
        decision,
      };
      this.journal?.append(entry);
      this.lastDecision = {
        decision,
        atIso: new Date().toISOString(),
        outcome: decision.plan.length > 0 ? 'running' : null,
      };
      const level = REASONS[decision.reason].severity === 'info' ? 'info' : 'warn';
      this.log[level](
        { reason: decision.reason, facts: decision.facts, plan: decision.plan.map((a) => a.kind) },
        explain(decision),
      );
    }
    this.metrics.decision(decision.reason);
    this.updateMetrics(obs);
    this.trackAlerts(decision);
    if (decision.plan.length > 0) this.execute(decision);

    if (!this.readySent && this.drbdView.availability !== 'unknown') {
      this.readySent = true;
      await this.options.sd.notify({ ready: true, status: this.statusLine(decision) });
      this.log.info({ drbd: this.drbdView.availability }, 'ready');
    }
    const line = this.statusLine(decision);
    if (line !== this.lastStatusLine) {
      this.lastStatusLine = line;
      void this.options.sd.notify({ status: line });
    }
    return { healthy: true };
  }

  /**
   * The executor saw DRBD change (its own fresh query); the event stream may not have delivered it yet.
   * Deciding on the older view would re-plan what was just done (a second release after a demote), so
   * the decision waits for the view, bounded by VIEW_CATCH_UP_MS. The DRBD event triggers the loop again.
   */
  private viewCaughtUp(now: number): boolean {
    for (const [resource, expected] of this.expectedRoles) {
      const r = this.config.resources.find((x) => x.name === resource);
      const role = r === undefined ? undefined : deviceOfResource(this.drbdView, r)?.role;
      if (role === expected.role || now > expected.untilMs) this.expectedRoles.delete(resource);
    }
    return this.expectedRoles.size === 0;
  }

  /**
   * A peer's request is judged on this node's view, which can lag the peer by an event: a takeover asked
   * for the instant the peer demoted still sees it Primary here and is refused. A refused request is
   * therefore judged again on the next decisions for a short while; an accepted one is delivered once.
   */
  private keepRefusedPeerRequests(delivered: readonly PeerRequest[], decision: Decision, now: number): void {
    for (const req of delivered) {
      const reason = decision.resources.find((r) => r.resource === req.resource)?.reason;
      const refused = reason === 'PEER_REQUEST_RELEASE_REFUSED' || reason === 'PEER_REQUEST_TAKEOVER_REFUSED';
      const pending = reason === 'HOLD_ACTION_IN_FLIGHT' || reason === 'STALL_REVERIFY';
      const newer = this.peerRequests.some((r) => r.resource === req.resource && r.kind === req.kind);
      if ((refused || pending) && now - req.atMs < PEER_REQUEST_REJUDGE_MS && !newer)
        this.peerRequests.push(req);
    }
  }

  /**
   * Records whether the cluster is degraded (peer unreachable, or a resource not replicating) whenever that
   * changes, so that after a crash or power loss as well as after a clean stop the next start knows to use
   * `degraded-initdead` (DRBD's degr-wfc-timeout), as DRBD's own metadata would tell it.
   */
  private persistDegraded(obs: Observation): void {
    const degraded =
      !obs.peer.reachable ||
      obs.resources.some((r) => r.drbd === null || !LINKED_CONNECTION_STATES.has(r.drbd.cstate));
    if (degraded === this.savedDegraded) return;
    const saved = saveDegraded(this.config.stateDir, degraded);
    if (saved.ok) this.savedDegraded = degraded;
    else this.log.error({ code: 'E_INTERNAL', reason: saved.error }, 'cannot record the degraded state');
  }

  /** Keeps the last Primary of every resource in the state dir when it changes (REFUSE_PEER_WAS_PRIMARY). */
  private persistLastPrimaries(memory: EngineMemory): void {
    const now = lastPrimariesOf(memory);
    const text = JSON.stringify(now);
    if (text === this.savedLastPrimaries) return;
    const saved = saveLastPrimaries(this.config.stateDir, now);
    if (saved.ok) this.savedLastPrimaries = text;
    else this.log.error({ code: 'E_INTERNAL', reason: saved.error }, 'cannot persist the last Primary');
  }

  private health(): DaemonHealth {
    if (!this.readySent) return 'starting';
    return this.drbdView.availability === 'ok' ? 'ok' : 'degraded';
  }

  private statusLine(decision: Decision): string {
    const peer = this.membership.view().reachable ? 'peer up' : 'peer unreachable';
    const res = this.lastObservation?.resources
      .map(
        (r) =>
          `${r.name} ${r.drbd?.role ?? 'Unknown'}/${r.drbd?.disk ?? 'DUnknown'} ${r.drbd?.cstate ?? 'Unconfigured'}`,
      )
      .join(', ');
    return `${res ?? 'no resources'}; ${peer}; ${decision.reason}${this.intents.maintenance ? '; maintenance' : ''}`;
  }

  private async localFacts(): Promise<Map<string, LocalResourceFacts>> {
    const facts = new Map<string, LocalResourceFacts>();
    for (const r of this.config.resources) {
      const d = deviceOfResource(this.drbdView, r);
      let mounted = false;
      if (r.mount === null) mounted = d?.role === 'Primary';
      else {
        const st = await this.system.mountState(r.device, r.mount.point);
        mounted = st.ok && st.value.kind === 'mounted-here';
      }
      let servicesUp = true;
      // Services can only run where the resource is in use; skip the systemctl calls elsewhere.
      if (r.services.length > 0) {
        if (d?.role !== 'Primary' && !mounted) servicesUp = false;
        else
          for (const unit of r.services) {
            const active = await this.system.serviceActive(unit, { timeoutMs: 5_000 });
            if (!active.ok || !active.value) {
              servicesUp = false;
              break;
            }
          }
      }
      facts.set(r.name, { mounted, servicesUp, currentUuid: null });
    }
    return facts;
  }

  private execute(decision: Decision): void {
    const inFlight = new Set([...this.executions.values()].flatMap((e) => [...e.resources]));
    const plan = decision.plan.filter((a) => {
      const key = a.kind === 'fence-peer' ? null : a.kind === 'notify' ? undefined : a.resource;
      if (key === undefined || !inFlight.has(key)) return true;
      // SAFETY: "One decision at a time": the engine holds in-flight resources; a plan that does not is a bug.
      this.log.error(
        { code: 'E_INTERNAL', action: a },
        'engine planned an action for a resource in flight; dropped',
      );
      return false;
    });
    const resources = new Set<string | null>();
    for (const a of plan) if (a.kind !== 'notify') resources.add(a.kind === 'fence-peer' ? null : a.resource);
    const id = this.nextExecutionId++;
    this.executions.set(id, { id, resources });
    void runPlan(plan, this.executor).then(
      (results) => this.finishExecution(id, results),
      (e: unknown) => {
        this.log.error({ code: 'E_INTERNAL', err: e }, 'executor threw');
        this.finishExecution(id, []);
      },
    );
  }

  private finishExecution(id: number, results: readonly ActionResult[]): void {
    this.executions.delete(id);
    let failed = false;
    for (const r of results) {
      const resource = r.action.kind === 'fence-peer' ? null : r.action.resource;
      if (r.status !== 'ok') failed = true;
      // skipped-precondition passes through: the world changed under the plan, which is no failure.
      this.results.push(resultObservation(r, this.clock.nowMs()));
      if (r.status === 'ok' && (r.action.kind === 'promote' || r.action.kind === 'demote'))
        this.expectedRoles.set(r.action.resource, {
          role: r.action.kind === 'promote' ? 'Primary' : 'Secondary',
          untilMs: this.clock.nowMs() + VIEW_CATCH_UP_MS,
        });
      this.metrics.action(r.action.kind, r.status, r.durationMs);
      // The executor logs every action; a real failure also gets its reason code here, for alerting.
      if (r.status === 'failed' || r.status === 'timeout')
        this.log.warn(
          {
            code: r.status === 'timeout' ? 'E_EXEC_TIMEOUT' : 'E_EXEC_FAILED',
            action: r.action.kind,
            resource,
            errorKind: r.errorKind,
            detail: r.detail,
            holders: r.holders,
          },
          'action failed',
        );
      for (const w of this.switchovers)
        if (resource === w.resource)
          w.steps.push({
            step: r.action.kind,
            status: r.status === 'ok' ? 'ok' : 'failed',
            detail: r.detail,
            durationMs: r.durationMs,
          });
    }
    if (this.lastDecision !== null && this.lastDecision.outcome === 'running')
      this.lastDecision = { ...this.lastDecision, outcome: failed ? 'failed' : 'ok' };
    this.loop.trigger('action-done');
  }

  private buildExecutor(): ExecutorContext {
    const c = this.config;
    this.fenceChain = createFencePort(
      {
        cluster: c.cluster.name,
        localNode: this.nodes.local.name,
        peer: this.nodes.peer.name,
        peerAddresses: this.nodes.peer.addresses,
        resources: c.resources.map((r) => r.name),
      },
      { handlers: fenceHandlers(c) },
    );
    return {
      resources: resourceExecConfigs(c),
      drbd: this.drbdPort,
      system: this.system,
      peer: this.peers,
      fence: this.fence,
      notifier: {
        notify: async (event, resource, message) => {
          this.notifier.notify({
            event,
            resource,
            message,
            reason: this.lastDecision?.decision.reason ?? null,
          });
          return { status: 'ok', detail: 'queued' };
        },
      },
      clock: this.clock,
      signal: this.abort.signal,
      logger: this.options.logger.child({ module: 'executor' }),
      fenceTimeoutMs: fenceBudgetMs(c),
      localNode: this.nodes.local.name,
    };
  }

  // -- peer requests ----------------------------------------------------------------------------------

  /** Answers the peer's authenticated requests (membership guarantees one call per request id). */
  private async answerPeer(op: PeerOperation): Promise<PeerReply> {
    const reply = (outcome: PeerReply['outcome'], code: string, message: string): PeerReply => ({
      outcome,
      code,
      message,
      report: this.report,
    });
    if (op.kind === 'state-query') return reply('done', 'state', 'current state');
    if (!this.config.resources.some((r) => r.name === op.resource))
      return reply('refused', 'unknown-resource', `${op.resource} is not configured here`);
    switch (op.kind) {
      case 'outdate': {
        const answer = await this.answerOutdate(op.resource);
        return reply(answer.outcome, answer.code, answer.message);
      }
      case 'prepare-handover': {
        const d = deviceOfResource(
          this.drbdView,
          this.config.resources.find((r) => r.name === op.resource)!,
        );
        if (this.intents.standby || this.intents.maintenance)
          return reply('refused', 'standby-or-maintenance', 'this node is in standby or maintenance');
        if (d?.disk !== 'UpToDate')
          return reply('refused', 'not-uptodate', `local disk is ${d?.disk ?? 'unknown'}`);
        return reply('done', 'ready', 'ready to take over');
      }
      case 'release':
      case 'takeover': {
        this.peerRequests = [
          ...this.peerRequests.filter((r) => !(r.resource === op.resource && r.kind === op.kind)),
          { kind: op.kind, resource: op.resource, atMs: this.clock.nowMs() },
        ];
        this.loop.trigger('peer');
        return reply('done', 'accepted', `${op.kind} of ${op.resource} accepted; the engine decides`);
      }
    }
  }

  /**
   * Resource-level fencing: marking our own disk Outdated only ever removes this node from the
   * candidates, and DRBD itself refuses it on a Primary, so it is answered at once, from the DRBD view
   * where that suffices. Concurrent requests for one resource share one answer. When this node had to
   * disconnect its side to outdate, it reconnects right after answering so replication resumes (and
   * resyncs the Outdated disk).
   */
  private answerOutdate(resource: string): Promise<OutdateAnswerResult> {
    const running = this.outdateAnswers.get(resource);
    if (running !== undefined) return running;
    const r = this.config.resources.find((x) => x.name === resource)!;
    const answer = answerOutdateRequest(resource, {
      drbd: this.drbdPort,
      clock: this.clock,
      timeoutMs: Math.max(10_000, this.config.heartbeat.deadtimeMs * 5),
      signal: this.abort.signal,
      view: (): DrbdResourceStatus | null => {
        const d = deviceOfResource(this.drbdView, r);
        return d === null
          ? null
          : {
              role: d.role,
              peerRole: d.peerRole,
              disks: [d.disk],
              peerDisks: [d.peerDisk],
              cstate: d.cstate,
            };
      },
      disconnect: async (res, o) =>
        drbdStep(
          await this.drbdCommands.run(
            { op: 'disconnect', resource: res },
            { timeoutMs: o.timeoutMs, ...(o.signal ? { signal: o.signal } : {}) },
          ),
          `drbdadm disconnect ${res}`,
        ),
    }).then((a) => {
      this.outdateAnswers.delete(resource);
      this.log.info(
        { resource, outcome: a.outcome, code: a.code, detail: a.message },
        'peer asked to outdate',
      );
      if (a.reconnect) this.clock.setTimer(0, () => void this.reconnectAfterOutdate(resource));
      this.loop.trigger('peer');
      return a;
    });
    this.outdateAnswers.set(resource, answer);
    return answer;
  }

  private async reconnectAfterOutdate(resource: string): Promise<void> {
    // SAFETY (rule 4): plain connect; the Outdated disk becomes the resync target.
    const o = await this.drbdPort.connect(resource, { timeoutMs: 30_000, signal: this.abort.signal });
    if (o.status === 'ok') this.log.info({ resource }, 'reconnected after outdating');
    else
      this.log.warn(
        { code: 'OUTDATE_RECONNECT_FAILED', resource, detail: o.detail },
        'reconnect after outdating failed; the engine connects a StandAlone resource',
      );
  }

  // -- operator intents -------------------------------------------------------------------------------

  private settleSwitchovers(decision: Decision, obs: Observation): void {
    const now = obs.nowMs;
    this.switchovers = this.switchovers.filter((w) => {
      const rd = decision.resources.find((r) => r.resource === w.resource);
      if (rd?.reason === 'SWITCHOVER_DONE') {
        w.resolve(ok({ summary: `${w.resource} is now Primary on ${w.to}`, steps: w.steps }));
        return false;
      }
      if (rd?.reason === 'SWITCHOVER_REFUSED') {
        const why = Object.entries(rd.facts)
          .filter(([k]) => k !== 'ok')
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', ');
        w.resolve(
          err({ code: 'SWITCHOVER_REFUSED', message: `switchover of ${w.resource} refused: ${why}` }),
        );
        return false;
      }
      if (now > w.deadlineMs) {
        w.resolve(
          err({ code: 'E_EXEC_TIMEOUT', message: `switchover of ${w.resource} did not complete in time` }),
        );
        return false;
      }
      return true;
    });
  }

  private setIntents(next: PersistedIntents): Result<void, { code: string; message: string }> {
    const saved = saveIntents(this.config.stateDir, next);
    if (!saved.ok) return err({ code: 'E_CONFIG', message: saved.error });
    this.intents = next;
    this.loop.trigger('intent');
    return ok(undefined);
  }

  private controlHandlers(): ControlHandlers {
    const soleResource = (name: string | undefined) => {
      if (name !== undefined) return this.config.resources.find((r) => r.name === name) ?? null;
      return this.config.resources.length === 1 ? (this.config.resources[0] ?? null) : null;
    };
    return {
      status: (): Result<StatusSnapshot, never> => ok(this.status()),
      switchover: (req: { resource?: string | null; to?: string | null }) =>
        new Promise<Result<OperationReport, { code: string; message: string }>>((resolve) => {
          const r = soleResource(req.resource ?? undefined);
          if (r === null)
            return resolve(
              err({
                code: 'E_USAGE',
                message:
                  req.resource === undefined
                    ? 'name the resource to switch over'
                    : `unknown resource ${req.resource}`,
              }),
            );
          const d = deviceOfResource(this.drbdView, r);
          const to = req.to ?? (d?.role === 'Primary' ? this.nodes.peer.name : this.nodes.local.name);
          if (to !== this.nodes.local.name && to !== this.nodes.peer.name)
            return resolve(err({ code: 'E_USAGE', message: `unknown node ${to}` }));
          if (this.intents.maintenance)
            return resolve(err({ code: 'MAINTENANCE', message: 'maintenance is on: no switchover' }));
          const t = r.timeouts;
          const budget = t.servicesMs * 2 + t.umountMs + t.demoteMs + t.promoteMs + t.mountMs + 30_000;
          this.switchovers = this.switchovers.filter((w) => w.resource !== r.name);
          this.switchovers.push({
            resource: r.name,
            to,
            steps: [],
            resolve,
            deadlineMs: this.clock.nowMs() + budget,
          });
          this.log.info({ resource: r.name, to }, 'switchover requested');
          this.loop.trigger('intent');
        }),
      standby: (req: { on: boolean }) => {
        const r = this.setIntents({ ...this.intents, standby: req.on });
        return r.ok
          ? ok({ summary: `standby ${req.on ? 'on' : 'off'} on ${this.nodes.local.name}`, steps: [] })
          : r;
      },
      maintenance: (req: { on: boolean }) => {
        const r = this.setIntents({ ...this.intents, maintenance: req.on });
        if (!r.ok) return r;
        this.notifier.notify({
          event: 'maintenance',
          resource: null,
          message: `maintenance ${req.on ? 'on' : 'off'} (set on ${this.nodes.local.name})`,
        });
        return ok({ summary: `maintenance ${req.on ? 'on: both nodes observe only' : 'off'}`, steps: [] });
      },
      'fence-peer': async (req: { resource: string }) => {
        const refused = await screenFencePeer(req.resource, {
          managed: this.config.resources.map((r) => r.name),
          viewCstate: (name) => {
            const r = this.config.resources.find((x) => x.name === name);
            return r === undefined ? null : (deviceOfResource(this.drbdView, r)?.cstate ?? null);
          },
          freshCstate: async (name) => {
            const st = await this.drbdPort.status(name, { timeoutMs: 10_000, signal: this.abort.signal });
            return st.ok ? st.value.cstate : null;
          },
        });
        if (refused !== null) {
          this.log.warn(
            { code: refused.code, resource: req.resource, exitCode: refused.exitCode },
            refused.message,
          );
          return ok({ exitCode: refused.exitCode, message: refused.message });
        }
        const view = this.membership.view();
        const answer = await answerDrbdFencePeer(req.resource, {
          memory: this.memory,
          observation: this.lastObservation,
          peerReachable: view.reachable,
          peerReport: view.report,
          policy: this.config.fencing.policy,
          delayMs: this.config.fencing.delayMs,
          deadtimeMs: this.config.heartbeat.deadtimeMs,
          localNode: this.nodes.local.name,
          peerNode: this.nodes.peer.name,
          clock: this.clock,
          peer: this.peers,
          fence: this.fence,
          signal: this.abort.signal,
          onFenced: () => {
            this.results.push({
              kind: 'fence-peer',
              resource: null,
              outcome: 'ok',
              retrySafe: true,
              atMs: this.clock.nowMs(),
              errorKind: null,
            });
            this.loop.trigger('action-done');
          },
        });
        if (answer.exitCode === 1) {
          // SAFETY: with resource-and-stonith DRBD keeps I/O frozen on exit 1; an operator must know.
          this.log.warn(
            { code: 'FENCE_PEER_FAILED', resource: req.resource, exitCode: 1, message: answer.message },
            'fence-peer handler answered failure',
          );
          this.notifier.notify({ event: 'refused', resource: req.resource, message: answer.message });
        } else
          this.log.info(
            { resource: req.resource, exitCode: answer.exitCode, message: answer.message },
            'fence-peer handler answered',
          );
        return ok(answer);
      },
      'unfence-peer': (req: { resource: string }) => {
        this.log.info({ resource: req.resource }, 'unfence-peer: resync finished');
        this.loop.trigger('drbd');
        return ok({ exitCode: 0, message: `${req.resource}: nothing to remove` });
      },
      'notify-test': async (req: { event: Parameters<NotifyRunner['notify']>[0]['event'] }) =>
        ok({
          deliveries: await this.notifier.deliverNow(
            { event: req.event, resource: null, message: `test notification from ${this.nodes.local.name}` },
            { test: true },
          ),
        }),
    };
  }

  private updateMetrics(obs: Observation): void {
    const m = this.metrics;
    m.setPeerReachable(obs.peer.reachable);
    for (const l of this.membership.view().links) m.setLink(`link${l.index}`, l.state !== 'down', l.rttMs);
    for (const r of obs.resources)
      m.setResource(r.name, {
        role: r.drbd?.role ?? 'Unknown',
        disk: r.drbd?.disk ?? 'DUnknown',
        cstate: r.drbd?.cstate ?? 'Unconfigured',
        syncPercent: r.drbd?.syncPercent ?? null,
      });
    m.setModes(this.intents);
    m.setOpenAlerts(this.alerts.size);
  }

  private trackAlerts(decision: Decision): void {
    for (const r of decision.resources) {
      const info = REASONS[r.reason];
      const key = r.resource;
      if (info.severity === 'page' || info.severity === 'warning') {
        const event = info.event ?? 'degraded';
        const severity = info.severity === 'page' ? 'critical' : 'warning';
        const open = this.alerts.get(key);
        // A resource's alert changes with its problem (a `degraded` warning that becomes a split-brain page
        // must show as the split-brain); the same problem keeps its first `since`.
        if (open === undefined || open.event !== event || open.severity !== severity)
          this.alerts.set(key, {
            event,
            resource: r.resource,
            severity,
            message: `${r.resource}: ${info.node}`,
            since: new Date().toISOString(),
          });
      } else this.alerts.delete(key);
    }
  }

  status(): StatusSnapshot {
    return buildStatusSnapshot({
      config: this.config,
      nodes: this.nodes,
      version: this.options.version,
      uptimeMs: this.clock.nowMs() - this.startedAtMs,
      health: this.health(),
      intents: this.intents,
      peer: this.membership.view(),
      nowMs: this.clock.nowMs(),
      observation: this.lastObservation,
      memory: this.memory,
      lastDecision: this.lastDecision,
      alerts: this.alerts,
    });
  }
}
