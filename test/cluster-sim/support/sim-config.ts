/**
 * The configuration every simulated cluster runs with (times in ms of virtual time), and the liveness
 * bound derived from it. Shorter than production defaults so one schedule costs little virtual time; the
 * ratios the design depends on are kept (deadtime > 2 x interval, fence delay > 0 so the Primary wins a
 * fence race, handler timeout < executor fence budget).
 */
import { DEFAULT_POLICY, type EnginePolicy } from '../../../src/engine/index.js';
import type { ResourceExecConfig } from '../../../src/executor/index.js';
import { outdateCapMs } from '../../../src/daemon/peer-requester.js';

export const RESOURCE = 'r0';
export const DEVICE = '/dev/drbd1';
export const MOUNT_POINT = '/mnt/r0';
export const SERVICE = 'app.service';
export const NODES = ['alpha', 'bravo'] as const;
export type NodeName = (typeof NODES)[number];

export const other = (n: NodeName): NodeName => (n === 'alpha' ? 'bravo' : 'alpha');

/** Heartbeat (config `heartbeat:`): interval, warntime, deadtime. */
export const HEARTBEAT = { intervalMs: 1_000, warntimeMs: 2_000, deadtimeMs: 4_000 } as const;
/** One-way delay of a heartbeat link. */
export const HB_DELAY_MS = 2;
/** How often a requester re-sends an unanswered peer request (membership retransmits on every link). */
export const REQUEST_RESEND_MS = 500;

/** The membership endpoint's detector tick. */
export const DETECTOR_TICK_MS = 250;

/** The engine policy (what src/daemon/engine-policy.ts makes of the config below). */
export const POLICY: EnginePolicy = {
  ...DEFAULT_POLICY,
  fencing: 'stonith',
  acceptRisk: false,
  fenceDelayMs: 3_000,
  deadtimeMs: HEARTBEAT.deadtimeMs,
  initdeadMs: 15_000,
  degradedInitdeadMs: 10_000,
  preferredNode: null,
  fsck: false,
  retry: { maxAttempts: 3, initialMs: 1_000, maxMs: 8_000 },
  fenceRetry: { initialMs: 2_000, maxMs: 16_000 },
  onDemoteFailure: false,
  yieldMs: 10_000,
};

/** The policy of a seed: `stonith` (POLICY) or `resource-only` (never a takeover from an unreachable peer). */
export function policyFor(fencing: 'stonith' | 'resource-only'): EnginePolicy {
  return { ...POLICY, fencing };
}

/** STONITH: how long the fence device takes, the handler's own timeout, the executor's budget for the chain. */
export const FENCE_OP_MS = 1_000;
export const FENCE_HANDLER_TIMEOUT_MS = 6_000;
export const FENCE_BUDGET_MS = 8_000;
/** A STONITHed node (power cycle) is off this long, then boots. */
export const STONITH_OFF_MS = 8_000;
/** After power-on: the init system runs `drbdadm up`, then the daemon starts this much later. */
export const DAEMON_BOOT_MS = 2_000;

/** DRBD (the sim's defaults are the lab's tuned net timings) with a 64 MiB device so a full resync is short. */
export const DRBD_SIZE_KIB = 65_536;
export const DRBD_RESYNC_KIBPS = 20_480;
export const DRBD_CONNECT_INT_MS = 2_000;

export const RESOURCE_EXEC = (onBusyUmount: 'refuse' | 'kill'): ResourceExecConfig => ({
  name: RESOURCE,
  device: DEVICE,
  mount: { point: MOUNT_POINT, fstype: 'ext4', options: [], fsck: false },
  services: [SERVICE],
  addresses: [{ address: '192.168.110.20', prefix: 24, device: 'eth0' }],
  timeouts: {
    promoteMs: 10_000,
    demoteMs: 10_000,
    mountMs: 5_000,
    umountMs: 5_000,
    servicesMs: 5_000,
    fsckMs: 60_000,
    commandMs: 5_000,
    // As src/daemon/adapters.ts: an outdate request reports "peer slow" itself before this cuts it off.
    peerRequestMs: outdateCapMs(HEARTBEAT.deadtimeMs) + 5_000,
    demoteFailureHandlerMs: 10_000,
  },
  onBusyUmount,
  killGraceMs: 2_000,
  onDemoteFailure: null,
});

/** The application on the node that has the file system mounted writes one 4 KiB block this often. */
export const WRITE_INTERVAL_MS = 200;
/** Safety checks run at every fault event and at least this often. */
export const CHECK_INTERVAL_MS = 500;

/**
 * The liveness bound: once every fault has healed (both nodes powered, every link restored, fence
 * handlers working, holders gone, failed disks replaced), the service (exactly one node Primary with
 * the file system mounted) is back within this many ms. Derived term by term from the configuration:
 * - a STONITH issued just before the heal keeps a node off, then it boots: STONITH_OFF_MS + DAEMON_BOOT_MS;
 * - the two daemons hear each other and the detector's verdicts settle: 2 x deadtime;
 * - DRBD reconnects and resyncs (a replaced disk needs a full sync): connect-int + ping-int + size / rate;
 * - a release just before the heal keeps the releasing node out of the election for yieldMs;
 * - a failed step is retried with backoff: the sum of the backoffs up to maxAttempts;
 * - an action in flight at the heal runs to its longest timeout (promote/demote);
 * - an outdate answer waits up to 2 x deadtime for DRBD to notice a cut;
 * - the loop tick and takeover steps themselves: a margin of 5 s.
 */
export function livenessBoundMs(): number {
  const retries = Array.from({ length: POLICY.retry.maxAttempts }, (_, i) =>
    Math.min(POLICY.retry.initialMs * 2 ** i, POLICY.retry.maxMs),
  ).reduce((a, b) => a + b, 0);
  const fullResyncMs = Math.ceil((DRBD_SIZE_KIB / DRBD_RESYNC_KIBPS) * 1000);
  return (
    STONITH_OFF_MS +
    DAEMON_BOOT_MS +
    2 * HEARTBEAT.deadtimeMs +
    DRBD_CONNECT_INT_MS +
    2_000 +
    fullResyncMs +
    POLICY.yieldMs +
    retries +
    10_000 +
    2 * HEARTBEAT.deadtimeMs +
    5_000
  );
}
