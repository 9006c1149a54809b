/**
 * Exhaustive invariant test: the product of representative input states (local role x disk x
 * connection state x DRBD's view of the peer role x peer reachability x the peer's reported role x the
 * peer's disk x intents and special situations x fencing policy x memory), asserting SAFETY.md's
 * invariants and determinism on every single case. A failure prints the case.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionState, DiskState, Role } from '../../src/drbd/types.js';
import { LINKED_CONNECTION_STATES } from '../../src/drbd/types.js';
import type {
  Action,
  EngineMemory,
  EnginePolicy,
  Observation,
  ResourceDecision,
} from '../../src/engine/index.js';
import {
  DRBD_ACTION_KINDS,
  RELEASE_SEQUENCE,
  TAKEOVER_SEQUENCE,
  decide,
  isReasonCode,
} from '../../src/engine/index.js';
import {
  memory,
  nodeReport,
  observation,
  policy,
  resourceObs,
  resourceReport,
  SILENT_PEER,
} from './builders.js';

const ROLES: Role[] = ['Primary', 'Secondary'];
// Diskless stands for the failed-disk class (Failed, Detaching are decided alike).
const DISKS: DiskState[] = ['UpToDate', 'Outdated', 'Inconsistent', 'Consistent', 'Diskless'];
const CSTATES: ConnectionState[] = ['Connected', 'SyncSource', 'SyncTarget', 'WFConnection', 'StandAlone'];
const DRBD_PEER_ROLES: Role[] = ['Primary', 'Secondary', 'Unknown'];
const REACH = ['reachable', 'silent', 'partial'] as const;
const PEER_REPORT_ROLES = ['Primary', 'Secondary', 'none'] as const;
const PEER_DISKS: DiskState[] = ['UpToDate', 'Outdated'];
const SITUATIONS = [
  'none',
  'maintenance',
  'peer-maintenance',
  'standby',
  'switchover-self',
  'switchover-peer',
  'request-takeover',
  'request-release',
  'request-outdate',
  'split-brain',
  'in-flight',
  'stalled',
] as const;
const POLICIES: { name: string; policy: EnginePolicy }[] = [
  { name: 'stonith', policy: policy({ fencing: 'stonith', preferredNode: 'bravo', failbackDelayMs: 0 }) },
  { name: 'resource-only', policy: policy({ fencing: 'resource-only' }) },
  { name: 'none', policy: policy({ fencing: 'none', acceptRisk: false }) },
  { name: 'none+accept-risk', policy: policy({ fencing: 'none', acceptRisk: true, preferredNode: 'alpha' }) },
];
const NOW = 100_000;
const MEMORIES: { name: string; memory: EngineMemory }[] = [
  {
    name: 'lost-long-ago',
    memory: memory({ peerLostSinceMs: 0, startupDone: true, peerWasReachable: false }),
  },
  {
    name: 'fenced',
    memory: memory({
      peerLostSinceMs: 50_000,
      startupDone: true,
      fence: { status: 'succeeded', failures: 0, nextAttemptMs: null },
    }),
  },
  { name: 'fresh-start', memory: memory() },
];

type Situation = (typeof SITUATIONS)[number];

interface Case {
  role: Role;
  disk: DiskState;
  cstate: ConnectionState;
  drbdPeerRole: Role;
  reach: (typeof REACH)[number];
  peerRole: (typeof PEER_REPORT_ROLES)[number];
  peerDisk: DiskState;
  situation: Situation;
  policy: string;
  memory: string;
}

function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}

function build(c: Case, pol: EnginePolicy, fresh: boolean): Observation {
  const report =
    c.peerRole === 'none'
      ? null
      : nodeReport({
          maintenance: c.situation === 'peer-maintenance',
          resources: [resourceReport('r0', { role: c.peerRole, disk: c.peerDisk, splitBrain: false })],
        });
  const peer =
    c.reach === 'reachable'
      ? { report, everHeard: report !== null || !fresh }
      : c.reach === 'silent'
        ? { ...SILENT_PEER, report, everHeard: !fresh }
        : { reachable: false, links: [{ name: 'hb0', up: true }], report, everHeard: true };
  const req = (kind: 'takeover' | 'release' | 'outdate') => [{ kind, resource: 'r0', atMs: NOW - 5 }];
  void pol;
  return observation({
    nowMs: fresh ? 5_000 : NOW,
    resources: [
      resourceObs('r0', {
        splitBrain: c.situation === 'split-brain',
        drbd: {
          role: c.role,
          disk: c.disk,
          cstate: c.cstate,
          peerRole: c.drbdPeerRole,
          peerDisk: c.peerDisk,
        },
      }),
    ],
    peer,
    intents: {
      maintenance: c.situation === 'maintenance',
      standby: c.situation === 'standby',
      switchovers:
        c.situation === 'switchover-self'
          ? [{ resource: 'r0', to: 'alpha' }]
          : c.situation === 'switchover-peer'
            ? [{ resource: 'r0', to: 'bravo' }]
            : [],
    },
    peerRequests:
      c.situation === 'request-takeover'
        ? req('takeover')
        : c.situation === 'request-release'
          ? req('release')
          : c.situation === 'request-outdate'
            ? req('outdate')
            : [],
    inFlight: c.situation === 'in-flight' ? ['r0'] : [],
    stalled: c.situation === 'stalled',
  });
}

const SEQ_INDEX = new Map<string, number>([...RELEASE_SEQUENCE.map((k, i) => [k, i] as const)]);
const TAKE_INDEX = new Map<string, number>([...TAKEOVER_SEQUENCE.map((k, i) => [k, i] as const)]);

function inOrder(kinds: readonly string[], index: Map<string, number>): boolean {
  let last = -1;
  for (const k of kinds) {
    const i = index.get(k);
    if (i === undefined) continue;
    if (i <= last) return false;
    last = i;
  }
  return true;
}

const DRBD_KINDS = new Set<string>(DRBD_ACTION_KINDS);

/** Returns the violated invariant, or null. */
function check(
  c: Case,
  obs: Observation,
  mem: EngineMemory,
  pol: EnginePolicy,
  rd: ResourceDecision,
  plan: readonly Action[],
): string | null {
  const d = obs.resources[0]!.drbd!;
  const kinds = rd.plan.map((a) => a.kind);
  const acts = kinds.filter((k) => k !== 'notify');
  const promotes = kinds.includes('promote');
  const freshPeerRes = obs.peer.reachable ? (obs.peer.report?.resources[0] ?? null) : null;
  if (!isReasonCode(rd.reason)) return `unknown reason ${rd.reason}`;
  if (rd.reason === 'SAFETY_GATE_HOLD')
    return `safety gate had to stop the rules: ${JSON.stringify(rd.facts)}`;
  // SAFETY 2: never promote a disk that is not UpToDate.
  if (promotes && d.disk !== 'UpToDate') return 'promote with local disk not UpToDate';
  // SAFETY 1: never promote while the peer is Primary (DRBD's view or the peer's fresh report).
  if (promotes && d.peerRole === 'Primary') return 'promote while DRBD shows the peer Primary';
  if (promotes && freshPeerRes?.role === 'Primary') return 'promote while the peer reports Primary';
  // Unknown is never dead: from an unreachable peer only with proof per policy and both kinds of evidence.
  if (promotes && !obs.peer.reachable) {
    const silent = !obs.peer.links.some((l) => l.up);
    if (!silent) return 'promote with a live heartbeat link but no report';
    if (LINKED_CONNECTION_STATES.has(d.cstate))
      return 'promote from an unreachable peer while DRBD is linked';
    const lostFor = NOW - (mem.peerLostSinceMs ?? NOW);
    const proof =
      pol.fencing === 'stonith'
        ? mem.fence.status === 'succeeded'
        : pol.fencing === 'none' && pol.acceptRisk && lostFor >= pol.deadtimeMs;
    if (!proof) return `promote from an unreachable peer without proof (${pol.fencing})`;
  }
  // Startup: never promote on silence alone while the startup wait runs.
  if (promotes && obs.nowMs < pol.initdeadMs && !obs.peer.everHeard)
    return 'promote during startup wait without the peer';
  // Split-brain freezes: no action but notifications.
  const sb =
    c.situation === 'split-brain' ||
    (d.role === 'Primary' && (d.peerRole === 'Primary' || freshPeerRes?.role === 'Primary'));
  if (sb && acts.length > 0) return `split-brain but actions ${acts.join(',')}`;
  if (sb && plan.some((a) => DRBD_KINDS.has(a.kind)))
    return 'split-brain but a DRBD/fence action in the plan';
  // Maintenance (either node): observe only, on the whole plan (fence-peer included).
  const peerMaintenance = c.situation === 'peer-maintenance' && obs.peer.report !== null;
  if (c.situation === 'maintenance' || peerMaintenance) {
    if (plan.some((a) => a.kind !== 'notify')) return 'maintenance but actions planned';
  }
  if (c.situation === 'in-flight' && acts.length > 0)
    return 'actions planned while the previous plan is in flight';
  if (c.situation === 'stalled' && plan.some((a) => a.kind !== 'notify'))
    return 'actions planned right after a stall';
  // Ordering.
  if (!inOrder(kinds, SEQ_INDEX)) return `release steps out of order: ${kinds.join(',')}`;
  if (!inOrder(kinds, TAKE_INDEX)) return `takeover steps out of order: ${kinds.join(',')}`;
  if (promotes && kinds.includes('demote')) return 'promote and demote in one plan';
  const op = kinds.indexOf('outdate-peer');
  if (op >= 0 && promotes && op > kinds.indexOf('promote')) return 'outdate-peer after promote';
  if (promotes && pol.fsck !== kinds.includes('fsck')) return 'fsck presence does not follow policy';
  // Never a forced data decision: no action kind beyond the union exists, and outdate-local never on a Primary.
  if (kinds.includes('outdate-local') && d.role === 'Primary') return 'outdate-local on a Primary';
  return null;
}

describe('exhaustive invariants', () => {
  it('holds SAFETY.md on every combination of representative inputs, deterministically', () => {
    let cases = 0;
    let promotes = 0;
    const reasons = new Set<string>();
    const failures: string[] = [];
    for (const pe of POLICIES)
      for (const me of MEMORIES)
        for (const role of ROLES)
          for (const disk of DISKS)
            for (const cstate of CSTATES)
              for (const drbdPeerRole of DRBD_PEER_ROLES)
                for (const reach of REACH)
                  for (const peerRole of PEER_REPORT_ROLES)
                    for (const peerDisk of PEER_DISKS)
                      for (const situation of SITUATIONS) {
                        const c: Case = {
                          role,
                          disk,
                          cstate,
                          drbdPeerRole,
                          reach,
                          peerRole,
                          peerDisk,
                          situation,
                          policy: pe.name,
                          memory: me.name,
                        };
                        const fresh = me.name === 'fresh-start';
                        // Deep-freezing proves decide never mutates its input (a mutation throws in strict
                        // mode); it is costly, so every 5th case is frozen, and the shared memories always.
                        const built = build(c, pe.policy, fresh);
                        const obs = cases % 5 === 0 ? deepFreeze(built) : built;
                        const mem = deepFreeze(me.memory);
                        const out = decide(obs, mem, pe.policy);
                        cases++;
                        const rd = out.decision.resources[0]!;
                        reasons.add(rd.reason);
                        if (rd.plan.some((a) => a.kind === 'promote')) promotes++;
                        const violation = check(c, obs, mem, pe.policy, rd, out.decision.plan);
                        if (violation !== null && failures.length < 20) {
                          failures.push(
                            `${violation}\n  case ${JSON.stringify(c)}\n  decided ${rd.reason} [${rd.plan.map((a) => a.kind).join(',')}]`,
                          );
                        }
                        if (cases % 7 === 0) {
                          // Determinism, sampled (deep-freezing above already proves no input mutation).
                          const again = decide(obs, mem, pe.policy);
                          if (JSON.stringify(again) !== JSON.stringify(out) && failures.length < 20) {
                            failures.push(`non-deterministic: ${JSON.stringify(c)}`);
                          }
                        }
                      }
    expect(failures, failures.join('\n')).toEqual([]);
    // The product is not vacuous: it reaches promotions and many distinct rules.
    expect(cases).toBe(
      POLICIES.length * MEMORIES.length * 2 * DISKS.length * 5 * 3 * 3 * 3 * 2 * SITUATIONS.length,
    );
    expect(promotes).toBeGreaterThan(100);
    expect(reasons.size).toBeGreaterThan(35);
  });
});
