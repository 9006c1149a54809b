import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEtcdClient } from '../../../src/arbiter/etcd-client.js';
import { EtcdArbiter } from '../../../src/arbiter/etcd.js';
import { FleetPublisher, type FleetView } from '../../../src/arbiter/fleet-publisher.js';
import { readFleet, renderFleet } from '../../../src/arbiter/fleet.js';
import { systemClock, systemWallClock } from '../../../src/common/clock.js';
import type { EtcdArbiterConfig } from '../../../src/config/index.js';
import { EtcdCluster } from '../../support/etcd-cluster.js';

describe('fleet status', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await EtcdCluster.start();
  });
  afterAll(async () => etcd.stop());

  it('lists every pair under the prefix with its owners, and marks old entries stale', async () => {
    const config = {
      endpoints: etcd.endpoints,
      prefix: '/f',
      tls: null,
      user: null,
      passwordFile: null,
      leaseTtlMs: 3_000,
      timeoutMs: 1_000,
    };
    const make = (cluster: string, node: string) =>
      new EtcdArbiter({
        config,
        cluster,
        node,
        resources: ['r0'],
        clock: systemClock,
        logger: pino({ level: 'silent' }),
      });
    const a = make('pair1', 'alpha');
    const b = make('pair2', 'delta');
    a.start();
    b.start();
    await vi.waitFor(() => expect(a.snapshot().ownLeaseValidUntilMs).not.toBeNull(), { timeout: 10_000 });
    await vi.waitFor(() => expect(b.snapshot().ownLeaseValidUntilMs).not.toBeNull(), { timeout: 10_000 });
    expect((await a.claim('r0', 0)).kind).toBe('won');
    const res = [{ name: 'r0', role: 'Primary', disk: 'UpToDate', connection: 'Connected' }];
    await a.publish({
      cluster: 'pair1',
      node: 'alpha',
      writtenAtWallMs: 1_000_000,
      resources: res,
      lastDecision: 'IDLE',
    });
    await b.publish({
      cluster: 'pair2',
      node: 'delta',
      writtenAtWallMs: 900_000,
      resources: [],
      lastDecision: null,
    });
    const client = await createEtcdClient(config);
    if (!client.ok) throw new Error(client.error);
    const rows = await readFleet(client.value, '/f', 1_010_000, 30_000);
    client.value.close();
    expect(rows.map((r) => [r.cluster, r.node, r.stale, r.owns])).toEqual([
      ['pair1', 'alpha', false, ['r0']],
      ['pair2', 'delta', true, []],
    ]);
    const table = renderFleet(rows);
    expect(table).toMatch(/pair1\s+alpha\s+10s\s+-\s+r0\s+r0:Primary\/UpToDate\/Connected\s+IDLE/);
    expect(table).toMatch(/pair2\s+delta\s+110s STALE/);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('daemons publish through their publishers: both members of a pair, a stopped one missing', async () => {
    const config = cfg(etcd.endpoints);
    const [alpha, bravo] = [
      member(config, 'pair3', 'alpha', 'bravo'),
      member(config, 'pair3', 'bravo', 'alpha'),
    ];
    await Promise.all([registeredArbiter(alpha.arbiter), registeredArbiter(bravo.arbiter)]);
    alpha.publisher.offer(view('Primary', 'IDLE'));
    bravo.publisher.offer(view('Secondary', 'IDLE'));
    const rows = await vi.waitFor(
      async () => {
        const r = (await fleet(config)).filter((x) => x.cluster === 'pair3');
        expect(r.map((x) => [x.node, x.stale, x.missing, x.entry?.resources[0]?.role])).toEqual([
          ['alpha', false, false, 'Primary'],
          ['bravo', false, false, 'Secondary'],
        ]);
        return r;
      },
      { timeout: 10_000 },
    );
    expect(renderFleet(rows)).toMatch(
      /pair3\s+alpha\s+\d+s\s+up\s+-\s+r0:Primary\/UpToDate\/Connected\s+IDLE/,
    );
    // A planned stop revokes bravo's lease: its entry goes, alpha's names it, so it shows as missing.
    bravo.publisher.stop();
    await bravo.arbiter.stop();
    const after = (await fleet(config)).filter((x) => x.cluster === 'pair3');
    expect(after.map((x) => [x.node, x.stale, x.missing])).toEqual([
      ['alpha', false, false],
      ['bravo', true, true],
    ]);
    expect(renderFleet(after)).toMatch(/pair3\s+bravo\s+MISSING/);
    alpha.publisher.stop();
    await alpha.arbiter.stop();
  });
});

describe('fleet status after etcd lost its data', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await EtcdCluster.start();
  });
  afterAll(async () => etcd.stop());

  it('the daemon re-registers and publishes its status again, unchanged', async () => {
    const config = cfg(etcd.endpoints);
    const alpha = member(config, 'pair4', 'alpha', 'bravo');
    await registeredArbiter(alpha.arbiter);
    alpha.publisher.offer(view('Primary', 'IDLE'));
    await vi.waitFor(async () => expect(await fleet(config)).toHaveLength(2), { timeout: 10_000 });
    await etcd.kill(0);
    etcd.wipe(0);
    await etcd.restart(0);
    // No new offer needed (a quiet daemon offers the same view): the new lease brings the rewrite.
    await vi.waitFor(
      async () => {
        const rows = await fleet(config);
        expect(rows.find((r) => r.node === 'alpha')?.entry?.resources[0]?.role).toBe('Primary');
      },
      { timeout: 20_000, interval: 100 },
    );
    alpha.publisher.stop();
    await alpha.arbiter.stop();
  });
});

function cfg(endpoints: string[]): EtcdArbiterConfig {
  return {
    endpoints,
    prefix: '/f',
    tls: null,
    user: null,
    passwordFile: null,
    leaseTtlMs: 3_000,
    timeoutMs: 1_000,
  };
}

function member(config: EtcdArbiterConfig, cluster: string, node: string, peer: string) {
  const arbiter = new EtcdArbiter({
    config,
    cluster,
    node,
    resources: ['r0'],
    clock: systemClock,
    logger: pino({ level: 'silent' }),
  });
  const publisher = new FleetPublisher({
    arbiter,
    clock: systemClock,
    wall: systemWallClock,
    cluster,
    node,
    peer,
  });
  arbiter.start();
  publisher.start();
  return { arbiter, publisher };
}

const registeredArbiter = (a: EtcdArbiter) =>
  vi.waitFor(() => expect(a.snapshot().reachable).toBe(true), { timeout: 10_000 });

const view = (role: string, reason: string): FleetView => ({
  peerReachable: true,
  resources: [{ name: 'r0', role, disk: 'UpToDate', connection: 'Connected' }],
  lastDecision: reason,
});

async function fleet(config: EtcdArbiterConfig) {
  const client = await createEtcdClient(config);
  if (!client.ok) throw new Error(client.error);
  try {
    return await readFleet(client.value, '/f', Date.now(), 30_000);
  } finally {
    client.value.close();
  }
}
