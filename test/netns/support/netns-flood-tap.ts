/**
 * A hostile tap on every heartbeat link of a netns pair. In each namespace a NAT rule sends the daemon's
 * outgoing heartbeat datagrams to a tap process there (netns-flood-tap-main.ts), which forwards them to
 * the peer unchanged and keeps copies; on `flood` each tap sends the peer's heartbeat port on every link
 * garbage, truncated, oversized, wrong-MAC, foreign-cluster, wrong-cluster, unknown-sender and replayed
 * genuine frames at a given rate. NAT applies from a flow's first datagram: start the taps before the
 * daemons (NetnsPairOptions.beforeStart).
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { TwoNodeNetwork } from '../../support/netns.js';

const main = resolve(import.meta.dirname, 'netns-flood-tap-main.ts');
const TAP_PORT_BASE = 17_890;

export interface FloodResult {
  /** Packets sent by kind (all links). */
  readonly sent: Record<string, number>;
  readonly sentPerLink: readonly number[];
  readonly sendErrors: number;
  readonly seconds: number;
  /** Genuine datagrams the tap forwarded since it started. */
  readonly forwarded: number;
}

export interface FloodTaps {
  /** Floods both nodes at once (tap on side s floods the other side); resolves with each tap's figures. */
  flood(options: {
    ratePerLink: number;
    durationMs: number;
    secretFile: string;
    cluster: string;
    names: readonly [string, string];
  }): Promise<readonly [FloodResult, FloodResult]>;
  /** PIDs of the two tap processes (for their CPU time). */
  readonly pids: readonly [number, number];
  stop(): void;
}

interface Tap {
  readonly child: ChildProcess;
  /** Resolves with the tap's next output line that has `key`. */
  next(key: string): Promise<Record<string, unknown>>;
}

async function startTap(net: TwoNodeNetwork, side: 0 | 1, heartbeatPort: number): Promise<Tap> {
  const self = net.hosts[side];
  const peer = net.hosts[1 - side]!;
  const links = self.addresses.map((address, i) => ({
    listen: { address, port: TAP_PORT_BASE + i * 2 },
    spare: { address, port: TAP_PORT_BASE + i * 2 + 1 },
    to: { address: peer.addresses[i]!, port: heartbeatPort },
  }));
  for (const l of links) {
    const r = await self.exec(
      ['iptables', '-w', '-t', 'nat', '-A', 'OUTPUT', '-p', 'udp', '-s', l.listen.address]
        .concat(['--sport', String(heartbeatPort), '-d', l.to.address, '--dport', String(heartbeatPort)])
        .concat(['-j', 'DNAT', '--to-destination', `${l.listen.address}:${l.listen.port}`]),
    );
    if (r.status !== 'ok') throw new Error(`iptables nat in ${self.netns}: ${r.status}`);
  }
  const child = self.spawn([process.execPath, '--import', 'tsx', main, JSON.stringify({ links })], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const waiting: Array<{ key: string; resolve: (l: Record<string, unknown>) => void }> = [];
  let buf = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
      buf = buf.slice(nl + 1);
      const i = waiting.findIndex((w) => w.key in line);
      if (i >= 0) waiting.splice(i, 1)[0]!.resolve(line);
    }
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<never>((_ok, fail) =>
    child.on('exit', (code) => fail(new Error(`flood tap in ${self.netns} exited ${code}: ${stderr}`))),
  );
  exited.catch(() => undefined);
  const next = (key: string) =>
    Promise.race([new Promise<Record<string, unknown>>((resolve) => waiting.push({ key, resolve })), exited]);
  await next('ready');
  return { child, next };
}

export async function startFloodTaps(net: TwoNodeNetwork, heartbeatPort: number): Promise<FloodTaps> {
  const taps: Tap[] = [];
  try {
    for (const side of [0, 1] as const) taps.push(await startTap(net, side, heartbeatPort));
  } catch (e) {
    for (const t of taps) t.child.kill('SIGKILL');
    throw e;
  }
  const [a, b] = taps as [Tap, Tap];
  return {
    pids: [a.child.pid!, b.child.pid!],
    async flood(o) {
      const run = (tap: Tap, side: 0 | 1) => {
        const done = tap.next('flooded');
        const { names, ...rest } = o;
        tap.child.stdin?.write(`${JSON.stringify({ flood: { ...rest, selfName: names[side] } })}\n`);
        return done.then((l) => l.flooded as FloodResult);
      };
      const results = await Promise.all([run(a, 0), run(b, 1)]);
      return [results[0], results[1]] as const;
    },
    stop() {
      for (const t of taps) t.child.kill('SIGKILL');
    },
  };
}
