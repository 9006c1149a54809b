import { afterEach, describe, expect, it } from 'vitest';
import { createTwoNodeNetwork, type TwoNodeNetwork } from '../support/netns.js';

// A UDP echo round trip from host a to host b on one link, run with the host's node binary.
const udpProbe = (target: string, port: number) => [
  process.execPath,
  '-e',
  `const s=require('dgram').createSocket('udp4');s.on('message',()=>{console.log('echo');process.exit(0)});` +
    `s.send('ping',${port},'${target}');setTimeout(()=>{console.log('silence');process.exit(0)},700)`,
];
const udpEcho = (port: number) => [
  process.execPath,
  '-e',
  `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(${port})`,
];

describe('two-node network namespaces', () => {
  let net: TwoNodeNetwork | undefined;
  afterEach(() => net?.destroy());

  it('connects both hosts on every link and applies link cuts and port blocks', async () => {
    net = createTwoNodeNetwork({ links: 2 });
    const [a, b] = net.hosts;
    expect(a.addresses).toHaveLength(2);
    b.spawn(udpEcho(7790));
    await new Promise((r) => setTimeout(r, 300));

    const probe = async (link: number) => {
      const r = await a.exec(udpProbe(b.addresses[link] as string, 7790));
      expect(r.status).toBe('ok');
      return r.status === 'ok' ? r.stdout.trim() : 'error';
    };
    expect(await probe(0)).toBe('echo');
    expect(await probe(1)).toBe('echo');

    net.cutLink(0);
    expect(await probe(0)).toBe('silence');
    expect(await probe(1)).toBe('echo');
    net.restoreLink(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(await probe(0)).toBe('echo');

    net.block({ udpPort: 7790 });
    expect(await probe(1)).toBe('silence');
    net.unblockAll();
    expect(await probe(1)).toBe('echo');
  });

  it('kills every process of a host on killAll', async () => {
    net = createTwoNodeNetwork({ links: 1 });
    const [a] = net.hosts;
    const child = a.spawn(['sleep', '60']);
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    a.killAll();
    expect(await exited).toBe('SIGKILL');
  });
});
