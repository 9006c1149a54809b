/**
 * Builders for engine observations with readable defaults: a healthy pair alpha (self) / bravo (peer),
 * resource r0, this node Primary, the peer Secondary, both UpToDate and Connected, both links up.
 */
import type { DrbdDeviceState } from '../../src/drbd/types.js';
import type { NodeReport, ResourceReport } from '../../src/membership/node-report.js';
import type {
  EngineMemory,
  EnginePolicy,
  Observation,
  ResourceMemory,
  ResourceObservation,
} from '../../src/engine/index.js';
import { DEFAULT_POLICY, INITIAL_RESOURCE_MEMORY, initialMemory } from '../../src/engine/index.js';

export function drbd(p: Partial<DrbdDeviceState> = {}): DrbdDeviceState {
  return {
    minor: 1,
    resource: 'r0',
    volume: 0,
    cstate: 'Connected',
    role: 'Primary',
    peerRole: 'Secondary',
    disk: 'UpToDate',
    peerDisk: 'UpToDate',
    protocol: 'C',
    ioFlags: 'r-----',
    outOfSyncKiB: 0,
    syncPercent: null,
    syncEtaSeconds: null,
    suspended: false,
    ...p,
  };
}

export function resourceObs(
  name: string,
  p: Partial<Omit<ResourceObservation, 'drbd'>> & { drbd?: Partial<DrbdDeviceState> | null } = {},
): ResourceObservation {
  const { drbd: dp, ...rest } = p;
  const d = dp === null ? null : drbd({ resource: name, ...dp });
  const primary = d?.role === 'Primary';
  return {
    name,
    drbd: d,
    mounted: primary,
    servicesUp: primary,
    splitBrain: false,
    currentUuid: null,
    drbdFencing: 'resource-and-stonith',
    ...rest,
  };
}

export function resourceReport(name: string, p: Partial<ResourceReport> = {}): ResourceReport {
  const role = p.role ?? 'Secondary';
  return {
    name,
    role,
    disk: 'UpToDate',
    cstate: 'Connected',
    peerDisk: 'UpToDate',
    mounted: role === 'Primary',
    servicesUp: role === 'Primary',
    splitBrain: false,
    currentUuid: null,
    ...p,
  };
}

export function nodeReport(p: Partial<NodeReport> = {}): NodeReport {
  return {
    resources: [resourceReport('r0')],
    standby: false,
    maintenance: false,
    health: 'ok',
    ...p,
  };
}

export interface ObservationInput extends Partial<Omit<Observation, 'peer' | 'intents' | 'startup'>> {
  readonly peer?: Partial<Observation['peer']>;
  readonly intents?: Partial<Observation['intents']>;
  readonly startup?: Partial<Observation['startup']>;
}

export function observation(p: ObservationInput = {}): Observation {
  const { peer, intents, startup, ...rest } = p;
  return {
    nowMs: 100_000,
    self: 'alpha',
    drbdAvailable: true,
    resources: [resourceObs('r0')],
    peerRequests: [],
    results: [],
    inFlight: [],
    stalled: false,
    ...rest,
    peer: {
      name: 'bravo',
      reachable: true,
      everHeard: true,
      links: [
        { name: 'hb0', up: true },
        { name: 'hb1', up: true },
      ],
      report: nodeReport(),
      lastHeardMs: (rest.nowMs ?? 100_000) - 100,
      ...peer,
    },
    intents: { switchovers: [], standby: false, maintenance: false, ...intents },
    startup: { daemonStartMs: 0, degradedShutdown: false, ...startup },
  };
}

export function policy(p: Partial<EnginePolicy> = {}): EnginePolicy {
  return { ...DEFAULT_POLICY, ...p };
}

export function memory(
  p: Partial<Omit<EngineMemory, 'resources'>> & { resources?: Record<string, Partial<ResourceMemory>> } = {},
): EngineMemory {
  const { resources, ...rest } = p;
  const base = initialMemory();
  const res: Record<string, ResourceMemory> = {};
  for (const [k, v] of Object.entries(resources ?? {})) res[k] = { ...INITIAL_RESOURCE_MEMORY, ...v };
  return { ...base, ...rest, resources: res };
}

/** The peer unreachable on every link (report kept as the stale last words). */
export const SILENT_PEER = {
  reachable: false,
  links: [
    { name: 'hb0', up: false },
    { name: 'hb1', up: false },
  ],
} as const;
