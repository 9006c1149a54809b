/**
 * Operator switchovers waiting for the engine: each one is answered when a decision reports it done or
 * refused, or when its time budget runs out. The engine sees them as intents.
 */
import { err, ok, type Result } from '../../common/result.js';
import type { Decision, Observation } from '../../engine/index.js';
import type { ActionResult, ResourceExecConfig } from '../../executor/index.js';
import type { OperationReport, StepReport } from '../../control/index.js';

export type SwitchoverAnswer = Result<OperationReport, { code: string; message: string }>;

interface Waiter {
  readonly resource: string;
  readonly to: string;
  readonly steps: StepReport[];
  readonly resolve: (r: SwitchoverAnswer) => void;
  readonly deadlineMs: number;
}

export class Switchovers {
  private waiters: Waiter[] = [];

  /** The intents for the observation. */
  intents(): { resource: string; to: string }[] {
    return this.waiters.map((s) => ({ resource: s.resource, to: s.to }));
  }

  /** Queues a switchover of `r` to `to`, replacing an earlier one of the same resource. */
  request(r: ResourceExecConfig, to: string, nowMs: number, resolve: (a: SwitchoverAnswer) => void): void {
    const t = r.timeouts;
    const budget = t.servicesMs * 2 + t.umountMs + t.demoteMs + t.promoteMs + t.mountMs + 30_000;
    this.waiters = this.waiters.filter((w) => w.resource !== r.name);
    this.waiters.push({ resource: r.name, to, steps: [], resolve, deadlineMs: nowMs + budget });
  }

  /** The earliest switchover time budget to run out (it is answered by the decision after), or null. */
  deadlineMs(): number | null {
    let best: number | null = null;
    for (const w of this.waiters) if (best === null || w.deadlineMs + 1 < best) best = w.deadlineMs + 1;
    return best;
  }

  /** A finished action of a switching resource becomes one of its steps. */
  recordStep(r: ActionResult): void {
    const resource = r.action.kind === 'fence-peer' ? null : r.action.resource;
    for (const w of this.waiters)
      if (resource === w.resource)
        w.steps.push({
          step: r.action.kind,
          status: r.status === 'ok' ? 'ok' : 'failed',
          detail: r.detail,
          durationMs: r.durationMs,
        });
  }

  settle(decision: Decision, obs: Observation): void {
    const now = obs.nowMs;
    this.waiters = this.waiters.filter((w) => {
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

  /** Answers every waiting switchover with `message` (the daemon stops). */
  abandon(message: string): void {
    for (const w of this.waiters) w.resolve(err({ code: 'E_CONTROL', message }));
    this.waiters = [];
  }
}
