import { describe, expect, it } from 'vitest';
import { FleetPublisher, type FleetView } from '../../../src/arbiter/fleet-publisher.js';
import type { ArbiterPort, ArbiterSnapshot, FleetStatusEntry } from '../../../src/arbiter/port.js';
import { VirtualClock } from '../../../src/common/clock.js';

// The publisher's pacing on a virtual clock, behind a recording arbiter port (the etcd side of the
// port is tested against a real etcd in fleet.test.ts).

class RecordingArbiter implements ArbiterPort {
  readonly written: FleetStatusEntry[] = [];
  private listener: (() => void) | null = null;
  private state: ArbiterSnapshot = {
    reachable: true,
    ownLeaseValidUntilMs: 10_000,
    leaseTtlMs: 10_000,
    owners: [],
    lastContactMs: 0,
  };
  start(): void {}
  async stop(): Promise<void> {}
  snapshot(): ArbiterSnapshot {
    return this.state;
  }
  onChange(l: () => void): () => void {
    this.listener = l;
    return () => (this.listener = null);
  }
  claim(): never {
    throw new Error('not used');
  }
  release(): never {
    throw new Error('not used');
  }
  async publish(entry: FleetStatusEntry): Promise<void> {
    this.written.push(entry);
  }
  set(patch: Partial<ArbiterSnapshot>): void {
    this.state = { ...this.state, ...patch };
    this.listener?.();
  }
}

const view = (role: string, reason = 'IDLE'): FleetView => ({
  peerReachable: true,
  resources: [{ name: 'r0', role, disk: 'UpToDate', connection: 'Connected' }],
  lastDecision: reason,
});

function setup() {
  const clock = new VirtualClock(0);
  const arbiter = new RecordingArbiter();
  let wallMs = 1_700_000_000_000;
  const p = new FleetPublisher({
    arbiter,
    clock,
    wall: { nowIso: () => new Date(wallMs + clock.nowMs()).toISOString() },
    cluster: 'pair',
    node: 'alpha',
    peer: 'bravo',
    minIntervalMs: 1_000,
    refreshMs: 10_000,
  });
  p.start();
  const roles = () => arbiter.written.map((e) => e.resources[0]?.role);
  return { clock, arbiter, p, roles, setWall: (ms: number) => (wallMs = ms) };
}

describe('fleet publisher', () => {
  it('writes the first view at once, with the pair, the peer and the wall-clock time', () => {
    const { arbiter, p } = setup();
    p.offer(view('Primary'));
    expect(arbiter.written).toEqual([
      {
        cluster: 'pair',
        node: 'alpha',
        peer: 'bravo',
        writtenAtWallMs: 1_700_000_000_000,
        ...view('Primary'),
      },
    ]);
  });

  it('a flapping view: at most one write a second, the latest view wins', () => {
    const { clock, p, roles } = setup();
    p.offer(view('Secondary'));
    for (let i = 0; i < 9; i++) {
      clock.advance(100);
      p.offer(view(i % 2 === 0 ? 'Primary' : 'Secondary'));
    }
    // 9 changes within the second after the first write: one more write at 1 s, with the last view.
    expect(roles()).toEqual(['Secondary']);
    clock.advance(100);
    expect(roles()).toEqual(['Secondary', 'Primary']);
    // Changed and changed back before its turn: nothing to write.
    p.offer(view('Secondary'));
    clock.advance(100);
    p.offer(view('Primary'));
    clock.advance(5_000);
    expect(roles()).toEqual(['Secondary', 'Primary']);
  });

  it('an unchanged view is written again only after the refresh interval', () => {
    const { clock, p, arbiter } = setup();
    p.offer(view('Primary'));
    for (let t = 1_000; t < 10_000; t += 1_000) {
      clock.advance(1_000);
      p.offer(view('Primary'));
    }
    expect(arbiter.written).toHaveLength(1);
    clock.advance(1_000);
    p.offer(view('Primary'));
    expect(arbiter.written).toHaveLength(2);
    expect(arbiter.written[1]?.writtenAtWallMs).toBe(1_700_000_000_000 + clock.nowMs());
  });

  it('no offers (the loop hangs): no refresh, so the entry goes stale', () => {
    const { clock, p, arbiter } = setup();
    p.offer(view('Primary'));
    clock.advance(60_000);
    expect(arbiter.written).toHaveLength(1);
  });

  it('a new registration (etcd data lost, or back after a failed write) rewrites at once', () => {
    const { clock, p, arbiter, roles } = setup();
    p.offer(view('Primary'));
    clock.advance(2_000);
    arbiter.set({ reachable: false, ownLeaseValidUntilMs: null });
    arbiter.set({ reachable: true });
    expect(arbiter.written).toHaveLength(1);
    arbiter.set({ ownLeaseValidUntilMs: 20_000 });
    expect(roles()).toEqual(['Primary', 'Primary']);
  });

  it('stopped: nothing more is written', () => {
    const { clock, p, arbiter } = setup();
    p.offer(view('Primary'));
    p.offer(view('Secondary'));
    p.stop();
    clock.advance(5_000);
    expect(arbiter.written).toHaveLength(1);
  });
});
