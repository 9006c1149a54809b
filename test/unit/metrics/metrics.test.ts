import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCounters, REJECT_REASONS } from '../../../src/membership/index.js';
import { SentinelMetrics, startMetricsServer, type MetricsServer } from '../../../src/metrics/index.js';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('SentinelMetrics', () => {
  it('reads the membership counters at every scrape: every link and reason, zeros included', async () => {
    const m = new SentinelMetrics();
    const counters = createCounters(2);
    m.observeMembership(counters);
    const sample = async (line: string): Promise<boolean> =>
      (await m.registry.metrics()).split('\n').includes(line);
    expect(
      await sample('drbd_sentinel_heartbeat_packets_rejected_total{link="link1",reason="seq-implausible"} 0'),
    ).toBe(true);
    for (const reason of REJECT_REASONS)
      expect(
        await sample(`drbd_sentinel_heartbeat_packets_rejected_total{link="link0",reason="${reason}"} 0`),
      ).toBe(true);
    counters.links[1]!.rejected['invalid-field'] = 7;
    counters.links[1]!.heartbeatsSent = 3;
    expect(
      await sample('drbd_sentinel_heartbeat_packets_rejected_total{link="link1",reason="invalid-field"} 7'),
    ).toBe(true);
    expect(await sample('drbd_sentinel_heartbeat_packets_sent_total{link="link1"} 3')).toBe(true);
    expect(await sample('drbd_sentinel_heartbeat_packets_received_total{link="link0"} 0')).toBe(true);
  });

  it('exposes the daemon metrics with bounded labels', async () => {
    const m = new SentinelMetrics({ node: 'alpha', version: '0.1.0' });
    const counters = createCounters(2);
    m.observeMembership(counters, (i) => ['lan', 'crossover'][i] ?? '?');
    counters.links[0]!.heartbeatsSent = 2;
    counters.links[0]!.heartbeatsReceived = 1;
    counters.links[0]!.rejected['bad-mac'] = 1;
    m.setLink('lan', true, 0.5);
    m.setLink('crossover', false, null);
    m.setPeerReachable(true);
    m.decision('ALL_GOOD');
    m.action('promote', 'ok', 120);
    m.action('umount', 'failed', 2_000);
    m.notifyDelivery({ hook: 'pager', kind: 'webhook', status: 'ok', attempts: 1, durationMs: 5 });
    m.notifyDelivery({
      hook: 'mail',
      kind: 'command',
      status: 'failed',
      reason: 'hook-timeout',
      detail: '',
      attempts: 1,
      durationMs: 5,
    });
    m.setResource('r0', { role: 'Primary', disk: 'UpToDate', cstate: 'SyncSource', syncPercent: 42.5 });
    m.setModes({ standby: false, maintenance: true });
    m.setOpenAlerts(2);
    m.loopCycle(3);
    const text = await m.registry.metrics();
    const lines = text.split('\n');
    for (const expected of [
      'drbd_sentinel_info{node="alpha",version="0.1.0"} 1',
      'drbd_sentinel_heartbeat_packets_sent_total{link="lan"} 2',
      'drbd_sentinel_heartbeat_packets_received_total{link="lan"} 1',
      'drbd_sentinel_heartbeat_packets_rejected_total{link="lan",reason="bad-mac"} 1',
      'drbd_sentinel_link_up{link="lan"} 1',
      'drbd_sentinel_link_up{link="crossover"} 0',
      'drbd_sentinel_link_rtt_seconds{link="lan"} 0.0005',
      'drbd_sentinel_peer_reachable 1',
      'drbd_sentinel_decisions_total{reason="ALL_GOOD"} 1',
      'drbd_sentinel_actions_total{kind="promote",status="ok"} 1',
      'drbd_sentinel_actions_total{kind="umount",status="failed"} 1',
      'drbd_sentinel_action_duration_seconds_bucket{le="0.25",kind="promote",status="ok"} 1',
      'drbd_sentinel_action_duration_seconds_bucket{le="1",kind="umount",status="failed"} 0',
      'drbd_sentinel_notify_deliveries_total{kind="webhook",status="ok",reason="none"} 1',
      'drbd_sentinel_notify_deliveries_total{kind="command",status="failed",reason="hook-timeout"} 1',
      'drbd_sentinel_resource_role{resource="r0",role="Primary"} 1',
      'drbd_sentinel_resource_role{resource="r0",role="Secondary"} 0',
      'drbd_sentinel_resource_disk_state{resource="r0",disk="UpToDate"} 1',
      'drbd_sentinel_resource_disk_state{resource="r0",disk="Outdated"} 0',
      'drbd_sentinel_resource_connection_state{resource="r0",cstate="SyncSource"} 1',
      'drbd_sentinel_resource_replicating{resource="r0"} 1',
      'drbd_sentinel_resource_sync_percent{resource="r0"} 42.5',
      'drbd_sentinel_mode{mode="maintenance"} 1',
      'drbd_sentinel_mode{mode="standby"} 0',
      'drbd_sentinel_open_alerts 2',
      'drbd_sentinel_loop_cycle_seconds_count 1',
    ])
      expect(lines).toContain(expected);
    expect(text).not.toContain('link_rtt_seconds{link="crossover"}');

    m.setResource('r0', { role: 'Secondary', disk: 'Outdated', cstate: 'WFConnection', syncPercent: null });
    const after = await m.registry.metrics();
    expect(after).toContain('drbd_sentinel_resource_role{resource="r0",role="Primary"} 0');
    expect(after).toContain('drbd_sentinel_resource_replicating{resource="r0"} 0');
    expect(after).not.toContain('drbd_sentinel_resource_sync_percent{resource="r0"}');
    m.removeResource('r0');
    expect(await m.registry.metrics()).not.toContain('resource="r0"');
  });

  it('keeps two instances apart (no global registry)', async () => {
    const a = new SentinelMetrics({ node: 'a' });
    const b = new SentinelMetrics({ node: 'b', processMetrics: true });
    a.decision('X');
    expect(await b.registry.metrics()).not.toContain('reason="X"');
    expect(await b.registry.metrics()).toContain('drbd_sentinel_process_cpu_seconds_total');
  });
});

describe('metrics endpoint', () => {
  it('serves /metrics on 127.0.0.1 and nothing else', async () => {
    const m = new SentinelMetrics({ node: 'alpha' });
    m.decision('ALL_GOOD');
    const r = await startMetricsServer({ listen: { host: '127.0.0.1', port: 0 }, registry: m.registry });
    if (!r.ok) throw new Error(r.error.message);
    server = r.value;
    expect(server.host).toBe('127.0.0.1');
    const base = `http://127.0.0.1:${server.port}`;
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('drbd_sentinel_decisions_total{reason="ALL_GOOD"} 1');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('reports a port in use as a value', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await startMetricsServer({
        listen: { host: '127.0.0.1', port },
        registry: new SentinelMetrics().registry,
      });
      expect(r.ok ? 'listening' : r.error.message).toMatch(
        /cannot serve metrics on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
