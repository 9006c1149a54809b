/**
 * The arbiter part of the namespace harness (issue 15): a third namespace with a real etcd (one member,
 * three members), one link from each node to it, and cuts that separate one node from etcd alone.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { EtcdCluster } from '../support/etcd-cluster.js';
import { createTwoNodeNetwork, type NetnsHost, type TwoNodeNetwork } from '../support/netns.js';
import { startNetnsEtcd } from './support/netns-etcd.js';

/** `etcdctl endpoint health` of `endpoints` run inside `host`'s namespace: true when all answer. */
async function healthy(host: NetnsHost, endpoints: readonly string[]): Promise<boolean> {
  const r = await host.exec(
    ['/usr/bin/etcdctl', `--endpoints=${endpoints.join(',')}`, '--command-timeout=1s', 'endpoint', 'health'],
    { timeoutMs: 10_000 },
  );
  return r.status === 'ok';
}

/** A UDP datagram from `host` to `target`: 'sent', or the error the kernel gave (no route). */
async function udpSend(host: NetnsHost, target: string): Promise<string> {
  const r = await host.exec([
    process.execPath,
    '-e',
    `const s=require('dgram').createSocket('udp4');s.send('x',9,'${target}',(e)=>{console.log(e?e.code:'sent');process.exit(0)})`,
  ]);
  return r.status === 'ok' ? r.stdout.trim() : r.status;
}

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

describe('netns: the arbiter namespace with a real etcd', () => {
  let net: TwoNodeNetwork | undefined;
  let etcd: EtcdCluster | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await etcd?.stop();
    net?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    [net, etcd, dir] = [undefined, undefined, undefined];
  });

  it('one member: both nodes reach it over their own link; a cut separates one node from etcd alone', async () => {
    net = createTwoNodeNetwork({ links: 2, arbiter: true });
    const arbiter = net.arbiter!;
    const [a, b] = net.hosts;
    dir = mkdtempSync(join(tmpdir(), 'drbd-sentinel-netns-arbiter-harness-'));
    etcd = await startNetnsEtcd(arbiter, 1, dir);
    expect(etcd.endpoints).toEqual([`http://${arbiter.address}:2379`]);
    expect(existsSync(join(dir, 'etcd-m0.log'))).toBe(true);
    expect(await healthy(a, etcd.endpoints)).toBe(true);
    expect(await healthy(b, etcd.endpoints)).toBe(true);

    // The arbiter links do not join the nodes: no route from one node to the other's arbiter address.
    expect(await udpSend(a, arbiter.nodeAddresses[1])).toMatch(/^E(NETUNREACH|HOSTUNREACH)$/);
    expect(await udpSend(b, arbiter.nodeAddresses[0])).toMatch(/^E(NETUNREACH|HOSTUNREACH)$/);

    // Cut alpha from etcd: alpha's requests go unanswered, bravo's are answered, the peer links stay.
    arbiter.cut(0);
    expect(await healthy(a, etcd.endpoints)).toBe(false);
    expect(await healthy(b, etcd.endpoints)).toBe(true);
    expect(await udpSend(a, b.addresses[0]!)).toBe('sent');
    arbiter.restore(0);
    expect(await healthy(a, etcd.endpoints)).toBe(true);

    // Cut both nodes from their peer: etcd still answers both.
    net.cutLink(0);
    net.cutLink(1);
    expect(await healthy(a, etcd.endpoints)).toBe(true);
    expect(await healthy(b, etcd.endpoints)).toBe(true);

    // etcd killed: nobody reaches it; restarted on its data: both do again.
    await etcd.kill(0);
    expect(await healthy(a, etcd.endpoints)).toBe(false);
    await etcd.restart(0);
    expect(await healthy(b, etcd.endpoints)).toBe(true);
  });

  it('three members: one down (the leader) leaves a quorum that both nodes reach; destroy removes every namespace', async () => {
    net = createTwoNodeNetwork({ links: 2, arbiter: true });
    const arbiter = net.arbiter!;
    const [a, b] = net.hosts;
    etcd = await startNetnsEtcd(arbiter, 3);
    expect(etcd.endpoints).toHaveLength(3);
    const leader = await etcd.leader();
    await etcd.kill(leader);
    const others = etcd.endpoints.filter((_, i) => i !== leader);
    // A write through the survivors needs a new leader: the quorum works, seen from both nodes.
    for (const host of [a, b]) {
      const deadline = Date.now() + 15_000;
      const putThroughSurvivors = () =>
        host.exec(
          [
            '/usr/bin/etcdctl',
            `--endpoints=${others.join(',')}`,
            '--command-timeout=2s',
            'put',
            'k',
            host.name,
          ],
          { timeoutMs: 10_000 },
        );
      let put = await putThroughSurvivors();
      while (put.status !== 'ok' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        put = await putThroughSurvivors();
      }
      expect(put.status, `${host.name}: put through the two survivors`).toBe('ok');
    }
    expect(await etcd.leader()).not.toBe(leader);

    const names = [a.netns, b.netns, arbiter.host.netns];
    expect(names.every((n) => namespaces().includes(n))).toBe(true);
    const sleeper = arbiter.host.spawn(['sleep', '60']);
    const exited = new Promise<NodeJS.Signals | null>((r) => sleeper.on('exit', (_c, sig) => r(sig)));
    net.destroy();
    net = undefined;
    const left = namespaces();
    expect(names.filter((n) => left.split('\n').some((l) => l.split(' ')[0] === n))).toEqual([]);
    // What ran inside went with it (killAll of the namespace), not only the namespace.
    expect(await exited).toBe('SIGKILL');
  });
});
