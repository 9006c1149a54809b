/**
 * What each decision leaves behind: the journal entry, the last Primaries and the degraded flag in the
 * state dir (written only when they change), and the open alerts.
 */
import type { Logger } from '../../common/log.js';
import { LINKED_CONNECTION_STATES } from '../../drbd/index.js';
import {
  REASONS,
  type Answer,
  type Decision,
  type EngineMemory,
  type EnginePolicy,
  type Observation,
  type Question,
} from '../../engine/index.js';
import { JOURNAL_VERSION, type JournalEntry } from '../../journal/index.js';
import { lastPrimariesOf } from '../last-primary-store.js';
import type { AlertBook } from '../status.js';
import type { CyclePorts, CycleStart } from './ports.js';

export class Records {
  private savedLastPrimaries: string | null;
  private savedDegraded: boolean | null;
  private journalSeq = 0;

  constructor(
    private readonly ports: Pick<CyclePorts, 'stores' | 'journal' | 'wall'>,
    private readonly log: Logger,
    start: CycleStart,
  ) {
    this.savedLastPrimaries =
      start.savedLastPrimaries === null ? null : JSON.stringify(start.savedLastPrimaries);
    this.savedDegraded = start.savedDegraded;
  }

  journal(
    node: string,
    obs: Observation,
    memoryBefore: EngineMemory,
    policy: EnginePolicy,
    decision: Decision,
  ): void {
    const entry: JournalEntry<Observation, EngineMemory, EnginePolicy, Decision> = {
      v: JOURNAL_VERSION,
      time: this.ports.wall.nowIso(),
      monoMs: obs.nowMs,
      node,
      seq: this.journalSeq++,
      observation: obs,
      memory: memoryBefore,
      policy,
      decision,
    };
    this.ports.journal?.append(entry);
  }

  /** An answer given outside the loop, with its question, so `replay` recomputes it too. */
  journalAnswer(node: string, nowMs: number, question: Question, answer: Answer): void {
    const entry: JournalEntry<Question, null, null, Answer> = {
      v: JOURNAL_VERSION,
      time: this.ports.wall.nowIso(),
      monoMs: nowMs,
      node,
      seq: this.journalSeq++,
      kind: 'answer',
      observation: question,
      memory: null,
      policy: null,
      decision: answer,
    };
    this.ports.journal?.append(entry);
  }

  /**
   * Records whether the cluster is degraded (peer unreachable, or a resource not replicating) whenever that
   * changes, so that after a crash or power loss as well as after a clean stop the next start knows to use
   * `degraded-initdead` (DRBD's degr-wfc-timeout), as DRBD's own metadata would tell it.
   */
  persistDegraded(obs: Observation): void {
    const degraded =
      !obs.peer.reachable ||
      obs.resources.some((r) => r.drbd === null || !LINKED_CONNECTION_STATES.has(r.drbd.cstate));
    if (degraded === this.savedDegraded) return;
    const saved = this.ports.stores.saveDegraded(degraded);
    if (saved.ok) this.savedDegraded = degraded;
    else this.log.error({ code: 'E_INTERNAL', reason: saved.error }, 'cannot record the degraded state');
  }

  /** Keeps the last Primary of every resource in the state dir when it changes (REFUSE_PEER_WAS_PRIMARY). */
  persistLastPrimaries(memory: EngineMemory): void {
    const now = lastPrimariesOf(memory);
    const text = JSON.stringify(now);
    if (text === this.savedLastPrimaries) return;
    const saved = this.ports.stores.saveLastPrimaries(now);
    if (saved.ok) this.savedLastPrimaries = text;
    else this.log.error({ code: 'E_INTERNAL', reason: saved.error }, 'cannot persist the last Primary');
  }
}

/** Opens, updates and clears the alert of each resource after a decision. */
export function trackAlerts(alerts: AlertBook, decision: Decision, nowIso: string): void {
  for (const r of decision.resources) {
    const info = REASONS[r.reason];
    const key = r.resource;
    if (info.severity === 'page' || info.severity === 'warning') {
      const event = info.event ?? 'degraded';
      const severity = info.severity === 'page' ? 'critical' : 'warning';
      const open = alerts.get(key);
      // A resource's alert changes with its problem (a `degraded` warning that becomes a split-brain page
      // must show as the split-brain); the same problem keeps its first `since`.
      if (open === undefined || open.event !== event || open.severity !== severity)
        alerts.set(key, {
          event,
          resource: r.resource,
          severity,
          message: `${r.resource}: ${info.node}`,
          since: nowIso,
        });
    } else alerts.delete(key);
  }
}
