/**
 * Two simulated DRBD 8.4 nodes joined by one in-process replication link on one VirtualClock:
 * the in-process API for cluster-simulation tests. Deterministic per seed.
 */
import { VirtualClock } from '../common/clock.js';
import { runDrbdadm, runDrbdsetup } from './commands.js';
import type { Events2Options } from './events2-format.js';
import { InProcessLink } from './link.js';
import { freshMetadata, SimNode } from './node.js';
import { hash32, SeededRng } from './rng.js';
import type { FencePeerHandler, SimCommandResult, SimNodeConfig, SimWrite } from './types.js';
import { DEFAULT_NODE_CONFIG } from './types.js';
import { DEFAULT_AFTER_SB } from './uuid-rules.js';
import { events2LogLines, events2NowLines, procDrbdText } from './views.js';
import { WriteChecker, type WriteCheckResult } from './write-checker.js';

export interface SimClusterOptions {
  readonly seed?: number;
  readonly clock?: VirtualClock;
  /** Node names; default alpha and bravo (the lab's). */
  readonly names?: readonly [string, string];
  /** Configuration for both nodes (name, peer and addresses are filled in). */
  readonly config?: Partial<
    Omit<SimNodeConfig, 'name' | 'peerName' | 'address' | 'peerAddress' | 'fencePeer'>
  >;
  /** Fence-peer handler per node name: receives DRBD's environment, resolves to the exit code. */
  readonly fencePeer?: (node: string, env: Readonly<Record<string, string>>) => Promise<number>;
  readonly linkDelayMs?: number;
  /** `uptodate` (default): both disks in sync and UpToDate; `new`: freshly created metadata. */
  readonly initial?: 'uptodate' | 'new';
  /** Bring DRBD up on both nodes at start (default true). */
  readonly up?: boolean;
  /** Wall-clock time at virtual time 0, for events2 timestamps. */
  readonly wallStartMs?: number;
}

/** A two-node DRBD pair in one process. */
export class SimCluster {
  readonly clock: VirtualClock;
  readonly link: InProcessLink;
  readonly names: readonly [string, string];
  readonly checker: WriteChecker;
  private readonly nodes = new Map<string, SimNode>();

  constructor(options: SimClusterOptions = {}) {
    const seed = options.seed ?? 1;
    this.clock = options.clock ?? new VirtualClock();
    this.names = options.names ?? ['alpha', 'bravo'];
    const wallStart = options.wallStartMs ?? Date.UTC(2026, 10, 24, 17, 0, 0);
    const base = { ...DEFAULT_NODE_CONFIG, afterSb: DEFAULT_AFTER_SB, ...options.config };
    this.link = new InProcessLink(this.clock, {
      delayMs: options.linkDelayMs ?? 1,
      connectIntMs: base.connectIntMs,
    });
    const initialUuid = options.initial === 'new' ? null : new SeededRng(seed ^ hash32(base.resource)).uuid();
    this.checker = new WriteChecker((n) => this.servedData(n));
    this.names.forEach((name, i) => {
      const peer = this.names[1 - i] ?? '';
      const handler = options.fencePeer;
      const fencePeer: FencePeerHandler | undefined = handler ? (env) => handler(name, env) : undefined;
      const config: SimNodeConfig = {
        ...base,
        name,
        peerName: peer,
        address: `10.77.0.${i + 1}:7788`,
        peerAddress: `10.77.0.${2 - i}:7788`,
        ...(fencePeer ? { fencePeer } : {}),
      };
      const idx = i as 0 | 1;
      let node: SimNode | null = null;
      const owner = {
        onSessionUp: (sid: number) => node?.onSessionUp(sid),
        onSessionClosed: (sid: number) => node?.onSessionClosed(sid),
        onMessage: (sid: number, msg: Parameters<SimNode['onMessage']>[1]) => node?.onMessage(sid, msg),
        get powered() {
          return node?.powered ?? false;
        },
      };
      const transport = this.link.attach(idx, owner);
      node = new SimNode(
        config,
        {
          clock: this.clock,
          rng: new SeededRng((seed * 2654435761 + i * 97 + 13) >>> 0),
          transport,
          wallNowMs: () => wallStart + this.clock.nowMs(),
        },
        freshMetadata(initialUuid),
      );
      const n = node;
      n.onHistory((e) => this.checker.record(name, e));
      this.nodes.set(name, n);
    });
    if (options.up ?? true) for (const n of this.nodes.values()) n.upResource();
  }

  /** The node called `name` (throws for an unknown name: a bug in the test). */
  node(name: string): SimNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no simulated node ${name}`);
    return n;
  }

  private index(name: string): 0 | 1 {
    return this.names[0] === name ? 0 : 1;
  }

  /** Writes the data `name` serves: its disk, or for a diskless Primary its UpToDate peer's. */
  private servedData(name: string): ReadonlySet<string> | null {
    const n = this.node(name);
    if (n.disk === 'UpToDate' || n.disk === 'Consistent') return new Set(n.heldWrites());
    const peer = this.node(this.names[1 - this.index(name)] ?? '');
    if (n.linked && n.peerDisk === 'UpToDate') return new Set(peer.heldWrites());
    return new Set(n.heldWrites());
  }

  /**
   * Moves virtual time forward by `ms`, firing timers in order and letting promise continuations
   * (command completions, handler results) run between them.
   */
  async advance(ms: number): Promise<void> {
    const target = this.clock.nowMs() + ms;
    await flush();
    for (;;) {
      const next = this.clock.nextTimerAtMs();
      if (next === null || next > target) break;
      this.clock.runUntil(next);
      await flush();
    }
    this.clock.runUntil(target);
    await flush();
  }

  /** Runs `drbdadm ...` / `drbdsetup ...` on a node and advances virtual time until it returns. */
  async exec(name: string, argv: readonly string[], maxWaitMs = 60_000): Promise<SimCommandResult> {
    let result: SimCommandResult | null = null;
    void this.start(name, argv).then((r) => {
      result = r;
    });
    const deadline = this.clock.nowMs() + maxWaitMs;
    await flush();
    while (result === null && this.clock.nowMs() < deadline) await this.advance(50);
    return result ?? { stdout: '', stderr: 'simulation: command did not finish\n', exitCode: 124 };
  }

  /** Starts a command without advancing time (for commands that block on the clock). */
  start(name: string, argv: readonly string[]): Promise<SimCommandResult> {
    const node = this.node(name);
    const [tool, ...rest] = argv;
    if (tool === 'drbdadm') return runDrbdadm(node, this.clock, rest);
    if (tool === 'drbdsetup') return runDrbdsetup(node, this.clock, rest);
    return Promise.resolve({ stdout: '', stderr: `simulation: unknown tool ${tool ?? ''}\n`, exitCode: 127 });
  }

  procDrbd(name: string): string {
    return procDrbdText(this.node(name));
  }

  /** `drbdsetup events2 --now` lines. */
  events2Now(name: string, options: Events2Options = { timestamps: false, statistics: false }): string[] {
    return events2NowLines(this.node(name), options);
  }

  /** Every events2 line since the node powered on (a stream started before `up`). */
  events2Log(name: string, options: Events2Options = { timestamps: false, statistics: false }): string[] {
    return events2LogLines(this.node(name), options);
  }

  cutLink(): void {
    this.link.cut();
  }
  restoreLink(): void {
    this.link.restore();
  }
  setLinkDelay(ms: number): void {
    this.link.setDelay(ms);
  }

  /** Power loss of a node. */
  crash(name: string): void {
    this.node(name).crash();
    this.link.forget(this.index(name));
  }

  /** Power on after a crash; with `up` (default false, like the lab) DRBD is brought up too. */
  powerOn(name: string, up = false): void {
    const n = this.node(name);
    n.powerOn();
    if (up) n.upResource();
  }

  /** The backing disk of `name` fails; noticed at its next I/O, or at once with `detectNow`. */
  /** Freezes a node (like SIGSTOP of its machine): its peer sees it go silent. */
  freeze(name: string): void {
    this.node(name).freeze();
  }

  /** Resumes a frozen node; what came due meanwhile runs at once. */
  thaw(name: string): void {
    this.node(name).thaw();
  }

  failDisk(name: string, detectNow = false): void {
    this.node(name).failDisk(detectNow);
  }

  /** The application writes `count` blocks on `name`; acknowledgements arrive as time advances. */
  write(
    name: string,
    count = 1,
    blocks?: readonly number[],
  ): { accepted: SimWrite[]; refused: string | null; done: Promise<boolean>[] } {
    return this.node(name).write(count, blocks);
  }

  /** Writes and advances virtual time until every write is acknowledged or failed (or `maxWaitMs`). */
  async writeAndSettle(
    name: string,
    count = 1,
    maxWaitMs = 30_000,
    blocks?: readonly number[],
  ): Promise<{ accepted: SimWrite[]; refused: string | null; acked: (boolean | null)[] }> {
    const w = this.write(name, count, blocks);
    const acked: (boolean | null)[] = w.done.map(() => null);
    w.done.forEach((p, i) => void p.then((ok) => (acked[i] = ok)));
    const deadline = this.clock.nowMs() + maxWaitMs;
    await flush();
    while (acked.some((a) => a === null) && this.clock.nowMs() < deadline) await this.advance(10);
    return { accepted: w.accepted, refused: w.refused, acked };
  }

  mount(name: string, mountpoint = '/mnt/r0'): boolean {
    return this.node(name).mount(mountpoint).ok;
  }

  umount(name: string, mountpoint = '/mnt/r0'): boolean {
    return this.node(name).umount(mountpoint);
  }

  /** The write checker's verdict now (current Primaries must serve every acknowledged write). */
  checkWrites(): WriteCheckResult {
    const primaries = this.names.filter((n) => {
      const node = this.node(n);
      return node.powered && node.up && node.role === 'Primary';
    });
    return this.checker.check(primaries, this.clock.nowMs());
  }
}

/** Lets pending promise continuations run (setImmediate runs after the microtask queue). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
