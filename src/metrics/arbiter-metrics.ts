import { Counter, Histogram, type Registry } from 'prom-client';
import type { ArbiterObserver } from '../arbiter/etcd.js';

const RTT_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The arbiter's metrics on the daemon's registry: etcd round trips per operation (grant, keep-alive,
 * read, watch, claim, release, publish, revoke), lease renewals by result, failures by reason code.
 */
export function arbiterMetrics(registry: Registry): ArbiterObserver {
  const rtt = new Histogram({
    name: 'drbd_sentinel_arbiter_round_trip_seconds',
    help: 'etcd request round trip, by operation and result',
    labelNames: ['op', 'result'] as const,
    buckets: RTT_BUCKETS_S,
    registers: [registry],
  });
  const renewals = new Counter({
    name: 'drbd_sentinel_arbiter_lease_renewals_total',
    help: 'lease grants and keep-alives, by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'drbd_sentinel_arbiter_failures_total',
    help: 'failed arbiter requests, by reason code',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return {
    roundTrip: (op, ms, ok) => rtt.observe({ op, result: ok ? 'ok' : 'failed' }, ms / 1000),
    leaseRenewal: (ok) => renewals.inc({ result: ok ? 'ok' : 'failed' }),
    failure: (code) => failures.inc({ reason: code }),
  };
}
