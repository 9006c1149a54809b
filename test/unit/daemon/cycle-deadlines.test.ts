/**
 * The cycle decides at the exact time a rule's wait runs out, not at the next tick: with a 1 s fence
 * delay the journal shows the fence 1.00 s after the decision to wait (virtual clock, fake ports).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import { silentLogger } from '../../../src/common/log.js';
import { err, ok } from '../../../src/common/result.js';
import { engineRecompute } from '../../../src/cli/replay.js';
import { Cycle, type CyclePorts } from '../../../src/daemon/cycle/index.js';
import type { PeerLink } from '../../../src/daemon/peer-requester.js';
import { createDrbdCommands, type DrbdView } from '../../../src/drbd/index.js';
import { DEFAULT_POLICY, initialMemory, type Answer, type Decision } from '../../../src/engine/index.js';
import { createCommandDrbdPort, type FencePort, type SystemPort } from '../../../src/executor/index.js';
import { replayEntries, type JournalEntry } from '../../../src/journal/index.js';
import { stepFailed } from '../../../src/executor/outcome.js';
import type { PeerView } from '../../../src/membership/index.js';

const RESOURCE = 'r0';

const view: DrbdView = {
  version: '8.4.11',
  source: 'events2',
  availability: 'ok',
  devices: [
    {
      minor: 1,
      resource: RESOURCE,
      volume: 0,
      cstate: 'WFConnection',
      role: 'Secondary',
      peerRole: 'Unknown',
      disk: 'UpToDate',
      peerDisk: 'DUnknown',
      protocol: 'C',
      ioFlags: 'r-----',
      outOfSyncKiB: 0,
      syncPercent: null,
      syncEtaSeconds: null,
      suspended: false,
      splitBrain: null,
    },
  ],
};

function peerView(reachable: boolean, heardAtMs: number): PeerView {
  return {
    reachable,
    everHeard: true,
    links: [
      {
        index: 0,
        localAddress: 'a',
        peerAddress: 'b',
        state: reachable ? 'up' : 'down',
        rttMs: 1,
        lossRate: 0,
        lastHeardAtMs: heardAtMs,
      },
    ],
    report: {
      resources: [
        {
          name: RESOURCE,
          role: 'Primary',
          disk: 'UpToDate',
          cstate: 'WFConnection',
          peerDisk: 'DUnknown',
          mounted: true,
          servicesUp: true,
          splitBrain: false,
          currentUuid: null,
        },
      ],
      standby: false,
      maintenance: false,
      health: 'ok',
    },
    reportAtMs: heardAtMs,
    incarnation: 1,
    stallGraceUntilMs: null,
  };
}

/** Fires due timers one at a time and lets the cycle's promise continuations run between them. */
async function advanceTo(clock: VirtualClock, targetMs: number): Promise<void> {
  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
  await flush();
  for (;;) {
    const next = clock.nextTimerAtMs();
    if (next === null || next > targetMs) break;
    clock.runUntil(next);
    await flush();
  }
  clock.runUntil(targetMs);
  await flush();
}

/** A cycle over fake ports on a virtual clock; `fenceChain` and the peer's view can be swapped. */
function setup(fenceChain: FencePort = { fencePeer: () => new Promise(() => {}) }) {
  const clock = new VirtualClock(0);
  const world: {
    peer: PeerView;
    request: PeerLink['request'];
  } = { peer: peerView(true, 0), request: () => new Promise(() => {}) };
  const membership: PeerLink = {
    view: () => world.peer,
    onEvent: () => () => {},
    request: (op, o) => world.request(op, o),
  };
  const failing = async () =>
    ({ status: 'failed', exitCode: 1, signal: null, stdout: '', stderr: 'fake', durationMs: 0 }) as const;
  const system = new Proxy(
    {
      mountState: async () => ok({ kind: 'not-mounted' as const }),
      serviceActive: async () => ok(false),
    },
    {
      get: (t, k) =>
        (t as Record<string | symbol, unknown>)[k] ?? (async () => stepFailed('fake', 'fake', false)),
    },
  ) as unknown as SystemPort;
  const journal: JournalEntry[] = [];
  const ports: CyclePorts = {
    clock,
    wall: { nowIso: () => new Date(clock.nowMs()).toISOString() },
    logger: silentLogger(),
    signal: new AbortController().signal,
    drbd: createCommandDrbdPort({ drbdadm: 'drbdadm', run: failing }),
    drbdCommands: createDrbdCommands({ drbdadm: 'drbdadm', run: failing }),
    system,
    membership,
    fenceChain: () => fenceChain,
    notify: () => {},
    journal: { append: (e) => journal.push(e as JournalEntry) },
    stores: {
      saveLastPrimaries: () => ok(undefined),
      saveDegraded: () => ok(undefined),
      saveIntents: () => ok(undefined),
    },
    sdNotify: () => Promise.resolve(),
    observer: { decided: () => {}, actionDone: () => {} },
  };
  const cycle = new Cycle(
    {
      self: 'alpha',
      peer: 'bravo',
      linkNames: ['link0'],
      policy: { ...DEFAULT_POLICY, fencing: 'stonith', fenceDelayMs: 1_000, deadtimeMs: 4_000 },
      resources: new Map([
        [
          RESOURCE,
          {
            name: RESOURCE,
            device: '/dev/drbd1',
            mount: null,
            services: [],
            addresses: [],
            timeouts: {
              promoteMs: 1_000,
              demoteMs: 1_000,
              mountMs: 1_000,
              umountMs: 1_000,
              servicesMs: 1_000,
              fsckMs: 1_000,
              commandMs: 1_000,
              peerRequestMs: 1_000,
              demoteFailureHandlerMs: 1_000,
            },
            onBusyUmount: 'refuse',
            killGraceMs: 1_000,
            onDemoteFailure: null,
          },
        ],
      ]),
      fenceTimeoutMs: 10_000,
      outdateCapMs: 30_000,
    },
    ports,
    {
      memory: initialMemory(),
      intents: { standby: false, maintenance: false },
      degradedAtStart: false,
      savedLastPrimaries: null,
      savedDegraded: null,
    },
  );
  cycle.setDrbdFencing(new Map([[RESOURCE, 'resource-and-stonith']]));
  cycle.drbdViewChanged(view);
  return { clock, world, journal, cycle };
}

describe('cycle deadlines', () => {
  it('fences exactly when a 1 s fence delay runs out', async () => {
    // The fence never completes: only the moment it was decided matters here.
    const { clock, world, journal, cycle } = setup();
    cycle.start();
    await advanceTo(clock, 2_350);
    // The peer goes silent on every link off the tick's phase (ticks at whole seconds).
    world.peer = peerView(false, 2_350);
    cycle.trigger('peer');
    await advanceTo(clock, 6_000);
    await cycle.stop();

    const decisions = journal.map((e) => ({ monoMs: e.monoMs, decision: e.decision as Decision }));
    const wait = decisions.find((e) => e.decision.reason === 'WAIT_FENCE_DELAY');
    const fence = decisions.find((e) => e.decision.plan.some((a) => a.kind === 'fence-peer'));
    expect(wait, JSON.stringify(decisions.map((e) => [e.monoMs, e.decision.reason]))).toBeDefined();
    expect(fence).toBeDefined();
    const delayMs = fence!.monoMs - wait!.monoMs;
    expect(delayMs).toBeGreaterThanOrEqual(980);
    expect(delayMs).toBeLessThanOrEqual(1_020);
  });
});

describe('answers outside the loop', () => {
  it("journals the peer's requests and DRBD's fence-peer answers, and replay recomputes every entry", async () => {
    const fenced: FencePort = {
      fencePeer: async () => ({ status: 'fenced', handlers: [], detail: 'bravo powered off' }),
    };
    const { clock, world, journal, cycle } = setup(fenced);
    cycle.start();
    await advanceTo(clock, 500);
    const handover = await cycle.answerPeer({ kind: 'prepare-handover', resource: RESOURCE });
    expect(handover).toMatchObject({ outcome: 'done', code: 'ready' });
    // A takeover request while this node's view still shows the peer Primary waits in the engine.
    await cycle.answerPeer({ kind: 'takeover', resource: RESOURCE });
    await advanceTo(clock, 600);
    // The maintenance switch and a due reminder are notifications the engine plans.
    expect(cycle.setIntents({ standby: false, maintenance: true }).ok).toBe(true);
    await advanceTo(clock, 700);
    expect(cycle.setIntents({ standby: false, maintenance: false }).ok).toBe(true);
    await advanceTo(clock, 800);
    cycle.remindOpenAlerts();
    await advanceTo(clock, 900);
    const unknown = await cycle.answerPeer({ kind: 'outdate', resource: 'nope' });
    expect(unknown).toMatchObject({ outcome: 'refused', code: 'unknown-resource' });
    // The peer answers no outdate request (lost on every link): node fencing under stonith, after the
    // fence delay, since the peer was Primary here and this node is not. DRBD gets 7 without a tick.
    world.peer = peerView(false, 900);
    world.request = async () => err({ code: 'E_PEER_UNREACHABLE', message: 'no answer on any link' });
    const call = cycle.answerFencePeer(RESOURCE);
    await advanceTo(clock, 2_400);
    expect(await call).toMatchObject({ exitCode: 7 });
    await cycle.stop();

    const answers = journal.filter((e) => e.kind === 'answer');
    expect(answers.map((e) => (e.decision as Answer).reason)).toEqual([
      'HANDOVER_READY',
      'REQUEST_UNKNOWN_RESOURCE',
      'FENCE_PEER_ASK_OUTDATE',
      'FENCE_PEER_FENCE_NODE',
      'FENCE_PEER_NODE_FENCED',
    ]);
    const fenceNode = answers[3]?.decision as Answer;
    expect(fenceNode).toMatchObject({ step: 'fence-node', delayMs: 1_000 });
    const fencedAt = answers[4]?.monoMs ?? 0;
    expect(fencedAt - (answers[3]?.monoMs ?? 0)).toBe(1_000);
    // ...and the answer did not wait for the loop: the first step came at the call's own time.
    expect(answers[2]?.monoMs).toBe(900);
    const decided = journal.filter((e) => e.kind === undefined).map((e) => e.decision as Decision);
    // HOLD_PEER_REACHABLE_REPL_LOST (a warning) stays the decision; the request's wait is in its facts.
    expect(decided.map((d) => d.resources[0]?.facts.alsoDecided)).toContain(
      'PEER_REQUEST_TAKEOVER_WAIT_VIEW',
    );
    const notes = decided.flatMap((d) => d.plan.flatMap((a) => (a.kind === 'notify' ? [a.message] : [])));
    expect(notes).toContain('maintenance on (set on alpha)');
    expect(notes).toContain('maintenance off (set on alpha)');
    expect(notes.some((m) => m.startsWith('still open: r0: '))).toBe(true);

    const report = replayEntries(
      journal.map((entry, i) => ({ line: i + 1, entry: JSON.parse(JSON.stringify(entry)) as JournalEntry })),
      engineRecompute,
    );
    expect(report.different + report.errors, JSON.stringify(report.items)).toBe(0);
    expect(report.same).toBe(journal.length);
  });
});
