/**
 * The peer's authenticated requests, as this node answers them: release and takeover are queued for
 * the engine's next decision; prepare-handover and outdate are answered at once by the engine's `answer`
 * (journaled), and an outdate it accepts is carried out here.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { DrbdCommands, DrbdView } from '../../drbd/index.js';
import type { Answer, PeerRequest, Question } from '../../engine/index.js';
import { drbdStep, type DrbdPort, type ResourceExecConfig } from '../../executor/index.js';
import type { DrbdResourceStatus } from '../../executor/ports.js';
import { answerOutdateRequest, type OutdateAnswerResult } from '../../fencing/index.js';
import type { NodeReport, PeerOperation, PeerReply } from '../../membership/index.js';
import type { PersistedIntents } from '../intent-store.js';
import { deviceOfResource } from '../resource-devices.js';

export interface PeerAnswersOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly drbd: DrbdPort;
  readonly drbdCommands: DrbdCommands;
  readonly resources: () => ReadonlyMap<string, ResourceExecConfig>;
  readonly deadtimeMs: () => number;
  readonly view: () => DrbdView;
  readonly intents: () => PersistedIntents;
  readonly report: () => NodeReport | null;
  /** The engine's answer to a request (prepare-handover, outdate), journaled. */
  readonly judge: (q: Question) => Answer;
  /** Something for the engine to judge arrived (a request, an outdate answer). */
  readonly wake: () => void;
}

export class PeerAnswers {
  private requests: PeerRequest[] = [];
  /** Outdate requests this node is answering, per resource: a second one shares the first's answer. */
  private readonly outdateAnswers = new Map<string, Promise<OutdateAnswerResult>>();

  constructor(private readonly o: PeerAnswersOptions) {}

  /** The requests for the next decision, each handed over once (the engine keeps those that wait). */
  take(): PeerRequest[] {
    const r = this.requests;
    this.requests = [];
    return r;
  }

  /** Answers the peer's authenticated requests (membership guarantees one call per request id). */
  async answer(op: PeerOperation): Promise<PeerReply> {
    const reply = (outcome: PeerReply['outcome'], code: string, message: string): PeerReply => ({
      outcome,
      code,
      message,
      report: this.o.report(),
    });
    if (op.kind === 'state-query') return reply('done', 'state', 'current state');
    const r = this.o.resources().get(op.resource);
    const d = r === undefined ? null : deviceOfResource(this.o.view(), r);
    switch (op.kind) {
      case 'outdate': {
        const a = this.o.judge({
          question: 'outdate',
          resource: op.resource,
          configured: r !== undefined,
          role: d?.role ?? null,
        });
        if (a.step === 'reply') return reply(a.outcome, a.code, a.message);
        if (r === undefined)
          return reply('refused', 'unknown-resource', `${op.resource} is not configured here`);
        const done = await this.answerOutdate(r);
        return reply(done.outcome, done.code, done.message);
      }
      case 'prepare-handover': {
        const intents = this.o.intents();
        const a = this.o.judge({
          question: 'prepare-handover',
          resource: op.resource,
          configured: r !== undefined,
          standby: intents.standby,
          maintenance: intents.maintenance,
          disk: d?.disk ?? null,
        });
        return a.step === 'reply'
          ? reply(a.outcome, a.code, a.message)
          : reply('refused', 'internal', `unexpected answer ${a.step}`);
      }
      case 'release':
      case 'takeover': {
        if (r === undefined)
          return reply('refused', 'unknown-resource', `${op.resource} is not configured here`);
        this.requests = [
          ...this.requests.filter((x) => !(x.resource === op.resource && x.kind === op.kind)),
          { kind: op.kind, resource: op.resource, atMs: this.o.clock.nowMs() },
        ];
        this.o.wake();
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
  private answerOutdate(r: ResourceExecConfig): Promise<OutdateAnswerResult> {
    const resource = r.name;
    const running = this.outdateAnswers.get(resource);
    if (running !== undefined) return running;
    const o = this.o;
    const answer = answerOutdateRequest(resource, {
      drbd: o.drbd,
      clock: o.clock,
      timeoutMs: Math.max(10_000, o.deadtimeMs() * 5),
      signal: o.signal,
      view: (): DrbdResourceStatus | null => {
        const d = deviceOfResource(o.view(), r);
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
      disconnect: async (res, opts) =>
        drbdStep(
          await o.drbdCommands.run(
            { op: 'disconnect', resource: res },
            { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) },
          ),
          `drbdadm disconnect ${res}`,
        ),
    }).then((a) => {
      this.outdateAnswers.delete(resource);
      o.log.info({ resource, outcome: a.outcome, code: a.code, detail: a.message }, 'peer asked to outdate');
      if (a.reconnect) o.clock.setTimer(0, () => void this.reconnectAfterOutdate(resource));
      o.wake();
      return a;
    });
    this.outdateAnswers.set(resource, answer);
    return answer;
  }

  private async reconnectAfterOutdate(resource: string): Promise<void> {
    // SAFETY (rule 4): plain connect; the Outdated disk becomes the resync target.
    const o = await this.o.drbd.connect(resource, { timeoutMs: 30_000, signal: this.o.signal });
    if (o.status === 'ok') this.o.log.info({ resource }, 'reconnected after outdating');
    else
      this.o.log.warn(
        { code: 'OUTDATE_RECONNECT_FAILED', resource, detail: o.detail },
        'reconnect after outdating failed; the engine connects a StandAlone resource',
      );
  }
}
