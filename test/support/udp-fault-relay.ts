import { createSocket, type Socket } from 'node:dgram';

/**
 * A userspace UDP relay that injects loss, delay, duplication and reordering between two loopback
 * addresses, by a seeded schedule: netem does not exist in this kernel (TESTING.md). Test and bench
 * support only. Bounded (at most `maxPending` datagrams in flight) and self-stopping (`stopAfterMs`).
 */

/** Fault settings of one link (both directions). Rates are probabilities in [0, 1]; times in ms. */
export interface FaultSettings {
  readonly dropRate: number;
  /** Every forwarded datagram waits a uniform delay in [delayMinMs, delayMaxMs]. */
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
  /** Probability that a forwarded datagram is delivered twice (the copy with its own delay). */
  readonly duplicateRate: number;
  /** Probability that a datagram is held back an extra `delayMaxMs` + 1..50 ms, so later ones overtake it. */
  readonly reorderRate: number;
}

export const NO_FAULTS: FaultSettings = {
  dropRate: 0,
  delayMinMs: 0,
  delayMaxMs: 0,
  duplicateRate: 0,
  reorderRate: 0,
};

export interface UdpAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * One relayed link. Node A sends to `relayForA` (as its peer address) and node B to `relayForB`; the
 * relay forwards A's datagrams from `relayForB` to `b`, and B's from `relayForA` to `a`, so each node
 * sees the relay as its peer.
 */
export interface RelayLinkSpec {
  readonly a: UdpAddress;
  readonly b: UdpAddress;
  readonly relayForA: UdpAddress;
  readonly relayForB: UdpAddress;
}

export interface RelayStats {
  received: number;
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  /** Dropped because `maxPending` datagrams were already in flight. */
  overflow: number;
}

/** A small, fast, seedable PRNG (mulberry32): deterministic schedules from a seed. Returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What happens to one datagram: the delays of each delivery ([] = dropped). Pure given `rng`. */
export interface PacketPlan {
  readonly deliveriesMs: readonly number[];
  readonly reordered: boolean;
}

/** Plans one datagram's fate. Always draws the same number of random values, so schedules stay aligned. */
export function planPacket(rng: () => number, f: FaultSettings): PacketPlan {
  const [drop, dup, reorder, d1, d2, extra] = [rng(), rng(), rng(), rng(), rng(), rng()];
  if (drop < f.dropRate) return { deliveriesMs: [], reordered: false };
  const span = Math.max(0, f.delayMaxMs - f.delayMinMs);
  const reordered = reorder < f.reorderRate;
  const first = f.delayMinMs + d1 * span + (reordered ? f.delayMaxMs + 1 + extra * 49 : 0);
  const deliveriesMs = dup < f.duplicateRate ? [first, f.delayMinMs + d2 * span] : [first];
  return { deliveriesMs, reordered };
}

export interface UdpFaultRelayOptions {
  readonly links: readonly RelayLinkSpec[];
  readonly seed: number;
  readonly faults?: FaultSettings;
  /** Datagrams in flight at most (default 10000); beyond, new ones are dropped and counted. */
  readonly maxPending?: number;
  /** The relay closes itself after this long (default 600000), so a failed test cannot leak it. */
  readonly stopAfterMs?: number;
}

export interface UdpFaultRelay {
  /** Per link, both directions summed. */
  readonly stats: readonly RelayStats[];
  /** Changes the faults of one link, or of every link. */
  setFaults(link: number | 'all', faults: FaultSettings): void;
  stop(): Promise<void>;
}

function bind(socket: Socket, at: UdpAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: at.address, port: at.port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** Starts a relay on every link; resolves once every relay socket is bound. */
export async function startUdpFaultRelay(options: UdpFaultRelayOptions): Promise<UdpFaultRelay> {
  const maxPending = options.maxPending ?? 10_000;
  const faults: FaultSettings[] = options.links.map(() => options.faults ?? NO_FAULTS);
  const stats: RelayStats[] = options.links.map(() => ({
    received: 0,
    forwarded: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    overflow: 0,
  }));
  const sockets: Socket[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const forward = (link: number, rng: () => number, out: Socket, to: UdpAddress, msg: Buffer): void => {
    const st = stats[link]!;
    st.received++;
    const plan = planPacket(rng, faults[link]!);
    if (plan.deliveriesMs.length === 0) {
      st.dropped++;
      return;
    }
    if (plan.reordered) st.reordered++;
    if (plan.deliveriesMs.length > 1) st.duplicated++;
    for (const delay of plan.deliveriesMs) {
      if (timers.size >= maxPending) {
        st.overflow++;
        continue;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (stopped) return;
        st.forwarded++;
        out.send(msg, to.port, to.address);
      }, delay);
      timers.add(timer);
    }
  };

  try {
    for (const [i, spec] of options.links.entries()) {
      const forA = createSocket('udp4');
      const forB = createSocket('udp4');
      sockets.push(forA, forB);
      // One PRNG per direction keeps each direction's schedule a function of the seed alone.
      const rngAtoB = mulberry32(options.seed * 1000 + i * 2);
      const rngBtoA = mulberry32(options.seed * 1000 + i * 2 + 1);
      forA.on('message', (msg) => forward(i, rngAtoB, forB, spec.b, msg));
      forB.on('message', (msg) => forward(i, rngBtoA, forA, spec.a, msg));
      forA.on('error', () => {});
      forB.on('error', () => {});
      await bind(forA, spec.relayForA);
      await bind(forB, spec.relayForB);
    }
  } catch (e) {
    for (const s of sockets) s.close();
    throw e;
  }

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearTimeout(selfStop);
    for (const t of timers) clearTimeout(t);
    timers.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  const selfStop = setTimeout(() => void stop(), options.stopAfterMs ?? 600_000);
  selfStop.unref();

  return {
    stats,
    setFaults(link, f) {
      if (link === 'all') faults.fill(f);
      else faults[link] = f;
    },
    stop,
  };
}
