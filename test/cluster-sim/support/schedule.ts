/**
 * Seeded random fault schedules. A schedule is a pure function of its seed (the sim's mulberry32
 * generator, never Math.random), so a failing seed replays exactly.
 */
import { SeededRng } from '../../../src/sim/rng.js';
import { HEARTBEAT, NODES, type NodeName } from './sim-config.js';

export type Fault =
  /** Power loss of the node (engine, executor and DRBD), powered on again after `ms`. */
  | { readonly kind: 'crash'; readonly node: NodeName; readonly atMs: number; readonly ms: number }
  /** kill -9 of the daemon (engine memory lost, DRBD keeps running), restarted after `ms`. */
  | { readonly kind: 'kill'; readonly node: NodeName; readonly atMs: number; readonly ms: number }
  /** SIGSTOP of the daemon for `ms` (shorter or longer than the heartbeat deadtime). */
  | { readonly kind: 'pause'; readonly node: NodeName; readonly atMs: number; readonly ms: number }
  /** One heartbeat link cut. */
  | { readonly kind: 'cut-hb-link'; readonly link: 0 | 1; readonly atMs: number; readonly ms: number }
  /** Both heartbeat links cut, replication up (heartbeat-only cut). */
  | { readonly kind: 'cut-hb'; readonly atMs: number; readonly ms: number }
  /** DRBD's replication link cut, heartbeats up (replication-only cut). */
  | { readonly kind: 'cut-repl'; readonly atMs: number; readonly ms: number }
  /** Every link cut: heartbeats and replication. */
  | { readonly kind: 'partition'; readonly atMs: number; readonly ms: number }
  /** The node's fence handler fails, or hangs until its timeout. */
  | {
      readonly kind: 'fence-fail';
      readonly node: NodeName;
      readonly mode: 'fail' | 'timeout';
      readonly atMs: number;
      readonly ms: number;
    }
  /** A process on the node holds the mount point open for `ms` (ignoring SIGTERM when stubborn). */
  | {
      readonly kind: 'busy';
      readonly node: NodeName;
      readonly stubborn: boolean;
      readonly atMs: number;
      readonly ms: number;
    }
  /** The node's backing disk fails; after `ms` an operator replaces it (`drbdadm attach`). */
  | { readonly kind: 'disk-fail'; readonly node: NodeName; readonly atMs: number; readonly ms: number };

export interface Schedule {
  readonly seed: number;
  readonly onBusyUmount: 'refuse' | 'kill';
  /** fencing.policy of both daemons (DRBD is configured to match: resource-and-stonith / resource-only). */
  readonly fencing: 'stonith' | 'resource-only';
  readonly faults: readonly Fault[];
  /** Every fault has ended by this time (ms). */
  readonly healAtMs: number;
}

/** Faults start after the initial election has settled. */
export const FIRST_FAULT_MS = 15_000;
export const LAST_FAULT_START_MS = 90_000;

const KINDS: readonly (readonly [Fault['kind'], number])[] = [
  ['crash', 3],
  ['kill', 2],
  ['pause', 2],
  ['cut-hb-link', 2],
  ['cut-hb', 1],
  ['cut-repl', 2],
  ['partition', 2],
  ['fence-fail', 2],
  ['busy', 2],
  ['disk-fail', 1],
];

/** The schedule of `seed`. Pure. */
export function scheduleOf(seed: number): Schedule {
  const rng = new SeededRng((seed * 0x9e3779b1 + 0x5eed) >>> 0);
  const between = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);
  const node = (): NodeName => NODES[rng.int(2)] ?? 'alpha';
  const total = KINDS.reduce((a, [, w]) => a + w, 0);
  const pick = (): Fault['kind'] => {
    let x = rng.int(total);
    for (const [k, w] of KINDS) {
      if (x < w) return k;
      x -= w;
    }
    return 'crash';
  };
  const count = between(1, 6);
  const faults: Fault[] = [];
  for (let i = 0; i < count; i++) {
    const kind = pick();
    const atMs = between(FIRST_FAULT_MS, LAST_FAULT_START_MS);
    switch (kind) {
      case 'crash':
        faults.push({ kind, node: node(), atMs, ms: between(1_000, 30_000) });
        break;
      case 'kill':
        faults.push({ kind, node: node(), atMs, ms: between(500, 20_000) });
        break;
      case 'pause': {
        // Half shorter than the deadtime (nobody may notice), half longer (the peer must not act on it).
        const long = rng.int(2) === 1;
        const ms = long
          ? between(HEARTBEAT.deadtimeMs + 1_000, 30_000)
          : between(300, HEARTBEAT.deadtimeMs - 500);
        faults.push({ kind, node: node(), atMs, ms });
        break;
      }
      case 'cut-hb-link':
        faults.push({ kind, link: rng.int(2) === 0 ? 0 : 1, atMs, ms: between(1_000, 30_000) });
        break;
      case 'cut-hb':
      case 'cut-repl':
      case 'partition':
        faults.push({ kind, atMs, ms: between(1_000, 30_000) });
        break;
      case 'fence-fail':
        faults.push({
          kind,
          node: node(),
          mode: rng.int(2) === 0 ? 'fail' : 'timeout',
          atMs: Math.max(FIRST_FAULT_MS, atMs - 5_000),
          ms: between(5_000, 40_000),
        });
        break;
      case 'busy':
        faults.push({ kind, node: node(), stubborn: rng.int(3) === 0, atMs, ms: between(1_000, 20_000) });
        break;
      case 'disk-fail':
        faults.push({ kind, node: node(), atMs, ms: between(5_000, 30_000) });
        break;
    }
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  const healAtMs = Math.max(...faults.map((f) => f.atMs + f.ms));
  const onBusyUmount = rng.int(2) === 0 ? 'refuse' : 'kill';
  // One schedule in four runs resource-level fencing only.
  const fencing = rng.int(4) === 0 ? 'resource-only' : 'stonith';
  return { seed, onBusyUmount, fencing, faults, healAtMs };
}

/** One line per fault, for failure messages. */
export function formatSchedule(s: Schedule): string {
  const lines = s.faults.map((f) => {
    const where = 'node' in f ? ` ${f.node}` : 'link' in f ? ` link${f.link}` : '';
    const extra = f.kind === 'fence-fail' ? ` ${f.mode}` : f.kind === 'busy' && f.stubborn ? ' stubborn' : '';
    return `  t=${(f.atMs / 1000).toFixed(3)}s ${f.kind}${where}${extra} for ${(f.ms / 1000).toFixed(3)}s`;
  });
  return [
    `seed ${s.seed}: fencing ${s.fencing}, on-busy-umount ${s.onBusyUmount}, heal at ${(s.healAtMs / 1000).toFixed(3)}s`,
    ...lines,
  ].join('\n');
}
