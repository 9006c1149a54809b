/**
 * A chaos schedule from a seed: a short random sequence of faults, each with its start, how long it
 * lasts before it is healed, and its target. Pure and deterministic: the same seed always gives the same
 * schedule, so `npm run test:chaos -- --seed S` replays the faults of a failed run (the daemons' own
 * timing still varies). Targets are roles ("the Primary"), resolved when the fault is injected.
 */
import { mulberry32 } from '../support/udp-fault-relay.js';

export const FAULT_KINDS = [
  'power-off',
  'daemon-kill',
  'freeze-short',
  'freeze-long',
  'link-cut',
  'one-way-loss',
  'lossy-links',
  'fence-fail',
  'fence-hang',
  'disk-fail',
  'clock-jump',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type Target = 'primary' | 'secondary';
/** Which heartbeat links a network fault touches (link 0 also carries DRBD replication). */
export type Links = 0 | 1 | 'both';

export type Fault =
  | { readonly kind: 'power-off' | 'daemon-kill' | 'disk-fail'; readonly target: Target }
  /** SIGSTOP of the daemon alone or of the whole node (daemon and DRBD). */
  | {
      readonly kind: 'freeze-short' | 'freeze-long';
      readonly target: Target;
      readonly scope: 'daemon' | 'node';
    }
  | { readonly kind: 'link-cut'; readonly links: Links }
  /** Everything the `from` node sends on `links` is dropped; the other direction flows. */
  | { readonly kind: 'one-way-loss'; readonly from: Target; readonly links: Links }
  /** Both links: heartbeat loss + delay jitter (relay), replication TCP segment loss (iptables). */
  | {
      readonly kind: 'lossy-links';
      readonly dropRate: number;
      readonly delayMinMs: number;
      readonly delayMaxMs: number;
    }
  /** The STONITH handler on `target` exits 1, or hangs past its timeout. */
  | { readonly kind: 'fence-fail' | 'fence-hang'; readonly target: Target }
  /** The node's wall clock steps by `offsetS` (both directions); healing steps it back. */
  | { readonly kind: 'clock-jump'; readonly target: Target; readonly offsetS: number };

export interface ScheduledFault {
  /** Start, ms after the pair settled. */
  readonly atMs: number;
  /** How long it lasts before it is healed (power-off: until power-on; disk-fail: until repair + attach). */
  readonly durationMs: number;
  readonly fault: Fault;
}

export interface Schedule {
  readonly seed: number;
  readonly faults: readonly ScheduledFault[];
  /** When the last fault ends: everything still active is healed then. */
  readonly endMs: number;
}

export interface ScheduleOptions {
  /** The pair's heartbeat dead time: freezes are drawn shorter and longer than it. */
  readonly deadtimeMs: number;
  readonly minFaults?: number;
  readonly maxFaults?: number;
}

/** Builds the schedule of `seed`. Pure. */
export function makeSchedule(seed: number, o: ScheduleOptions): Schedule {
  const rng = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
  const target = (): Target => (rng() < 0.65 ? 'primary' : 'secondary');
  const links = (): Links => pick<Links>([0, 1, 'both', 'both']);

  const count = int(o.minFaults ?? 3, o.maxFaults ?? 5);
  const faults: ScheduledFault[] = [];
  let at = int(500, 2_000);
  for (let k = 0; k < count; k++) {
    const kind = pick(FAULT_KINDS);
    let fault: Fault;
    let durationMs: number;
    switch (kind) {
      case 'power-off':
      case 'daemon-kill':
      case 'disk-fail':
        fault = { kind, target: target() };
        durationMs = int(2_000, 8_000);
        break;
      case 'freeze-short':
        fault = { kind, target: target(), scope: rng() < 0.5 ? 'daemon' : 'node' };
        durationMs = int(Math.round(o.deadtimeMs * 0.2), Math.round(o.deadtimeMs * 0.7));
        break;
      case 'freeze-long':
        fault = { kind, target: target(), scope: rng() < 0.5 ? 'daemon' : 'node' };
        durationMs = int(o.deadtimeMs * 2, o.deadtimeMs * 6);
        break;
      case 'link-cut':
        fault = { kind, links: links() };
        durationMs = int(1_500, 8_000);
        break;
      case 'one-way-loss':
        fault = { kind, from: target(), links: links() };
        durationMs = int(1_500, 6_000);
        break;
      case 'lossy-links': {
        const delayMinMs = int(0, 20);
        fault = { kind, dropRate: int(5, 30) / 100, delayMinMs, delayMaxMs: delayMinMs + int(20, 100) };
        durationMs = int(3_000, 10_000);
        break;
      }
      case 'fence-fail':
      case 'fence-hang':
        // Long enough to overlap the faults after it (a fence that fails while the peer is lost).
        fault = { kind, target: target() };
        durationMs = int(4_000, 12_000);
        break;
      case 'clock-jump':
        fault = { kind, target: target(), offsetS: pick([-1, 1]) * pick([30, 600, 3_600, 86_400]) };
        durationMs = int(2_000, 8_000);
        break;
      default: {
        const never: never = kind;
        throw new Error(`unknown fault kind ${String(never)}`);
      }
    }
    faults.push({ atMs: at, durationMs, fault });
    // The next fault may start while this one is still active (overlaps are the interesting cases).
    at += int(500, Math.max(1_000, Math.min(durationMs + 2_000, 6_000)));
  }
  return { seed, faults, endMs: Math.max(...faults.map((f) => f.atMs + f.durationMs)) };
}

/** One line per fault, for the log of a schedule. Pure. */
export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'power-off':
    case 'daemon-kill':
    case 'disk-fail':
    case 'fence-fail':
    case 'fence-hang':
      return `${f.kind} ${f.target}`;
    case 'freeze-short':
    case 'freeze-long':
      return `${f.kind} ${f.target} ${f.scope}`;
    case 'link-cut':
      return `link-cut ${f.links === 'both' ? 'both links' : `link ${f.links}`}`;
    case 'one-way-loss':
      return `one-way-loss from ${f.from} on ${f.links === 'both' ? 'both links' : `link ${f.links}`}`;
    case 'lossy-links':
      return `lossy-links ${Math.round(f.dropRate * 100)}% loss, ${f.delayMinMs}-${f.delayMaxMs} ms delay`;
    case 'clock-jump':
      return `clock-jump ${f.target} ${f.offsetS > 0 ? '+' : ''}${f.offsetS} s`;
    default: {
      const never: never = f;
      return String(never);
    }
  }
}
