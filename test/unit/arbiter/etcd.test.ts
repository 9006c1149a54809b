import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EtcdArbiter, type ArbiterObserver } from '../../../src/arbiter/etcd.js';
import { systemClock } from '../../../src/common/clock.js';
import type { EtcdArbiterConfig } from '../../../src/config/index.js';
import { EtcdCluster } from '../../support/etcd-cluster.js';

// The etcd adapter against a real etcd (/usr/bin/etcd) started by the test on free 127.0.0.1 ports.

const logger = pino({ level: 'silent' });
const arbiters: EtcdArbiter[] = [];

function arbiter(
  node: string,
  endpoints: string[],
  over: Partial<EtcdArbiterConfig> = {},
  observer?: ArbiterObserver,
): EtcdArbiter {
  const a = new EtcdArbiter({
    config: {
      endpoints,
      prefix: '/t',
      tls: null,
      user: null,
      passwordFile: null,
      leaseTtlMs: 2_000,
      timeoutMs: 500,
      ...over,
    },
    cluster: 'pair',
    node,
    resources: ['r0', 'r1'],
    clock: systemClock,
    logger,
    ...(observer === undefined ? {} : { observer }),
  });
  arbiters.push(a);
  a.start();
  return a;
}

/** Counts the successful range reads of the owner keys: the watch makes them rare. */
function readCounter(): { observer: ArbiterObserver; reads: () => number; renewals: () => number } {
  let n = 0;
  let renewed = 0;
  return {
    observer: {
      roundTrip: (op, _ms, ok) => void (op === 'read' && ok && n++),
      leaseRenewal: (ok) => void (ok && renewed++),
    },
    reads: () => n,
    renewals: () => renewed,
  };
}

const waitFor = <T>(fn: () => T) => vi.waitFor(fn, { timeout: 20_000, interval: 50 });
const registered = (a: EtcdArbiter) =>
  waitFor(() => {
    expect(a.snapshot().reachable).toBe(true);
    expect(a.snapshot().ownLeaseValidUntilMs).not.toBeNull();
  });

afterEach(async () => {
  await Promise.all(arbiters.splice(0).map((a) => a.stop()));
});

describe('one etcd member', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await EtcdCluster.start();
  });
  afterAll(async () => etcd.stop());

  it('grants a lease; of two claims at once exactly one wins; the loser learns the owner', async () => {
    const a = arbiter('alpha', etcd.endpoints);
    const b = arbiter('bravo', etcd.endpoints);
    await Promise.all([registered(a), registered(b)]);
    expect(a.snapshot().leaseTtlMs).toBe(2_000);
    const [ra, rb] = await Promise.all([a.claim('r0', 0), b.claim('r0', 0)]);
    const kinds = [ra.kind, rb.kind].sort();
    expect(kinds).toEqual(['lost', 'won']);
    const winner = ra.kind === 'won' ? 'alpha' : 'bravo';
    const lost = ra.kind === 'lost' ? ra : rb;
    expect(lost).toMatchObject({ kind: 'lost', owner: winner });
    expect(await etcd.etcdctl(['get', '/t/pair/r0/owner', '--print-value-only'])).toBe(`${winner}\n`);
    await waitFor(() => expect(b.snapshot().owners[0]).toMatchObject({ resource: 'r0', owner: winner }));
  });

  it('releases only its own key', async () => {
    const a = arbiter('alpha', etcd.endpoints);
    const b = arbiter('bravo', etcd.endpoints);
    await Promise.all([registered(a), registered(b)]);
    const won = await a.claim('r1', 0);
    expect(won.kind).toBe('won');
    expect(await b.release('r1')).toMatchObject({ kind: 'lost', owner: 'alpha' });
    expect((await a.release('r1')).kind).toBe('won');
    expect(await etcd.etcdctl(['get', '/t/pair/r1/owner'])).toBe('');
  });

  it('a lease no longer kept alive expires and etcd deletes the owner key', async () => {
    const a = arbiter('alpha', etcd.endpoints);
    const b = arbiter('bravo', etcd.endpoints);
    await Promise.all([registered(a), registered(b)]);
    const current = b.snapshot().owners[0]?.revision ?? 0;
    expect((await a.claim('r0', current)).kind).toBe('won');
    await waitFor(() => expect(b.snapshot().owners[0]?.owner).toBe('alpha'));
    // A crash: the adapter stops renewing without revoking (kill the client under it).
    (a as unknown as { running: boolean }).running = false;
    (a as unknown as { leaseId: string | null }).leaseId = null;
    await waitFor(() => expect(b.snapshot().owners[0]).toMatchObject({ owner: null, revision: 0 }));
  });

  it('publishes its fleet status bound to its lease', async () => {
    const a = arbiter('alpha', etcd.endpoints);
    await registered(a);
    await a.publish({
      cluster: 'pair',
      node: 'alpha',
      writtenAtWallMs: 1,
      resources: [],
      lastDecision: 'IDLE',
    });
    const got = JSON.parse(
      await etcd.etcdctl(['get', '/t/pair/status/alpha', '--print-value-only']),
    ) as unknown;
    expect(got).toMatchObject({ node: 'alpha', lastDecision: 'IDLE' });
    await a.stop();
    // A planned stop revokes the lease: the status goes with it.
    expect(await etcd.etcdctl(['get', '/t/pair/status/alpha'])).toBe('');
  });

  it('etcd killed: unreachable and claims unknown, never a throw; restarted: registered again', async () => {
    const a = arbiter('alpha', etcd.endpoints);
    await registered(a);
    await etcd.kill(0);
    await waitFor(() => expect(a.snapshot().reachable).toBe(false));
    expect((await a.claim('r0', 0)).kind).toBe('unknown');
    await etcd.restart(0);
    await registered(a);
    expect((await a.claim('r0', a.snapshot().owners[0]?.revision ?? 0)).kind).toBe('won');
  });

  it('owner changes reach the other node through the watch, with no re-read', async () => {
    const count = readCounter();
    const a = arbiter('alpha', etcd.endpoints, {}, count.observer);
    const b = arbiter('bravo', etcd.endpoints);
    await Promise.all([registered(a), registered(b)]);
    const readsAtStart = count.reads();
    expect(readsAtStart).toBe(1);
    expect((await b.claim('r0', a.snapshot().owners[0]?.revision ?? 0)).kind).toBe('won');
    await waitFor(() => expect(a.snapshot().owners[0]).toMatchObject({ owner: 'bravo' }));
    // A write from outside the pair (an operator with etcdctl) is seen the same way, with its revision.
    await etcd.etcdctl(['put', '/t/pair/r1/owner', 'zulu']);
    await waitFor(() => expect(a.snapshot().owners[1]).toMatchObject({ owner: 'zulu' }));
    const rev = a.snapshot().owners[1]?.revision ?? 0;
    expect(rev).toBeGreaterThan(0);
    // The revision seen through the watch is the one a claim must compare on.
    expect((await a.claim('r1', rev)).kind).toBe('won');
    expect((await b.release('r0')).kind).toBe('won');
    await waitFor(() => expect(a.snapshot().owners[0]).toEqual({ resource: 'r0', owner: null, revision: 0 }));
    // Renewals go on (TTL 2 s, renewed every 666 ms): none of them re-reads the keys.
    const renewals = count.renewals();
    await waitFor(() => expect(count.renewals()).toBeGreaterThanOrEqual(renewals + 3));
    expect(count.reads()).toBe(readsAtStart);
  });

  it('etcd restarted: the broken watch is re-established after one re-read and follows changes', async () => {
    const count = readCounter();
    const a = arbiter('alpha', etcd.endpoints, {}, count.observer);
    await registered(a);
    await etcd.kill(0);
    await waitFor(() => expect(a.snapshot().reachable).toBe(false));
    // Changed while the watch was down: only the re-read can see it.
    await etcd.restart(0);
    await etcd.etcdctl(['put', '/t/pair/r1/owner', 'yankee']);
    await registered(a);
    await waitFor(() => expect(a.snapshot().owners[1]).toMatchObject({ owner: 'yankee' }));
    const reads = count.reads();
    expect(reads).toBeGreaterThanOrEqual(2);
    await etcd.etcdctl(['del', '/t/pair/r1/owner']);
    await waitFor(() => expect(a.snapshot().owners[1]).toMatchObject({ owner: null, revision: 0 }));
    expect(count.reads()).toBe(reads);
  });

  it('etcd data lost: re-registered, the keys re-read, the watch follows the restarted revisions', async () => {
    const a = arbiter('alpha', etcd.endpoints);
    await registered(a);
    // Push etcd's revision well above where it restarts after the loss, so a watch resumed at the old
    // revision would wait in the future and miss every change.
    for (let i = 0; i < 20; i++) {
      expect((await a.claim('r0', a.snapshot().owners[0]?.revision ?? 0)).kind).toBe('won');
      expect((await a.release('r0')).kind).toBe('won');
    }
    expect((await a.claim('r0', 0)).kind).toBe('won');
    const before = (a as unknown as { leaseId: string }).leaseId;
    await etcd.kill(0);
    etcd.wipe(0);
    await etcd.restart(0);
    await waitFor(() => {
      expect((a as unknown as { leaseId: string | null }).leaseId).not.toBe(before);
      expect(a.snapshot().reachable).toBe(true);
    });
    // The owner key went with the data: the snapshot says so (the engine re-claims, docs/arbiter.md).
    expect(a.snapshot().owners[0]).toEqual({ resource: 'r0', owner: null, revision: 0 });
    const b = arbiter('bravo', etcd.endpoints);
    await registered(b);
    expect((await b.claim('r1', 0)).kind).toBe('won');
    await waitFor(() => expect(a.snapshot().owners[1]).toMatchObject({ owner: 'bravo' }));
  });

  it('etcd data lost: the old lease is unknown, a new one is granted', async () => {
    const a = arbiter('alpha', etcd.endpoints);
    await registered(a);
    const before = (a as unknown as { leaseId: string }).leaseId;
    await etcd.kill(0);
    etcd.wipe(0);
    await etcd.restart(0);
    await waitFor(() => {
      expect((a as unknown as { leaseId: string | null }).leaseId).not.toBeNull();
      expect((a as unknown as { leaseId: string }).leaseId).not.toBe(before);
      expect(a.snapshot().reachable).toBe(true);
    });
    expect((await a.claim('r0', 0)).kind).toBe('won');
  });
});

describe('three etcd members', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await EtcdCluster.start({ size: 3 });
  });
  afterAll(async () => etcd.stop());

  it('one member down: leases, claims and reads still work', async () => {
    const a = arbiter('alpha', etcd.endpoints);
    const b = arbiter('bravo', etcd.endpoints);
    await Promise.all([registered(a), registered(b)]);
    await etcd.kill(1);
    // Killing the leader costs an election (etcd's 1 s election timeout): claims meanwhile are
    // rightly `unknown`; once the two left agree, the arbiter works as before.
    await etcd.waitHealthy([0, 2]);
    const [ra, rb] = await Promise.all([a.claim('r0', 0), b.claim('r0', 0)]);
    expect([ra.kind, rb.kind].sort()).toEqual(['lost', 'won']);
    await waitFor(() => expect(a.snapshot().owners[0]?.owner).not.toBeNull());
    await registered(a);
  });
});

describe('bad input: clear reasons, never a throw', () => {
  it('an unreachable endpoint leaves the snapshot unreachable and claims unknown', async () => {
    const a = arbiter('alpha', ['http://127.0.0.1:1']);
    const r = await a.claim('r0', 0);
    expect(r.kind).toBe('unknown');
    expect(a.snapshot()).toMatchObject({ reachable: false, ownLeaseValidUntilMs: null });
  });

  it('TLS files that do not exist are named in the error', async () => {
    const a = arbiter('alpha', ['https://127.0.0.1:1'], {
      tls: { ca: '/nonexistent/ca.pem', cert: null, key: null },
    });
    const r = await a.claim('r0', 0);
    expect(r).toEqual({ kind: 'unknown', error: 'etcd client unavailable' });
    expect(a.snapshot().reachable).toBe(false);
  });
});
