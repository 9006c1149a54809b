import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeEtcd } from '../../../src/arbiter/etcd-probe.js';
import type { EtcdArbiterConfig } from '../../../src/config/index.js';
import { EtcdCluster } from '../../support/etcd-cluster.js';

// check-config's etcd probe against real etcd members started by the test.

const config = (endpoints: string[], over: Partial<EtcdArbiterConfig> = {}): EtcdArbiterConfig => ({
  endpoints,
  prefix: '/t',
  tls: null,
  user: null,
  passwordFile: null,
  leaseTtlMs: 10_000,
  timeoutMs: 500,
  ...over,
});

describe('probeEtcd', () => {
  let etcd: EtcdCluster;
  let slow: EtcdCluster;
  const dir = mkdtempSync(join(tmpdir(), 'probe-'));
  const password = join(dir, 'pw');
  writeFileSync(password, 'secret\n', { mode: 0o600 });

  beforeAll(async () => {
    // Slow raft timings raise etcd's minimum lease TTL (1.5 x election timeout) to 5 s.
    [etcd, slow] = await Promise.all([
      EtcdCluster.start(),
      EtcdCluster.start({ extraArgs: ['--heartbeat-interval=300', '--election-timeout=3000'] }),
    ]);
    const ctl = (...a: string[]) => etcd.etcdctl(a);
    await ctl('user', 'add', 'root', '--new-user-password=rootpw');
    await ctl('user', 'add', 'other', '--new-user-password=secret');
    await ctl('role', 'add', 'elsewhere');
    await ctl('role', 'grant-permission', 'elsewhere', '--prefix=true', 'readwrite', '/elsewhere/');
    await ctl('user', 'grant-role', 'other', 'elsewhere');
    await ctl('auth', 'enable');
  });
  afterAll(async () => {
    await Promise.all([etcd.stop(), slow.stop()]);
  });

  it('a healthy etcd with the rights needed: no finding', async () => {
    writeFileSync(join(dir, 'rootpw'), 'rootpw');
    const c = config(etcd.endpoints, { user: 'root', passwordFile: join(dir, 'rootpw') });
    expect(await probeEtcd(c, 'pair')).toEqual([]);
  });

  it('an unreachable endpoint is named', async () => {
    const f = await probeEtcd(config(['http://127.0.0.1:1']), 'pair');
    expect(f[0]).toMatchObject({ key: 'endpoints', message: expect.stringContaining('http://127.0.0.1:1') });
  });

  it('a user without rights on the prefix: permission denied, at the prefix', async () => {
    const f = await probeEtcd(config(etcd.endpoints, { user: 'other', passwordFile: password }), 'pair');
    expect(f).toEqual([
      { key: 'prefix', message: expect.stringMatching(/under \/t\/pair\/: permission denied/) },
    ]);
  });

  it('a wrong password: authentication failed', async () => {
    const f = await probeEtcd(config(etcd.endpoints, { user: 'root', passwordFile: password }), 'pair');
    expect(f[0]?.message).toMatch(/authentication failed/);
  });

  it('TLS files that do not exist: named with their key', async () => {
    const f = await probeEtcd(
      config(['https://127.0.0.1:1'], { tls: { ca: '/nonexistent/ca.pem', cert: null, key: null } }),
      'pair',
    );
    expect(f).toEqual([
      {
        key: 'tls',
        message: expect.stringMatching(/^arbiter\.etcd\.tls\.ca: cannot read \/nonexistent\/ca\.pem/),
      },
    ]);
  });

  it('a lease TTL below what etcd grants', async () => {
    const f = await probeEtcd(config(slow.endpoints, { leaseTtlMs: 2_000 }), 'pair');
    expect(f).toEqual([
      { key: 'lease-ttl', message: expect.stringMatching(/etcd grants at least 5s, more than lease-ttl 2s/) },
    ]);
  });
});
