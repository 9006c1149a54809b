/**
 * Helpers shared by the two-process membership tests and the detection benchmark: free loopback ports,
 * a relayed two-node layout, and spawned membership-node processes with their event streams.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { systemClock } from '../../src/common/clock.js';
import type { LinkSpec } from '../../src/membership/transport.js';
import type { MembershipNodeConfig } from './membership-node.js';
import type { RelayLinkSpec } from './udp-fault-relay.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE_ENTRY = fileURLToPath(new URL('./membership-node.ts', import.meta.url));

/** A port the OS considers free on `address` right now (bind to 0, read, close). */
export function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind({ address, port: 0 }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export interface PairLayout {
  readonly linksA: LinkSpec[];
  readonly linksB: LinkSpec[];
  /** Relay specs, or [] when the nodes talk directly. */
  readonly relay: RelayLinkSpec[];
}

/**
 * Two nodes with `linkCount` links on 127.0.<link+1>.x: A is .2, B is .3, the relay's sides .4 and .5
 * (Linux answers on all of 127/8 without configuration). `net` picks the third octet offset so
 * concurrent runs do not collide.
 */
export async function pairLayout(linkCount: number, relayed: boolean, net = 0): Promise<PairLayout> {
  const linksA: LinkSpec[] = [];
  const linksB: LinkSpec[] = [];
  const relay: RelayLinkSpec[] = [];
  for (let i = 0; i < linkCount; i++) {
    const ip = (host: number): string => `127.${net + 1}.${i + 1}.${host}`;
    const a = { address: ip(2), port: await freePort(ip(2)) };
    const b = { address: ip(3), port: await freePort(ip(3)) };
    if (relayed) {
      const relayForA = { address: ip(4), port: await freePort(ip(4)) };
      const relayForB = { address: ip(5), port: await freePort(ip(5)) };
      relay.push({ a, b, relayForA, relayForB });
      linksA.push({
        localAddress: a.address,
        localPort: a.port,
        peerAddress: relayForA.address,
        peerPort: relayForA.port,
      });
      linksB.push({
        localAddress: b.address,
        localPort: b.port,
        peerAddress: relayForB.address,
        peerPort: relayForB.port,
      });
    } else {
      linksA.push({ localAddress: a.address, localPort: a.port, peerAddress: b.address, peerPort: b.port });
      linksB.push({ localAddress: b.address, localPort: b.port, peerAddress: a.address, peerPort: a.port });
    }
  }
  return { linksA, linksB, relay };
}

export interface NodeLine {
  readonly t: string;
  readonly kind?: string;
  readonly atMs?: number;
  readonly [k: string]: unknown;
}

/** A spawned membership-node process and everything it printed. */
export class SpawnedNode {
  readonly lines: NodeLine[] = [];
  readonly proc: ChildProcess;
  private waiters: { pred: (l: NodeLine) => boolean; resolve: (l: NodeLine) => void }[] = [];
  stderr = '';
  exited = false;

  constructor(cfg: MembershipNodeConfig) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', NODE_ENTRY, JSON.stringify(cfg)], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.proc.stdout! }).on('line', (text) => {
      let line: NodeLine;
      try {
        line = JSON.parse(text) as NodeLine;
      } catch {
        return;
      }
      this.lines.push(line);
      for (const w of [...this.waiters])
        if (w.pred(line)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(line);
        }
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      if (this.stderr.length < 20_000) this.stderr += d.toString();
    });
    this.proc.on('exit', () => {
      this.exited = true;
    });
  }

  events(kind?: string): NodeLine[] {
    return this.lines.filter((l) => l.t === 'event' && (kind === undefined || l.kind === kind));
  }

  /** Resolves with the first line (already printed or future) matching `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (l: NodeLine) => boolean, timeoutMs: number, what: string): Promise<NodeLine> {
    const seen = this.lines.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `timed out after ${timeoutMs}ms waiting for ${what}; stderr: ${this.stderr.slice(0, 2000)}`,
          ),
        );
      }, timeoutMs);
      const done = (l: NodeLine): void => {
        clearTimeout(timer);
        resolve(l);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  /** Waits for an event of `kind` at or after `afterMs` (monotonic). */
  waitEvent(kind: string, afterMs: number, timeoutMs: number): Promise<NodeLine> {
    return this.waitFor(
      (l) => l.t === 'event' && l.kind === kind && (l.atMs ?? 0) >= afterMs,
      timeoutMs,
      kind,
    );
  }

  /** Asks the node for its counters. */
  async counters(): Promise<Record<string, unknown>> {
    const before = this.lines.length;
    this.proc.stdin!.write('counters\n');
    const line = await this.waitFor(
      (l) => l.t === 'counters' && this.lines.indexOf(l) >= before,
      5000,
      'counters',
    );
    return line.counters as Record<string, unknown>;
  }

  /** SIGKILL; returns the monotonic time of the kill (same clock as the nodes' `atMs`). */
  kill9(): number {
    const at = systemClock.nowMs();
    this.proc.kill('SIGKILL');
    return at;
  }

  /** Stops the process (SIGKILL if it is still running) and waits for its exit. */
  async dispose(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGKILL');
    await exited;
  }
}
