/**
 * Folding the results of the previous plan into memory: backoff counters, escalations, fence and
 * outdate outcomes. Pure.
 */
import type { Action } from './plan.js';
import type { EngineMemory, FenceMemory, ResourceMemory } from './memory.js';
import { INITIAL_RESOURCE_MEMORY } from './memory.js';
import type { ActionResultObservation, Observation } from './observation.js';
import type { EnginePolicy } from './policy.js';
import { backoffMs, stateFingerprint } from './view.js';

export interface Absorbed {
  readonly memory: EngineMemory;
  /** Node-level notifications caused by the results (a page on every failed fence attempt). */
  readonly notices: readonly Action[];
}

function absorbFence(fence: FenceMemory, r: ActionResultObservation, policy: EnginePolicy): FenceMemory {
  if (r.outcome === 'ok')
    return { status: 'succeeded', failures: 0, nextAttemptMs: null, succeededAtMs: r.atMs };
  const failures = fence.failures + 1;
  return {
    status: 'failed',
    failures,
    nextAttemptMs: r.atMs + backoffMs(failures, policy.fenceRetry.initialMs, policy.fenceRetry.maxMs),
  };
}

function absorbResource(
  rm: ResourceMemory,
  results: readonly ActionResultObservation[],
  obs: Observation,
  policy: EnginePolicy,
): ResourceMemory {
  let next = rm;
  // A step skipped because its precondition no longer held is no failure: the world changed, and the
  // rules decide again from the new observation.
  const relevant = results.filter((r) => r.kind !== 'notify' && r.outcome !== 'skipped-precondition');
  for (const r of relevant) {
    if (r.kind === 'outdate-peer') {
      next =
        r.outcome === 'ok'
          ? { ...next, peerOutdated: true, outdateFailures: 0, outdateNextMs: null, outdateLastError: null }
          : {
              ...next,
              outdateLastError: r.errorKind,
              outdateFailures: next.outdateFailures + 1,
              outdateNextMs:
                r.atMs + backoffMs(next.outdateFailures + 1, policy.retry.initialMs, policy.retry.maxMs),
            };
    }
  }
  // The executor stops at the first failure: at most one failed step per plan.
  const failed = relevant.find((r) => r.outcome !== 'ok' && r.kind !== 'outdate-peer');
  if (failed === undefined) {
    return relevant.some((r) => r.kind !== 'outdate-peer')
      ? { ...next, failures: 0, nextAttemptMs: null }
      : next;
  }
  const failures = next.failures + 1;
  const retry = failed.retrySafe && failures < policy.retry.maxAttempts;
  if (failed.kind === 'demote' && !retry) {
    // SAFETY: "Two primaries" - a demote that cannot complete leaves this node Primary: escalate, never guess.
    return { ...next, failures, nextAttemptMs: null, demoteFailed: true };
  }
  if (retry) {
    return {
      ...next,
      failures,
      nextAttemptMs: failed.atMs + backoffMs(failures, policy.retry.initialMs, policy.retry.maxMs),
    };
  }
  const d = obs.resources.find((x) => x.name === failed.resource)?.drbd ?? null;
  return {
    ...next,
    failures,
    nextAttemptMs: null,
    blockedFingerprint: d === null ? 'unavailable' : stateFingerprint(obs, d),
  };
}

/** Applies `obs.results` to memory. Pure; returns a new memory. */
export function absorbResults(obs: Observation, policy: EnginePolicy, memory: EngineMemory): Absorbed {
  let fence = memory.fence;
  const notices: Action[] = [];
  for (const r of obs.results) {
    if (r.kind !== 'fence-peer' || r.outcome === 'skipped-precondition') continue;
    fence = absorbFence(fence, r, policy);
    if (r.outcome !== 'ok') {
      notices.push({
        kind: 'notify',
        event: 'fence-failed',
        resource: null,
        message: `fencing ${obs.peer.name} ${r.outcome} (${r.errorKind ?? 'no error kind'}), attempt ${fence.failures}; no takeover, retrying with backoff`,
      });
    }
  }
  const resources: Record<string, ResourceMemory> = { ...memory.resources };
  const byResource = new Map<string, ActionResultObservation[]>();
  for (const r of obs.results) {
    if (r.resource === null) continue;
    const list = byResource.get(r.resource) ?? [];
    list.push(r);
    byResource.set(r.resource, list);
  }
  for (const [name, list] of byResource) {
    resources[name] = absorbResource(resources[name] ?? INITIAL_RESOURCE_MEMORY, list, obs, policy);
  }
  return { memory: { ...memory, fence, resources }, notices };
}
