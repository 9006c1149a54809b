import type { Clock } from '../common/clock.js';
import { sentinelError, type SentinelError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/log.js';
import { err, ok, type Result } from '../common/result.js';
import { Admission } from './admission.js';
import { createCounters, type MembershipCounters } from './counters.js';
import { FailureDetector, type DetectorMode } from './failure-detector.js';
import { RateLimitedLog } from '../common/rate-limited-log.js';
import type { NodeReport } from './node-report.js';
import type { PeerOperation, PeerReply, PeerRequestHandler } from './peer-protocol.js';
import type { MembershipEvent, PeerView } from './peer-view.js';
import { RequestCache } from './request-cache.js';
import type { LinkSocket, LinkSpec, Transport } from './transport.js';
import { udpTransport } from './udp-transport.js';
import {
  decodeFrame,
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  type Frame,
  type FrameBody,
} from './wire-format.js';

/** Options of a membership endpoint. Every duration is in milliseconds on `clock`. */
export interface MembershipOptions {
  readonly clusterName: string;
  readonly nodeName: string;
  readonly peerName: string;
  /** The shared secret (contents of `cluster.secret-file`, read by the caller). */
  readonly key: Buffer;
  /** This process's incarnation, from `nextIncarnation(stateDir)`. */
  readonly incarnation: number;
  /** One entry per heartbeat link, in the configured order (same order on both nodes). */
  readonly links: readonly LinkSpec[];
  /** Heartbeat interval (`heartbeat.interval`, default 200). */
  readonly intervalMs: number;
  /** `heartbeat.warntime` (default 1000). */
  readonly warntimeMs: number;
  /** `heartbeat.deadtime` (default 2000). */
  readonly deadtimeMs: number;
  /** Default fixed timeouts. */
  readonly mode?: DetectorMode;
  /** See `DetectorOptions.stallThresholdMs`. */
  readonly stallThresholdMs?: number;
  /** See `DetectorOptions.stallGraceMs`. */
  readonly stallGraceMs?: number;
  /** How often the detector re-evaluates; default intervalMs / 4 clamped to [10, 50]. */
  readonly tickMs?: number;
  readonly maxFrameBytes?: number;
  readonly clock: Clock;
  /** Default UDP. */
  readonly transport?: Transport;
  readonly logger?: Logger;
  /** This node's current report, read at every heartbeat. */
  readonly getReport: () => NodeReport | null;
  /** Handles the peer's requests; without one every request is answered `refused` / `no-handler`. */
  readonly onRequest?: PeerRequestHandler;
  /** How long a handled request's reply is kept for duplicates; default 300000. */
  readonly requestCacheTtlMs?: number;
  /**
   * Peer requests handled at once; more are dropped unanswered (the peer's retries get them in once
   * one finishes). Default 16.
   */
  readonly maxConcurrentRequests?: number;
  /** At most one log line per rejection reason per this many ms; default 10000. */
  readonly rejectLogIntervalMs?: number;
}

/** Options of one peer request; durations in ms. */
export interface PeerRequestOptions {
  /** Give up after this long; default 5000. */
  readonly timeoutMs?: number;
  /** Resend (same id) this often until answered; default the heartbeat interval. */
  readonly retryIntervalMs?: number;
  /**
   * The caller gave up: stop resending at once and settle as unreachable. Without it a request the caller
   * abandoned would go on being resent until its timeout, and reach a peer that came back much later.
   */
  readonly signal?: AbortSignal;
}

interface PendingRequest {
  readonly id: string;
  readonly op: PeerOperation;
  readonly resolve: (r: Result<PeerReply, SentinelError>) => void;
  cancelRetry: () => void;
  cancelDeadline: () => void;
}

interface LinkRuntime {
  socket: LinkSocket | null;
  heartbeatSeq: number;
  /** The peer's sendTimeMs of its last heartbeat on this link and when we received it (our clock). */
  echo: { sendTimeMs: number; receivedAtMs: number } | null;
}

/**
 * One node's membership: authenticated heartbeats on every link, the failure detector, and peer
 * requests. Effects (timers, sockets) live here; decisions about frames are made by the pure
 * `decodeFrame`, `Admission` and `FailureDetector`.
 */
export class MembershipEndpoint {
  /** Plain counters for metrics (rejections by reason, frames sent, requests). */
  readonly counters: MembershipCounters;
  private readonly detector: FailureDetector;
  private readonly admission: Admission;
  private readonly log: Logger;
  private readonly transport: Transport;
  private readonly maxFrameBytes: number;
  private readonly tickMs: number;
  private readonly links: LinkRuntime[];
  private readonly listeners = new Set<(e: MembershipEvent) => void>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly cache: RequestCache;
  private readonly rejectLog: RateLimitedLog;
  private runningRequests = 0;
  private seq = 0;
  private requestCounter = 0;
  private running = false;
  private cancelHeartbeat: () => void = () => {};
  private cancelTick: () => void = () => {};

  constructor(private readonly opts: MembershipOptions) {
    this.log = (opts.logger ?? silentLogger()).child({ module: 'membership' });
    this.counters = createCounters(opts.links.length);
    this.rejectLog = new RateLimitedLog(this.log, opts.rejectLogIntervalMs ?? 10_000);
    this.transport = opts.transport ?? udpTransport;
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.tickMs = opts.tickMs ?? Math.min(50, Math.max(10, Math.floor(opts.intervalMs / 4)));
    this.detector = new FailureDetector(
      opts.links,
      {
        intervalMs: opts.intervalMs,
        warntimeMs: opts.warntimeMs,
        deadtimeMs: opts.deadtimeMs,
        ...(opts.mode === undefined ? {} : { mode: opts.mode }),
        ...(opts.stallThresholdMs === undefined ? {} : { stallThresholdMs: opts.stallThresholdMs }),
        ...(opts.stallGraceMs === undefined ? {} : { stallGraceMs: opts.stallGraceMs }),
      },
      opts.clock.nowMs(),
    );
    this.admission = new Admission({
      cluster: opts.clusterName,
      peerName: opts.peerName,
      ourIncarnation: opts.incarnation,
      linkCount: opts.links.length,
      // Heartbeats on every link, with room for requests, responses and handshake heartbeats.
      maxSeqRatePerMs: (4 * opts.links.length) / opts.intervalMs,
    });
    this.cache = new RequestCache(opts.requestCacheTtlMs);
    this.links = opts.links.map(() => ({ socket: null, heartbeatSeq: 0, echo: null }));
  }

  get incarnation(): number {
    return this.opts.incarnation;
  }

  /** Opens every link and starts heartbeating. Fails (closing what it opened) if a link cannot bind. */
  async start(): Promise<Result<void, SentinelError>> {
    if (this.running) return ok(undefined);
    for (const [index, spec] of this.opts.links.entries()) {
      const opened = await this.transport.open(index, spec, {
        onDatagram: (d) => this.receive(index, d),
        onSendError: (e) => {
          this.counters.sendErrors++;
          this.log.debug({ link: index, error: String(e), reason: 'send-error' }, 'send failed');
        },
      });
      if (!opened.ok) {
        await this.closeSockets();
        return err(opened.error);
      }
      const link = this.links[index];
      if (link !== undefined) link.socket = opened.value;
    }
    this.running = true;
    this.log.info(
      { incarnation: this.opts.incarnation, links: this.opts.links.length, intervalMs: this.opts.intervalMs },
      'membership started',
    );
    this.heartbeatLoop();
    this.tickLoop();
    return ok(undefined);
  }

  /** Stops timers, fails pending requests, closes the sockets. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelHeartbeat();
    this.cancelTick();
    for (const p of [...this.pending.values()])
      this.settle(p, err(sentinelError('E_PEER_UNREACHABLE', 'membership stopped')));
    await this.closeSockets();
  }

  /** The current snapshot for the engine. */
  view(): PeerView {
    return this.detector.view();
  }

  /** Subscribes to transitions; returns the unsubscribe function. */
  onEvent(listener: (event: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Asks the peer to carry out `op`: sent with one id on every link that is not down (on all links if
   * every one is down), resent until answered or `timeoutMs` passed. Resolves (never rejects) with the
   * peer's reply or `E_PEER_UNREACHABLE`. The peer handles each id once, so retries are safe.
   */
  request(op: PeerOperation, options: PeerRequestOptions = {}): Promise<Result<PeerReply, SentinelError>> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const retryMs = Math.max(10, options.retryIntervalMs ?? this.opts.intervalMs);
    const id = `${this.opts.incarnation.toString(36)}-${(++this.requestCounter).toString(36)}`;
    this.counters.requests.started++;
    if (!this.running)
      return Promise.resolve(err(sentinelError('E_PEER_UNREACHABLE', 'membership not running')));
    return new Promise((resolve) => {
      const p: PendingRequest = { id, op, resolve, cancelRetry: () => {}, cancelDeadline: () => {} };
      this.pending.set(id, p);
      const attempt = (): void => {
        if (!this.pending.has(id)) return;
        this.sendOnLiveLinks({ type: 'request', id, op });
        p.cancelRetry = this.opts.clock.setTimer(retryMs, attempt);
      };
      p.cancelDeadline = this.opts.clock.setTimer(timeoutMs, () => {
        this.counters.requests.timedOut++;
        this.log.warn({ id, op: op.kind, timeoutMs, reason: 'E_PEER_UNREACHABLE' }, 'peer request timed out');
        this.settle(
          p,
          err(sentinelError('E_PEER_UNREACHABLE', `no answer to ${op.kind} within ${timeoutMs}ms`)),
        );
      });
      if (options.signal !== undefined) {
        const onAbort = (): void =>
          this.settle(
            p,
            err(sentinelError('E_PEER_UNREACHABLE', `${op.kind} request abandoned by its caller`)),
          );
        if (options.signal.aborted) return onAbort();
        options.signal.addEventListener('abort', onAbort, { once: true });
      }
      attempt();
    });
  }

  private settle(p: PendingRequest, r: Result<PeerReply, SentinelError>): void {
    if (!this.pending.delete(p.id)) return;
    p.cancelRetry();
    p.cancelDeadline();
    p.resolve(r);
  }

  private async closeSockets(): Promise<void> {
    const sockets = this.links.map((l) => l.socket).filter((s): s is LinkSocket => s !== null);
    for (const l of this.links) l.socket = null;
    await Promise.all(sockets.map((s) => s.close()));
  }

  private heartbeatLoop(): void {
    if (!this.running) return;
    for (let i = 0; i < this.links.length; i++) this.sendHeartbeat(i);
    this.cancelHeartbeat = this.opts.clock.setTimer(this.opts.intervalMs, () => this.heartbeatLoop());
  }

  private tickLoop(): void {
    if (!this.running) return;
    this.emit(this.detector.tick(this.opts.clock.nowMs()));
    this.cancelTick = this.opts.clock.setTimer(this.tickMs, () => this.tickLoop());
  }

  private sendHeartbeat(index: number): void {
    const link = this.links[index];
    if (link === undefined) return;
    link.heartbeatSeq++;
    if (this.send(index, { type: 'heartbeat', report: this.opts.getReport() })) {
      this.counters.sent.heartbeat++;
      const c = this.counters.links[index];
      if (c !== undefined) c.heartbeatsSent++;
    }
  }

  private sendOnLiveLinks(body: FrameBody): void {
    const states = this.detector.view().links;
    let targets = states.filter((l) => l.state !== 'down').map((l) => l.index);
    if (targets.length === 0) targets = states.map((l) => l.index);
    for (const i of targets) if (this.send(i, body)) this.counters.sent[body.type]++;
  }

  private send(index: number, body: FrameBody): boolean {
    const link = this.links[index];
    if (link?.socket === null || link === undefined) return false;
    const now = this.opts.clock.nowMs();
    const frame: Frame = {
      cluster: this.opts.clusterName,
      sender: this.opts.nodeName,
      link: index,
      incarnation: this.opts.incarnation,
      seq: ++this.seq,
      sendTimeMs: now,
      linkSeq: link.heartbeatSeq,
      echoIncarnation: this.admission.currentPeerIncarnation,
      echoSendTimeMs: link.echo?.sendTimeMs ?? null,
      echoHoldMs: link.echo === null ? 0 : Math.max(0, now - link.echo.receivedAtMs),
      body,
    };
    const encoded = encodeFrame(frame, this.opts.key, this.maxFrameBytes);
    if (!encoded.ok) {
      this.counters.encodeErrors++;
      this.log.error({ link: index, type: body.type, reason: encoded.error }, 'cannot encode frame');
      return false;
    }
    link.socket.send(encoded.value);
    return true;
  }

  private receive(index: number, datagram: Buffer): void {
    if (!this.running) return;
    const now = this.opts.clock.nowMs();
    const decoded = decodeFrame(datagram, this.opts.key, this.maxFrameBytes);
    const admitted = decoded.ok ? this.admission.admit(decoded.value, index, now) : decoded;
    if (!admitted.ok) {
      this.counters.rejected[admitted.error]++;
      const c = this.counters.links[index];
      if (c !== undefined) c.rejected[admitted.error]++;
      this.rejectLog.warn(admitted.error, now, { link: index, bytes: datagram.length }, 'packet rejected');
      return;
    }
    const { frame, confirmed, newIncarnation } = admitted.value;
    const link = this.links[index];
    if (link === undefined) return;
    let rttSampleMs: number | null = null;
    if (frame.body.type === 'heartbeat') {
      link.echo = { sendTimeMs: frame.sendTimeMs, receivedAtMs: now };
      if (confirmed) {
        this.counters.accepted.heartbeat++;
        const c = this.counters.links[index];
        if (c !== undefined) c.heartbeatsReceived++;
      } else this.counters.unconfirmedHeartbeats++;
      if (confirmed && frame.echoSendTimeMs !== null && frame.echoSendTimeMs <= now) {
        const sample = now - frame.echoSendTimeMs - frame.echoHoldMs;
        if (sample >= 0) rttSampleMs = sample;
      }
    }
    this.emit(
      this.detector.observe(now, {
        link: index,
        incarnation: frame.incarnation,
        newIncarnation,
        confirmed,
        seq: frame.seq,
        heartbeatLinkSeq: frame.body.type === 'heartbeat' ? frame.linkSeq : null,
        rttSampleMs,
        ...(frame.body.type === 'heartbeat' ? { report: frame.body.report } : {}),
      }),
    );
    // Answer a restarted peer at once so the handshake (it must echo our incarnation) takes one RTT.
    if (newIncarnation) this.sendHeartbeat(index);
    switch (frame.body.type) {
      case 'heartbeat':
        return;
      case 'request':
        this.counters.accepted.request++;
        this.handleRequest(index, frame.incarnation, frame.body.id, frame.body.op);
        return;
      case 'response': {
        this.counters.accepted.response++;
        const p = this.pending.get(frame.body.id);
        if (p === undefined) {
          // A duplicate answer, one after the deadline, or one to a request we never sent: never acted on.
          this.counters.requests.unmatchedResponses++;
          return;
        }
        this.counters.requests.answered++;
        this.settle(p, ok(frame.body.reply));
        return;
      }
    }
  }

  private handleRequest(index: number, incarnation: number, id: string, op: PeerOperation): void {
    const key = RequestCache.key(incarnation, id);
    const entry = this.cache.get(key);
    if (entry !== undefined) {
      this.counters.requests.duplicates++;
      // Still running: its reply goes out on every live link when done.
      if (entry.state === 'done' && this.send(index, { type: 'response', id, reply: entry.reply }))
        this.counters.sent.response++;
      return;
    }
    if (this.runningRequests >= (this.opts.maxConcurrentRequests ?? 16)) {
      // Bounded work and memory under a flood of fresh ids; a genuine requester retries the same id.
      this.counters.requests.droppedBusy++;
      this.rejectLog.warn(
        'requests-busy',
        this.opts.clock.nowMs(),
        { id, op: op.kind, running: this.runningRequests },
        'peer request dropped, too many running',
      );
      return;
    }
    this.counters.requests.handled++;
    this.runningRequests++;
    this.cache.begin(key, this.opts.clock.nowMs());
    this.log.info({ id, op, incarnation }, 'peer request');
    const handler = this.opts.onRequest;
    const run: Promise<PeerReply> =
      handler === undefined
        ? Promise.resolve({
            outcome: 'refused',
            code: 'no-handler',
            message: 'no request handler',
            report: null,
          })
        : Promise.resolve()
            .then(() => handler(op, { node: this.opts.peerName, incarnation, requestId: id }))
            .catch((e: unknown) => ({
              outcome: 'failed',
              code: 'E_INTERNAL',
              message: String(e),
              report: null,
            }));
    void run.then((raw) => {
      this.runningRequests--;
      // Keep the reply within what the wire format accepts, whatever the handler returned.
      const reply: PeerReply = {
        ...raw,
        code: raw.code.slice(0, 128) || 'none',
        message: raw.message.slice(0, 1024),
      };
      this.cache.finish(key, reply, this.opts.clock.nowMs());
      this.log.info({ id, op: op.kind, outcome: reply.outcome, code: reply.code }, 'peer request answered');
      if (this.running) this.sendOnLiveLinks({ type: 'response', id, reply });
    });
  }

  private emit(events: readonly MembershipEvent[]): void {
    for (const e of events) {
      if (e.kind === 'stall')
        this.log.warn({ ...e, reason: 'stall' }, 'own stall, re-checking before any down');
      else this.log.info({ ...e }, e.kind);
      for (const l of this.listeners) {
        try {
          l(e);
        } catch (error) {
          this.log.error(
            { error: String(error), event: e.kind, reason: 'E_INTERNAL' },
            'event listener threw',
          );
        }
      }
    }
  }
}
