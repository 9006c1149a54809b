/**
 * Injecting and healing the chaos faults on a netns pair. `inject` resolves the fault's role target
 * against the roles seen now and returns its heal. Overlapping faults of the same kind on the same
 * thing are reference-counted (a link comes back when the last cut of it ends; a process continues when
 * the last freeze ends; the latest fence mode or clock offset wins until it ends).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlRequest } from '../../../src/sim/process/control-client.js';
import type { NetnsFaultRelay } from '../../netns/support/netns-fault-relay.js';
import { REPLICATION_PORT, type NetnsPair, type NodeIndex } from '../../netns/support/netns-pair.js';
import { NO_FAULTS } from '../../support/udp-fault-relay.js';
import type { Fault, Links, Target } from '../schedule.js';
import type { FenceMode, NodeControls } from './node-controls.js';

export interface FaultContext {
  readonly p: NetnsPair;
  readonly relay: NetnsFaultRelay;
  readonly controls: NodeControls;
  /** The node whose DRBD is Primary now (the last sample), null when none is. */
  readonly primaryNow: () => NodeIndex | null;
  /** Records one line of the fault timeline. */
  readonly log: (event: string, detail: Record<string, unknown>) => void;
}

export type Heal = () => Promise<void>;

export interface Injected {
  /** The node the fault hit, when it targets one. */
  readonly node: NodeIndex | null;
  /** Null when the fault could not apply (e.g. power-off of a node already off). */
  readonly heal: Heal | null;
  readonly note?: string;
}

/** A counter per key: `on` runs when the first holder arrives, `off` when the last one leaves. */
class Holds {
  private readonly counts = new Map<string, number>();
  acquire(key: string, on: () => void): void {
    const n = this.counts.get(key) ?? 0;
    if (n === 0) on();
    this.counts.set(key, n + 1);
  }
  release(key: string, off: () => void): void {
    const n = (this.counts.get(key) ?? 1) - 1;
    this.counts.set(key, n);
    if (n === 0) off();
  }
}

/** The latest active value per key wins; when it ends the one below it (or the default) applies. */
class Stacks<T> {
  private readonly stacks = new Map<string, Array<{ token: number; value: T }>>();
  private next = 0;
  push(key: string, value: T, apply: (v: T) => void): number {
    const s = this.stacks.get(key) ?? [];
    const token = this.next++;
    s.push({ token, value });
    this.stacks.set(key, s);
    apply(value);
    return token;
  }
  remove(key: string, token: number, fallback: T, apply: (v: T) => void): void {
    const s = (this.stacks.get(key) ?? []).filter((e) => e.token !== token);
    this.stacks.set(key, s);
    apply(s.at(-1)?.value ?? fallback);
  }
}

const linkList = (l: Links): number[] => (l === 'both' ? [0, 1] : [l]);

export class FaultInjector {
  private readonly holds = new Holds();
  private readonly fenceModes = new Stacks<FenceMode>();
  private readonly clocks = new Stacks<number>();
  /** Acknowledged writes whose only copy was on a disk that failed (see ChaosHistory). */
  readonly lostWithFailedDisk = new Set<string>();

  constructor(private readonly ctx: FaultContext) {}

  private resolve(t: Target): NodeIndex {
    // No Primary now: "the Primary" is the node that was Primary at the start, alpha or bravo by seed.
    const primary = this.ctx.primaryNow() ?? this.ctx.p.primary;
    return t === 'primary' ? primary : ((1 - primary) as NodeIndex);
  }

  private async iptables(i: NodeIndex, rule: readonly string[]): Promise<void> {
    const r = await this.ctx.p.net.hosts[i].exec(['iptables', '-w', ...rule]);
    if (r.status !== 'ok')
      this.ctx.log('iptables-failed', { node: i, rule: rule.join(' '), status: r.status });
  }

  private sim(i: NodeIndex) {
    return this.ctx.p.pair.paths[i].simDir;
  }

  /** Power on whatever of node `i` is not running (a power-on, or systemd restarting a killed daemon). */
  powerOn(i: NodeIndex): void {
    const { pair } = this.ctx.p;
    // startDrbd removes the dead simulator's /proc/drbd first (a booting node has none yet).
    if (!pair.running(i, 'drbd')) pair.startDrbd(i);
    if (!pair.running(i, 'daemon')) pair.startDaemon(i);
  }

  /** The operator's disk replacement: repair the backing disk and attach it. */
  async repairDisk(i: NodeIndex): Promise<void> {
    if (!this.ctx.p.pair.running(i, 'drbd')) return;
    await withTimeout(controlRequest(this.sim(i), { op: 'repair-disk' }), 5_000);
    const r = await withTimeout(
      controlRequest(this.sim(i), { op: 'drbdadm', args: ['attach', 'r0'] }),
      10_000,
    );
    this.ctx.log('disk-attach', { node: i, result: r });
  }

  /** The writes node `i`'s disk holds: asked of a running simulator, else read from its metadata file. */
  private async diskWrites(i: NodeIndex): Promise<string[] | null> {
    if (this.ctx.p.pair.running(i, 'drbd')) {
      const r = await withTimeout(controlRequest(this.sim(i), { op: 'history' }), 5_000);
      if (r?.ok) return (r.value as { held: string[] }).held;
    }
    try {
      return (JSON.parse(readFileSync(join(this.sim(i), 'md.json'), 'utf8')) as { writes: string[] }).writes;
    } catch {
      return null;
    }
  }

  async inject(f: Fault): Promise<Injected> {
    const { pair, net } = this.ctx.p;
    switch (f.kind) {
      case 'power-off': {
        const i = this.resolve(f.target);
        if (!pair.running(i, 'drbd') && !pair.running(i, 'daemon'))
          return { node: i, heal: null, note: 'already off' };
        pair.powerOff(i);
        return {
          node: i,
          heal: async () => {
            await pair.exited(i, 'drbd').catch(() => undefined);
            await pair.exited(i, 'daemon').catch(() => undefined);
            this.powerOn(i);
          },
        };
      }
      case 'daemon-kill': {
        const i = this.resolve(f.target);
        if (!pair.signal(i, 'daemon', 'SIGKILL')) return { node: i, heal: null, note: 'daemon not running' };
        return {
          node: i,
          heal: async () => {
            await pair.exited(i, 'daemon').catch(() => undefined);
            // A node powered off (or fenced) meanwhile has no daemon to restart: power-on brings both
            // back. Started alone, it read the dead simulator's last /proc/drbd (Primary) as its own
            // (seed 3042, two Primaries reported).
            if (!pair.running(i, 'daemon') && pair.running(i, 'drbd')) pair.startDaemon(i);
          },
        };
      }
      case 'freeze-short':
      case 'freeze-long': {
        const i = this.resolve(f.target);
        const kinds = f.scope === 'node' ? (['daemon', 'drbd'] as const) : (['daemon'] as const);
        for (const k of kinds) this.holds.acquire(`stop:${i}:${k}`, () => pair.signal(i, k, 'SIGSTOP'));
        return {
          node: i,
          heal: async () => {
            for (const k of kinds) this.holds.release(`stop:${i}:${k}`, () => pair.signal(i, k, 'SIGCONT'));
          },
        };
      }
      case 'link-cut': {
        const links = linkList(f.links);
        for (const l of links) this.holds.acquire(`link:${l}`, () => net.cutLink(l));
        return {
          node: null,
          heal: async () => {
            for (const l of links) this.holds.release(`link:${l}`, () => net.restoreLink(l));
          },
        };
      }
      case 'one-way-loss': {
        const from = this.resolve(f.from);
        const to = (1 - from) as NodeIndex;
        const rules = linkList(f.links).map((l) => ['-s', net.hosts[from].addresses[l]!, '-j', 'DROP']);
        for (const r of rules) await this.iptables(to, ['-I', 'INPUT', ...r]);
        return {
          node: from,
          heal: async () => {
            for (const r of rules) await this.iptables(to, ['-D', 'INPUT', ...r]);
          },
        };
      }
      case 'lossy-links': {
        // Heartbeats: loss and delay jitter in the UDP relay (no netem in this kernel). Replication: TCP
        // segments dropped at random (retransmits make the jitter).
        const rules = ['--dport', '--sport'].map((dir) => [
          '-p',
          'tcp',
          dir,
          String(REPLICATION_PORT),
          '-m',
          'statistic',
          '--mode',
          'random',
          '--probability',
          String(f.dropRate),
          '-j',
          'DROP',
        ]);
        const lossy = {
          ...NO_FAULTS,
          dropRate: f.dropRate,
          delayMinMs: f.delayMinMs,
          delayMaxMs: f.delayMaxMs,
        };
        this.holds.acquire('lossy', () => this.ctx.relay.setFaults(lossy));
        for (const i of [0, 1] as const) for (const r of rules) await this.iptables(i, ['-I', 'INPUT', ...r]);
        return {
          node: null,
          heal: async () => {
            for (const i of [0, 1] as const)
              for (const r of rules) await this.iptables(i, ['-D', 'INPUT', ...r]);
            this.holds.release('lossy', () => this.ctx.relay.setFaults(NO_FAULTS));
          },
        };
      }
      case 'fence-fail':
      case 'fence-hang': {
        const i = this.resolve(f.target);
        const name = pair.nodeName(i);
        const set = (m: FenceMode) => this.ctx.controls.setFenceMode(name, m);
        const token = this.fenceModes.push(name, f.kind === 'fence-fail' ? 'fail' : 'hang', set);
        return { node: i, heal: async () => this.fenceModes.remove(name, token, 'ok', set) };
      }
      case 'disk-fail': {
        const i = this.resolve(f.target);
        if (!pair.running(i, 'drbd')) return { node: i, heal: null, note: 'DRBD not running' };
        const r = await withTimeout(controlRequest(this.sim(i), { op: 'fail-disk', now: true }), 5_000);
        if (r === null || !r.ok) return { node: i, heal: null, note: `fail-disk: ${JSON.stringify(r)}` };
        // What only this disk held is gone with it (the repaired disk comes back for a full resync).
        const failed = await this.diskWrites(i);
        const peer = new Set(await this.diskWrites((1 - i) as NodeIndex));
        const onlyHere = failed === null ? [] : failed.filter((id) => !peer.has(id));
        for (const id of onlyHere) this.lostWithFailedDisk.add(id);
        return {
          node: i,
          heal: () => this.repairDisk(i),
          note: `${onlyHere.length} writes only on this disk`,
        };
      }
      case 'clock-jump': {
        const i = this.resolve(f.target);
        const set = (s: number) => this.ctx.controls.setClockOffset(i, s);
        const token = this.clocks.push(String(i), f.offsetS, set);
        return { node: i, heal: async () => this.clocks.remove(String(i), token, 0, set) };
      }
      default: {
        const never: never = f;
        throw new Error(`unknown fault ${JSON.stringify(never)}`);
      }
    }
  }
}

/** Resolves to the promise's value, or null after `ms` (a frozen simulator never answers). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<null>((r) => {
      timer = setTimeout(() => r(null), ms);
    }),
  ]);
}
