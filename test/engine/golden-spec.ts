/**
 * The golden scenario file format (test/engine/golden/*.yaml) and its mapping to engine inputs. Every input
 * field is optional and defaults to the healthy pair of builders.ts (at every level: a partial `fence` or
 * `retry` is completed from the defaults), so a file states only what matters. Every object is strict: a
 * misspelled key fails the case instead of silently meaning "default". The expected output is exact: the
 * full plan (every action with its arguments, notifications with their message) and every reason code.
 */
import { z } from 'zod';
import { CONNECTION_STATES, DISK_STATES, ROLES } from '../../src/drbd/types.js';
import type { DrbdDeviceView } from '../../src/drbd/view.js';
import type { NodeReport, ResourceReport } from '../../src/membership/node-report.js';
import {
  decide,
  DEFAULT_POLICY,
  FENCING_POLICIES,
  INITIAL_FENCE,
  isReasonCode,
  type Action,
  type DecideOutput,
  type ActionKind,
  type ActionResultObservation,
  type EngineMemory,
  type EnginePolicy,
  type FenceMemory,
  type IntentObservation,
  type Observation,
  type PeerObservation,
  type PeerRequest,
  type ReasonCode,
  type ResourceMemory,
  type ResourceObservation,
  type StartupObservation,
} from '../../src/engine/index.js';
import { NOTIFY_EVENTS } from '../../src/engine/notify-events.js';
import {
  memory,
  nodeReport,
  observation,
  policy,
  resourceObs,
  resourceReport,
  SILENT_PEER,
} from './builders.js';

/**
 * Compile-time guard: the schema's keys are exactly the type's keys (minus `omit`). A field added to an
 * engine type without an entry here stops typechecking, so no input can be unreachable from a case.
 */
type SameKeys<T, S, Omitted extends PropertyKey = never> = [
  Exclude<Exclude<keyof T, Omitted>, keyof S> | Exclude<keyof S, Exclude<keyof T, Omitted>>,
] extends [never]
  ? true
  : never;
function covers<T, S, Omitted extends PropertyKey = never>(_: SameKeys<T, S, Omitted>): void {}

const ACTION_KINDS = [
  'fence-peer',
  'outdate-peer',
  'outdate-local',
  'promote',
  'fsck',
  'mount',
  'start-services',
  'add-addresses',
  'remove-addresses',
  'stop-services',
  'umount',
  'demote',
  'request-peer-release',
  'request-peer-takeover',
  'connect',
  'demote-failure-handler',
  'notify',
] as const satisfies readonly ActionKind[];
covers<Record<ActionKind, 0>, Record<(typeof ACTION_KINDS)[number], 0>>(true);

const reasonCode = z
  .string()
  .refine(isReasonCode, { message: 'unknown reason code' }) as unknown as z.ZodType<ReasonCode, string>;
const nullableNumber = z.number().nullable();

const drbdSpec = z
  .object({
    minor: z.number(),
    resource: z.string().nullable(),
    volume: nullableNumber,
    cstate: z.enum(CONNECTION_STATES),
    role: z.enum(ROLES),
    peerRole: z.enum(ROLES),
    disk: z.enum(DISK_STATES),
    peerDisk: z.enum(DISK_STATES),
    protocol: z.enum(['A', 'B', 'C']).nullable(),
    ioFlags: z.string().nullable(),
    outOfSyncKiB: nullableNumber,
    syncPercent: nullableNumber,
    syncEtaSeconds: nullableNumber,
    suspended: z.boolean(),
    /** The daemon's observation carries the DRBD view (journals have it); the engine reads `splitBrain` of the resource. */
    splitBrain: z
      .union([
        z.object({ kind: z.literal('helper'), atIso: z.string().nullable() }).strict(),
        z
          .object({
            kind: z.literal('standalone-after-connect'),
            from: z.string(),
            atIso: z.string().nullable(),
          })
          .strict(),
      ])
      .nullable(),
  })
  .partial()
  .strict();
covers<DrbdDeviceView, z.infer<typeof drbdSpec>>(true);

const resourceSpec = z
  .object({
    name: z.string(),
    drbd: drbdSpec.nullable(),
    mounted: z.boolean(),
    servicesUp: z.boolean(),
    splitBrain: z.boolean(),
    currentUuid: z.string().nullable(),
    drbdFencing: z.enum(['resource-and-stonith', 'resource-only', 'dont-care', 'unknown']),
  })
  .partial()
  .strict();
covers<ResourceObservation, z.infer<typeof resourceSpec>>(true);

const resourceReportSpec = z
  .object({
    name: z.string(),
    role: z.enum(ROLES),
    disk: z.enum(DISK_STATES),
    cstate: z.enum(CONNECTION_STATES),
    peerDisk: z.enum(DISK_STATES),
    mounted: z.boolean(),
    servicesUp: z.boolean(),
    splitBrain: z.boolean(),
    currentUuid: z.string().nullable(),
    lastPrimary: z.string().nullable(),
  })
  .partial()
  .strict();
covers<ResourceReport, z.infer<typeof resourceReportSpec>>(true);

/** The peer's report: node flags plus `resources` as partial ResourceReports (default: one r0). */
const peerReportSpec = z
  .object({
    resources: z.array(resourceReportSpec),
    standby: z.boolean(),
    maintenance: z.boolean(),
    health: z.enum(['starting', 'ok', 'degraded']),
  })
  .partial()
  .strict();
covers<NodeReport, z.infer<typeof peerReportSpec>>(true);

/** The peer as membership sees it; its report is `peerReport` (one level up, it is the usual subject). */
const peerSpec = z
  .object({
    name: z.string(),
    reachable: z.boolean(),
    everHeard: z.boolean(),
    links: z.array(z.object({ name: z.string(), up: z.boolean() }).strict()),
    lastHeardMs: nullableNumber,
  })
  .partial()
  .strict();
covers<PeerObservation, z.infer<typeof peerSpec>, 'report'>(true);

const intentsSpec = z
  .object({
    switchovers: z.array(z.object({ resource: z.string(), to: z.string() }).strict()),
    standby: z.boolean(),
    maintenance: z.boolean(),
  })
  .partial()
  .strict();
covers<IntentObservation, z.infer<typeof intentsSpec>>(true);

const peerRequestSpec = z
  .object({ kind: z.enum(['release', 'takeover', 'outdate']), resource: z.string(), atMs: z.number() })
  .strict();
covers<PeerRequest, z.infer<typeof peerRequestSpec>>(true);

const resultSpec = z
  .object({
    kind: z.enum(ACTION_KINDS),
    resource: z.string().nullable(),
    outcome: z.enum(['ok', 'failed', 'timeout', 'skipped-precondition']),
    retrySafe: z.boolean(),
    atMs: z.number(),
    errorKind: z.string().nullable(),
  })
  .strict();
covers<ActionResultObservation, z.infer<typeof resultSpec>>(true);

const startupSpec = z.object({ daemonStartMs: z.number(), degradedShutdown: z.boolean() }).partial().strict();
covers<StartupObservation, z.infer<typeof startupSpec>>(true);

const observationSpec = z
  .object({
    nowMs: z.number(),
    self: z.string(),
    drbdAvailable: z.boolean(),
    drbdObserved: z.boolean(),
    stalled: z.boolean(),
    inFlight: z.array(z.string().nullable()),
    /** Shortcut: the peer is silent on every link (its last report stays, stale). */
    peerSilent: z.boolean(),
    peer: peerSpec,
    /** The peer's report; null for none (never heard). */
    peerReport: peerReportSpec.nullable(),
    resources: z.array(resourceSpec),
    intents: intentsSpec,
    peerRequests: z.array(peerRequestSpec),
    results: z.array(resultSpec),
    startup: startupSpec,
    remindersDue: z.boolean(),
  })
  .partial()
  .strict();
covers<Observation & { peerSilent: unknown; peerReport: unknown }, z.infer<typeof observationSpec>>(true);

const fenceSpec = z
  .object({
    status: z.enum(['none', 'succeeded', 'failed']),
    failures: z.number(),
    nextAttemptMs: nullableNumber,
    succeededAtMs: nullableNumber,
  })
  .partial()
  .strict();
covers<FenceMemory, z.infer<typeof fenceSpec>>(true);

const resourceMemorySpec = z
  .object({
    lastReason: reasonCode.nullable(),
    failures: z.number(),
    nextAttemptMs: nullableNumber,
    blockedFingerprint: z.string().nullable(),
    demoteFailed: z.boolean(),
    frozen: z.boolean(),
    peerOutdated: z.boolean(),
    outdateFailures: z.number(),
    outdateNextMs: nullableNumber,
    outdateLastError: z.string().nullable(),
    lastPrimary: z.string().nullable(),
    yieldUntilMs: nullableNumber,
    failbackSinceMs: nullableNumber,
    releaseRequestedAtMs: nullableNumber,
    takeoverRequestedAtMs: nullableNumber,
  })
  .partial()
  .strict();
covers<ResourceMemory, z.infer<typeof resourceMemorySpec>>(true);

const memorySpec = z
  .object({
    peerLostSinceMs: nullableNumber,
    peerWasReachable: z.boolean().nullable(),
    fence: fenceSpec,
    startupDone: z.boolean(),
    resources: z.record(z.string(), resourceMemorySpec),
    peerRequests: z.array(peerRequestSpec),
    maintenance: z.boolean(),
  })
  .partial()
  .strict();
covers<EngineMemory, z.infer<typeof memorySpec>>(true);

const backoffSpec = z.object({ maxAttempts: z.number(), initialMs: z.number(), maxMs: z.number() });
const policySpec = z
  .object({
    fencing: z.enum(FENCING_POLICIES as [EnginePolicy['fencing'], ...EnginePolicy['fencing'][]]),
    acceptRisk: z.boolean(),
    fenceDelayMs: z.number(),
    deadtimeMs: z.number(),
    initdeadMs: z.number(),
    degradedInitdeadMs: z.number(),
    preferredNode: z.string().nullable(),
    failbackDelayMs: z.number(),
    fsck: z.boolean(),
    retry: backoffSpec.partial().strict(),
    fenceRetry: backoffSpec.omit({ maxAttempts: true }).partial().strict(),
    onDemoteFailure: z.boolean(),
    yieldMs: z.number(),
  })
  .partial()
  .strict();
covers<EnginePolicy, z.infer<typeof policySpec>>(true);

/** One action of the expected plan, exactly as the engine returns it. */
const actionSpec = z.union([
  z.object({ kind: z.literal('fence-peer'), reason: z.string() }).strict(),
  z
    .object({
      kind: z.literal('notify'),
      event: z.enum(NOTIFY_EVENTS),
      resource: z.string().nullable(),
      message: z.string(),
    })
    .strict(),
  z
    .object({
      kind: z.enum(ACTION_KINDS.filter((k) => k !== 'fence-peer' && k !== 'notify') as [string, ...string[]]),
      resource: z.string(),
    })
    .strict(),
]);

export const GoldenSpec = z
  .object({
    name: z.string(),
    description: z.string(),
    policy: policySpec.optional(),
    memory: memorySpec.optional(),
    observation: observationSpec.default({}),
    expect: z
      .object({
        /** The full plan in order: every action with its arguments. */
        plan: z.array(actionSpec),
        reason: reasonCode,
        /** Every resource's reason; when absent, every resource decided `reason`. */
        resources: z.record(z.string(), reasonCode).optional(),
        /** A subset of the decision's top-level facts. */
        facts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
        /** A subset of the returned memory. */
        memory: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
  })
  .strict();
export type GoldenSpec = z.infer<typeof GoldenSpec>;

/** Parses a case, or throws an error naming the file and every bad key by its path (`observation.peer.reachabel`). */
export function parseGoldenSpec(value: unknown, file: string): GoldenSpec {
  const parsed = GoldenSpec.safeParse(value);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const at = i.path.map(String).join('.');
    const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => (at === '' ? k : `${at}.${k}`)) : [];
    return keys.length > 0 ? `unknown key ${keys.join(', ')}` : `${at === '' ? '(root)' : at}: ${i.message}`;
  });
  throw new Error(`${file}: not a valid golden case:\n  ${lines.join('\n  ')}`);
}

/**
 * Runs a case: what the engine decides (plan, reason, every resource's reason) next to what the case expects,
 * ready for `toEqual`. Used by golden.test.ts and by the journal converter's test.
 */
export function judge(spec: GoldenSpec): {
  actual: { plan: Action[]; reason: string; resources: Record<string, string> };
  expected: { plan: unknown[]; reason: string; resources: Record<string, string> };
  out: DecideOutput;
  inputs: ReturnType<typeof goldenInputs>;
} {
  const inputs = goldenInputs(spec);
  const out = decide(inputs.observation, inputs.memory, inputs.policy);
  const d = out.decision;
  const resources = Object.fromEntries(d.resources.map((r) => [r.resource, r.reason]));
  return {
    actual: { plan: d.plan.map((a) => ({ ...a })), reason: d.reason, resources },
    expected: {
      plan: spec.expect.plan,
      reason: spec.expect.reason,
      resources:
        spec.expect.resources ?? Object.fromEntries(d.resources.map((r) => [r.resource, spec.expect.reason])),
    },
    out,
    inputs,
  };
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
            const { resources, ...flags } = o.peerReport;
            return nodeReport({
              ...flags,
              resources: (resources ?? [{ name: 'r0' }]).map((r) => resourceReport(r.name ?? 'r0', r)),
            });
          })();
  const resources = (o.resources ?? [{ name: 'r0' }]).map((r) => resourceObs(r.name ?? 'r0', r));
  const obs = observation({
    ...(o.nowMs !== undefined ? { nowMs: o.nowMs } : {}),
    ...(o.self !== undefined ? { self: o.self } : {}),
    ...(o.drbdAvailable !== undefined ? { drbdAvailable: o.drbdAvailable } : {}),
    ...(o.drbdObserved !== undefined ? { drbdObserved: o.drbdObserved } : {}),
    ...(o.stalled !== undefined ? { stalled: o.stalled } : {}),
    ...(o.inFlight !== undefined ? { inFlight: o.inFlight } : {}),
    resources,
    peer: { report, ...(o.peerSilent === true ? SILENT_PEER : {}), ...o.peer },
    ...(o.intents !== undefined ? { intents: o.intents } : {}),
    ...(o.peerRequests !== undefined ? { peerRequests: o.peerRequests } : {}),
    ...(o.results !== undefined ? { results: o.results } : {}),
    ...(o.startup !== undefined ? { startup: o.startup } : {}),
    ...(o.remindersDue !== undefined ? { remindersDue: o.remindersDue } : {}),
  });
  const { fence, ...m } = spec.memory ?? {};
  const { retry, fenceRetry, ...p } = spec.policy ?? {};
  return {
    observation: obs,
    memory: memory({ ...m, ...(fence !== undefined ? { fence: { ...INITIAL_FENCE, ...fence } } : {}) }),
    policy: policy({
      ...p,
      retry: { ...DEFAULT_POLICY.retry, ...retry },
      fenceRetry: { ...DEFAULT_POLICY.fenceRetry, ...fenceRetry },
    }),
  };
}
