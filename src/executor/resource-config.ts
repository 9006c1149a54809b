/**
 * What the executor needs to know about one resource: device, mount, services, floating addresses,
 * per-action timeouts and the busy-umount policy. The daemon builds it from the validated config.
 */
import type { Result } from '../common/result.js';
import { err, ok } from '../common/result.js';
import type { FloatingAddress } from './ports.js';

export type OnBusyUmount = 'refuse' | 'kill';

/** Per-action timeouts in milliseconds (config `resources[].timeouts`). */
export interface ResourceTimeouts {
  readonly promoteMs: number;
  readonly demoteMs: number;
  readonly mountMs: number;
  readonly umountMs: number;
  /** For each service start/stop and for the whole service step. */
  readonly servicesMs: number;
  readonly fsckMs: number;
  /** For adding/removing addresses, outdate, connect and status queries. */
  readonly commandMs: number;
  /** For a peer request (outdate-peer, request-peer-release). */
  readonly peerRequestMs: number;
  readonly demoteFailureHandlerMs: number;
}

export const DEFAULT_TIMEOUTS: ResourceTimeouts = {
  promoteMs: 30_000,
  demoteMs: 30_000,
  mountMs: 60_000,
  umountMs: 30_000,
  servicesMs: 90_000,
  fsckMs: 600_000,
  commandMs: 10_000,
  peerRequestMs: 10_000,
  demoteFailureHandlerMs: 60_000,
};

export interface ResourceExecConfig {
  readonly name: string;
  /** The DRBD device, e.g. /dev/drbd1. */
  readonly device: string;
  /** Null when the resource is not mounted by the daemon (raw block device users). */
  readonly mount: {
    readonly point: string;
    readonly fstype: string;
    readonly options: readonly string[];
    /** Run `fsck -p` before mounting (only when the plan contains an `fsck` action). */
    readonly fsck: boolean;
  } | null;
  /** systemd units, started in this order after mount, stopped in reverse order before umount. */
  readonly services: readonly string[];
  readonly addresses: readonly FloatingAddress[];
  readonly timeouts: ResourceTimeouts;
  readonly onBusyUmount: OnBusyUmount;
  /** With `kill`: how long holders get after SIGTERM before SIGKILL (ms). */
  readonly killGraceMs: number;
  /** argv of the on-demote-failure handler, or null when none is configured. */
  readonly onDemoteFailure: readonly string[] | null;
}

/**
 * Parses a floating address written `ADDR/PREFIX@DEV` (e.g. `192.168.110.20/24@eth0`,
 * `fd00::20/64@eth0`). Pure and total.
 */
export function parseFloatingAddress(text: string): Result<FloatingAddress, string> {
  const m = /^([0-9A-Fa-f:.]+)\/(\d{1,3})@([A-Za-z0-9_.:-]{1,15})$/.exec(text.trim());
  if (!m) return err(`expected ADDR/PREFIX@DEVICE, got ${JSON.stringify(text)}`);
  const [, address = '', prefixText = '', device = ''] = m;
  const prefix = Number(prefixText);
  const isV6 = address.includes(':');
  if (!isV6 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return err(`invalid IPv4 address ${address}`);
  if (!isV6 && address.split('.').some((o) => Number(o) > 255)) return err(`invalid IPv4 address ${address}`);
  if (prefix > (isV6 ? 128 : 32)) return err(`invalid prefix length ${prefix}`);
  return ok({ address, prefix, device });
}

/** `ADDR/PREFIX` as `ip addr` takes it. */
export const cidr = (a: FloatingAddress): string => `${a.address}/${a.prefix}`;
