/**
 * The composition root (ARCHITECTURE.md): reads the state dir, builds every adapter from the
 * configuration and wires them to the cycle (cycle/): DRBD events, membership, control socket, metrics,
 * scheduler, systemd notify and watchdog. Decisions and their execution live in the cycle.
 */
import { mkdirSync } from 'node:fs';
import type { FleetPublisher } from '../arbiter/fleet-publisher.js';
import type { ArbiterPort } from '../arbiter/port.js';
import { systemClock, systemWallClock, type Clock } from '../common/clock.js';
import { sentinelError, type SentinelError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { err, ok, type Result } from '../common/result.js';
import { readSecretFile, type LocalNodes, type SentinelConfig } from '../config/index.js';
import type { ControlServer, StatusSnapshot } from '../control/index.js';
import { startControlServer } from '../control/index.js';
import type { FencePort } from '../executor/ports.js';
import { createFencePort } from '../fencing/index.js';
import { JournalWriter, journalOptionsFromConfig } from '../journal/index.js';
import { startMetricsServer, type MetricsServer } from '../metrics/index.js';
import { nextIncarnation } from '../membership/index.js';
import { hooksFromConfig } from '../notify/index.js';
import { Scheduler } from '../scheduler/index.js';
import type { SdNotifier } from '../systemd/index.js';
import { Watchdog, watchdogIntervalMs } from '../systemd/index.js';
import { fenceHandlers } from './adapters.js';
import { controlHandlers } from './control-handlers.js';
import { Cycle, type CycleStart } from './cycle/index.js';
import { cycleSettingsFromConfig } from './cycle-settings.js';
import { saveDegraded } from './degraded-store.js';
import { readDrbdFencing } from './drbd-fencing.js';
import { saveIntents } from './intent-store.js';
import { saveLastPrimaries } from './last-primary-store.js';
import { loadCycleStart } from './cycle-start.js';
import { buildNodeAdapters, metricsObserver, schedulerPorts, type NodeAdapters } from './node-adapters.js';
import { buildArbiter, buildFleetPublisher, withFleetStatus } from './arbiter.js';
import { buildStatusSnapshot } from './status.js';

export interface DaemonOptions {
  readonly config: SentinelConfig;
  readonly nodes: LocalNodes;
  readonly logger: Logger;
  readonly version: string;
  readonly sd: SdNotifier;
  readonly clock?: Clock;
}

/** What runs beside the cycle once started (each optional: a failure to start one is logged). */
interface Services {
  control: ControlServer | null;
  metricsServer: MetricsServer | null;
  scheduler: Scheduler | null;
  watchdog: Watchdog | null;
}

export class Daemon {
  private readonly clock: Clock;
  private readonly log: Logger;
  private config: SentinelConfig;
  private readonly adapters: NodeAdapters;
  private readonly cycle: Cycle;
  private readonly abort = new AbortController();
  /** The configured handler chain (rebuilt on reload); the cycle reaches it through its fence-once. */
  private fenceChain: FencePort;
  /** The etcd arbiter, null when none is configured (then everything runs as without one). */
  private readonly arbiter: ArbiterPort | null;
  /** Publishes this node's fleet status under the arbiter's prefix; null without an arbiter. */
  private readonly fleet: FleetPublisher | null;
  private readonly services: Services = {
    control: null,
    metricsServer: null,
    scheduler: null,
    watchdog: null,
  };

  private constructor(
    private readonly options: DaemonOptions,
    incarnation: number,
    key: Buffer,
    start: CycleStart,
    private readonly journal: JournalWriter | null,
  ) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ module: 'daemon' });
    this.config = options.config;
    this.fenceChain = this.buildFenceChain();
    this.adapters = buildNodeAdapters({
      ...options,
      clock: this.clock,
      incarnation,
      key,
      report: () => this.cycle.nodeReport,
      answerPeer: (op) => this.cycle.answerPeer(op),
    });
    const a = this.adapters;
    this.arbiter = buildArbiter(this.config, options.nodes, this.clock, options.logger, a.metrics.registry);
    this.fleet = buildFleetPublisher(this.arbiter, this.config, options.nodes, this.clock);
    this.cycle = new Cycle(
      cycleSettingsFromConfig(this.config, options.nodes),
      {
        clock: this.clock,
        wall: systemWallClock,
        logger: options.logger,
        signal: this.abort.signal,
        drbd: a.drbdPort,
        drbdCommands: a.drbdCommands,
        system: a.system,
        membership: a.membership,
        fenceChain: () => this.fenceChain,
        notify: (e) => a.notifier.notify(e),
        journal,
        stores: {
          saveLastPrimaries: (v) => saveLastPrimaries(this.config.stateDir, v),
          saveDegraded: (v) => saveDegraded(this.config.stateDir, v),
          saveIntents: (v) => saveIntents(this.config.stateDir, v),
        },
        sdNotify: (m) => options.sd.notify(m),
        observer: withFleetStatus(
          metricsObserver(a, () => this.cycle),
          this.fleet,
        ),
        ...(this.arbiter === null ? {} : { arbiter: this.arbiter }),
      },
      start,
    );
  }

  /** Reads the secret, the incarnation and the state dir, then builds the daemon (nothing started yet). */
  static async create(options: DaemonOptions): Promise<Result<Daemon, SentinelError>> {
    const c = options.config;
    try {
      mkdirSync(c.stateDir, { recursive: true, mode: 0o700 });
    } catch (e) {
      return err(sentinelError('E_CONFIG', `cannot create state-dir ${c.stateDir}: ${(e as Error).message}`));
    }
    const secret = readSecretFile(c.cluster.secretFile);
    if (!secret.ok) return err(sentinelError('E_CONFIG', secret.error));
    const incarnation = await nextIncarnation(c.stateDir);
    if (!incarnation.ok) return err(incarnation.error);
    const log = options.logger.child({ module: 'daemon' });
    const start = loadCycleStart(c.stateDir, log);
    const journal = JournalWriter.open({
      ...journalOptionsFromConfig(c.journal, c.stateDir),
      clock: options.clock ?? systemClock,
      logger: options.logger.child({ module: 'journal' }),
    });
    // The journal is for replay and forensics; the daemon runs on without it (logged), never stops for it.
    if (!journal.ok)
      log.error({ code: journal.error.code, reason: journal.error.message }, 'journal unavailable');
    return ok(new Daemon(options, incarnation.value, secret.value, start, journal.ok ? journal.value : null));
  }

  async start(): Promise<Result<void, SentinelError>> {
    const c = this.config;
    const a = this.adapters;
    await this.loadDrbdFencing();
    const membership = await a.membership.start();
    if (!membership.ok) return membership;
    a.membership.onEvent(() => this.cycle.trigger('peer'));
    a.drbdSource.subscribe((view) => this.cycle.drbdViewChanged(view));
    a.drbdSource.start();
    if (this.arbiter !== null) {
      this.arbiter.onChange(() => this.cycle.trigger('peer'));
      this.arbiter.start();
      this.fleet?.start();
      // The engine's arbiter rules are not in this build (docs/arbiter.md): say so where it matters.
      this.log.warn(
        { code: 'ARBITER_OBSERVE_ONLY' },
        'arbiter configured: lease, owner keys and status are kept, but failover decides as without one',
      );
    }

    const control = await startControlServer({
      path: c.control.socket,
      logger: this.options.logger.child({ module: 'control' }),
      handlers: controlHandlers({
        cycle: this.cycle,
        nodes: this.options.nodes,
        settings: () => cycleSettingsFromConfig(this.config, this.options.nodes),
        notifier: a.notifier,
        status: () => this.status(),
        log: this.log,
      }),
    });
    if (!control.ok) {
      await this.stop();
      return control;
    }
    this.services.control = control.value;

    if (c.control.metrics !== null) {
      const m = await startMetricsServer({
        listen: c.control.metrics,
        registry: a.metrics.registry,
        logger: this.options.logger,
      });
      if (m.ok) this.services.metricsServer = m.value;
      else this.log.warn({ code: m.error.code, reason: m.error.message }, 'metrics endpoint not started');
    }

    const scheduler = Scheduler.create({
      verifyCron: c.schedule.verify,
      remindersCron: c.schedule.reminders,
      logger: this.options.logger.child({ module: 'scheduler' }),
      ports: schedulerPorts(a, this.cycle, c.resources, this.abort.signal),
    });
    if (scheduler.ok) {
      this.services.scheduler = scheduler.value;
      scheduler.value.start();
    } else this.log.error({ code: 'E_CONFIG', reason: scheduler.error }, 'scheduler not started');

    const wd = watchdogIntervalMs(process.env);
    if (wd !== null) {
      this.services.watchdog = new Watchdog({
        clock: this.clock,
        intervalMs: wd,
        isHealthy: () => {
          const last = this.cycle.lastHealthyAt();
          return last !== null && this.clock.nowMs() - last < wd;
        },
        ping: () => this.options.sd.notify({ watchdog: true }),
        logger: this.options.logger.child({ module: 'watchdog' }),
      });
      this.services.watchdog.start();
    }
    this.cycle.start();
    this.log.info(
      {
        node: this.options.nodes.local.name,
        peer: this.options.nodes.peer.name,
        incarnation: a.membership.incarnation,
        fencing: c.fencing.policy,
        maintenance: this.cycle.intents.maintenance,
        standby: this.cycle.intents.standby,
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
    const s = this.services;
    this.log.info({}, 'daemon stopping');
    await this.options.sd.notify({ stopping: true, status: 'stopping' });
    s.watchdog?.stop();
    s.scheduler?.stop();
    await this.cycle.stop('daemon stopping');
    this.abort.abort();
    await this.adapters.drbdSource.stop();
    await this.adapters.membership.stop();
    this.fleet?.stop();
    await this.arbiter?.stop();
    await s.control?.close();
    await s.metricsServer?.close();
    await this.adapters.notifier.close();
    this.journal?.close();
  }

  /**
   * Applies a new configuration to the decision policy, hooks and timeouts. Changes to the node names,
   * links, ports, secret or socket need a restart and are refused (the old configuration stays).
   */
  reload(next: SentinelConfig): Result<void, string> {
    const fixed = (c: SentinelConfig) =>
      JSON.stringify([
        c.cluster,
        c.nodes,
        c.heartbeat.port,
        c.control,
        c.stateDir,
        c.drbd,
        c.resources.map((r) => [r.name, r.device]),
        c.arbiter,
      ]);
    if (fixed(this.config) !== fixed(next))
      return err(
        'cluster, nodes, heartbeat port, control, state-dir, drbd, arbiter and resource names/devices need a restart',
      );
    this.config = next;
    this.adapters.notifier.setHooks(hooksFromConfig(next.notify));
    this.fenceChain = this.buildFenceChain();
    this.cycle.reconfigure(cycleSettingsFromConfig(next, this.options.nodes));
    void this.loadDrbdFencing().then(() => this.cycle.trigger('intent'));
    return ok(undefined);
  }

  status(): StatusSnapshot {
    const cy = this.cycle;
    return buildStatusSnapshot({
      config: this.config,
      nodes: this.options.nodes,
      version: this.options.version,
      uptimeMs: this.clock.nowMs() - cy.startedAtMs,
      health: cy.health(),
      intents: cy.intents,
      peer: this.adapters.membership.view(),
      nowMs: this.clock.nowMs(),
      timeIso: systemWallClock.nowIso(),
      observation: cy.observation,
      memory: cy.engineMemory,
      lastDecision: cy.lastDecision,
      alerts: cy.alerts,
      arbiter: this.arbiter?.snapshot() ?? null,
    });
  }

  private buildFenceChain(): FencePort {
    const c = this.config;
    const nodes = this.options.nodes;
    return createFencePort(
      {
        cluster: c.cluster.name,
        localNode: nodes.local.name,
        peer: nodes.peer.name,
        peerAddresses: nodes.peer.addresses,
        resources: c.resources.map((r) => r.name),
      },
      { handlers: fenceHandlers(c) },
    );
  }

  /**
   * Reads DRBD's fencing setting per resource and flags, loudly, the combination that cannot keep the
   * acknowledged-writes promise: policy stonith without DRBD's resource-and-stonith (docs/decisions.md).
   */
  private async loadDrbdFencing(): Promise<void> {
    const c = this.config;
    const read = await readDrbdFencing(
      this.adapters.drbdCommands,
      c.resources.map((r) => r.name),
      this.abort.signal,
    );
    this.cycle.setDrbdFencing(read.modes);
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
}
