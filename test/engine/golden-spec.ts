/**
 * The golden scenario file format (test/engine/golden/*.yaml) and its mapping to engine inputs. Every
 * field is optional and defaults to the healthy pair of builders.ts, so a file states only what matters.
 */
import { z } from 'zod';
import type { Action, EngineMemory, EnginePolicy, Observation } from '../../src/engine/index.js';
import {
  memory,
  nodeReport,
  observation,
  policy,
  resourceObs,
  resourceReport,
  SILENT_PEER,
} from './builders.js';

const loose = z.record(z.string(), z.unknown());

export const GoldenSpec = z.object({
  name: z.string(),
  description: z.string(),
  policy: loose.optional(),
  memory: loose.optional(),
  observation: z
    .object({
      nowMs: z.number().optional(),
      self: z.string().optional(),
      drbdAvailable: z.boolean().optional(),
      drbdObserved: z.boolean().optional(),
      stalled: z.boolean().optional(),
      inFlight: z.array(z.string().nullable()).optional(),
      /** Shortcut: the peer is silent on every link (its last report stays, stale). */
      peerSilent: z.boolean().optional(),
      peer: loose.optional(),
      /** The peer's report: node flags plus `resources` as partial ResourceReports by name; null for none. */
      peerReport: loose.nullable().optional(),
      resources: z.array(loose).optional(),
      intents: loose.optional(),
      peerRequests: z.array(loose).optional(),
      results: z.array(loose).optional(),
      startup: loose.optional(),
    })
    .default({}),
  expect: z.object({
    /** Action kinds in order; notifications as `notify:<event>`. */
    plan: z.array(z.string()),
    reason: z.string(),
    /** Per-resource reasons, when there is more than one resource. */
    resources: z.record(z.string(), z.string()).optional(),
    /** A subset of the decision's top-level facts. */
    facts: loose.optional(),
    /** A subset of the returned memory. */
    memory: loose.optional(),
  }),
});
export type GoldenSpec = z.infer<typeof GoldenSpec>;

export function planKinds(plan: readonly Action[]): string[] {
  return plan.map((a) => (a.kind === 'notify' ? `notify:${a.event}` : a.kind));
}

/** Builds the engine inputs of a golden spec. */
export function goldenInputs(spec: GoldenSpec): {
  observation: Observation;
  memory: EngineMemory;
  policy: EnginePolicy;
} {
  const o = spec.observation;
  const report =
    o.peerReport === null
      ? null
      : o.peerReport === undefined
        ? nodeReport()
        : (() => {
            const { resources, ...flags } = o.peerReport as Record<string, unknown>;
            const list = (resources as Record<string, unknown>[] | undefined) ?? [{ name: 'r0' }];
            return nodeReport({
              ...(flags as object),
              resources: list.map((r) => resourceReport(String(r.name ?? 'r0'), r as object)),
            });
          })();
  const resources = (o.resources ?? [{ name: 'r0' }]).map((r) =>
    resourceObs(String(r.name ?? 'r0'), r as Parameters<typeof resourceObs>[1]),
  );
  const obs = observation({
    ...(o.nowMs !== undefined ? { nowMs: o.nowMs } : {}),
    ...(o.self !== undefined ? { self: o.self } : {}),
    ...(o.drbdAvailable !== undefined ? { drbdAvailable: o.drbdAvailable } : {}),
    ...(o.drbdObserved !== undefined ? { drbdObserved: o.drbdObserved } : {}),
    ...(o.stalled !== undefined ? { stalled: o.stalled } : {}),
    ...(o.inFlight !== undefined ? { inFlight: o.inFlight } : {}),
    resources,
    peer: { report, ...(o.peerSilent === true ? SILENT_PEER : {}), ...(o.peer as object) },
    ...(o.intents !== undefined ? { intents: o.intents as object } : {}),
    ...(o.peerRequests !== undefined
      ? { peerRequests: o.peerRequests as unknown as Observation['peerRequests'] }
      : {}),
    ...(o.results !== undefined ? { results: o.results as unknown as Observation['results'] } : {}),
    ...(o.startup !== undefined ? { startup: o.startup as object } : {}),
  });
  return {
    observation: obs,
    memory: memory((spec.memory ?? {}) as Parameters<typeof memory>[0]),
    policy: policy((spec.policy ?? {}) as Partial<EnginePolicy>),
  };
}
