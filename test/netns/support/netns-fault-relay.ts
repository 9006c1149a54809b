/**
 * Loss and jitter on the heartbeat links of a netns pair (netem does not exist in this kernel). In each
 * namespace, a NAT rule sends the daemon's outgoing heartbeat datagrams to a UDP fault relay process
 * running in that same namespace, which forwards them to the peer after the fault schedule. The
 * daemons accept a datagram by its HMAC, not by its source port, so they see no difference.
 * NAT applies from a flow's first datagram: install this before the daemons start.
 */
import { resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { TwoNodeNetwork } from '../../support/netns.js';
import type { FaultSettings } from '../../support/udp-fault-relay.js';

const main = resolve(import.meta.dirname, 'netns-fault-relay-main.ts');
const RELAY_PORT_BASE = 17_790;

export interface NetnsFaultRelay {
  /** Changes the faults of every link, in both namespaces, from now on. */
  setFaults(faults: FaultSettings): void;
  stop(): void;
}

/** Starts one relay process per namespace (every link) and its NAT rules; resolves once both are bound. */
export async function startNetnsFaultRelay(
  net: TwoNodeNetwork,
  heartbeatPort: number,
  faults: FaultSettings,
  seed: number,
): Promise<NetnsFaultRelay> {
  const children: ChildProcess[] = [];
  for (const side of [0, 1] as const) {
    const self = net.hosts[side];
    const peer = net.hosts[1 - side]!;
    const links = self.addresses.map((address, i) => {
      const port = RELAY_PORT_BASE + i * 2;
      return {
        // The daemon's datagrams arrive at `listen` (NAT) and leave from `spare` (not the heartbeat port,
        // so the NAT rule does not catch them again).
        listen: { address, port },
        spare: { address, port: port + 1 },
        to: { address: peer.addresses[i]!, port: heartbeatPort },
      };
    });
    for (const l of links) {
      const r = await self.exec([
        'iptables',
        '-w',
        '-t',
        'nat',
        '-A',
        'OUTPUT',
        '-p',
        'udp',
        '-s',
        l.listen.address,
        '--sport',
        String(heartbeatPort),
        '-d',
        l.to.address,
        '--dport',
        String(heartbeatPort),
        '-j',
        'DNAT',
        '--to-destination',
        `${l.listen.address}:${l.listen.port}`,
      ]);
      if (r.status !== 'ok') throw new Error(`iptables nat in ${self.netns}: ${r.status}`);
    }
    const child = self.spawn(
      [process.execPath, '--import', 'tsx', main, JSON.stringify({ links, faults, seed: seed + side })],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    // A relay already gone must not crash the test through a write to its stdin.
    child.stdin?.on('error', () => {});
    await new Promise<void>((ok, fail) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) ok();
      });
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => fail(new Error(`fault relay in ${self.netns} exited ${code}: ${out}`)));
    });
  }
  return {
    setFaults(f) {
      for (const c of children) c.stdin?.write(`${JSON.stringify(f)}\n`);
    },
    stop() {
      for (const c of children) c.kill('SIGKILL');
    },
  };
}
