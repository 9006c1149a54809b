import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEtcdClient } from '../../../src/arbiter/etcd-client.js';
import { EtcdArbiter } from '../../../src/arbiter/etcd.js';
import { readFleet, renderFleet } from '../../../src/arbiter/fleet.js';
import { systemClock } from '../../../src/common/clock.js';
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
    expect(table).toMatch(/pair1\s+alpha\s+10s\s+r0\s+r0:Primary\/UpToDate\/Connected\s+IDLE/);
    expect(table).toMatch(/pair2\s+delta\s+110s STALE/);
    await Promise.all([a.stop(), b.stop()]);
  });
});
