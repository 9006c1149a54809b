import { stringify } from 'yaml';
import { formatDurationMs } from '../common/duration.js';
import { formatListenAddress } from './fields.js';
import { NOTIFY_EVENTS } from '../common/notify-events.js';
import type { SentinelConfig } from './schema.js';

const d = formatDurationMs;

/**
 * The configuration in the file's own vocabulary (kebab-case keys, duration strings) with every
 * default filled in: what check-config prints, and itself a valid configuration file that loads to
 * the same {@link SentinelConfig}. Pure.
 */
export function toConfigDocument(c: SentinelConfig): Record<string, unknown> {
  return {
    cluster: { name: c.cluster.name, 'secret-file': c.cluster.secretFile },
    nodes: c.nodes.map((n) => ({ name: n.name, addresses: [...n.addresses] })),
    heartbeat: {
      port: c.heartbeat.port,
      profile: c.heartbeat.profile,
      interval: d(c.heartbeat.intervalMs),
      deadtime: d(c.heartbeat.deadtimeMs),
      warntime: d(c.heartbeat.warntimeMs),
      initdead: d(c.heartbeat.initdeadMs),
      'degraded-initdead': d(c.heartbeat.degradedInitdeadMs),
      detector: c.heartbeat.detector,
      'phi-threshold': c.heartbeat.phiThreshold,
    },
    resources: c.resources.map((r) => ({
      name: r.name,
      device: r.device,
      mount:
        r.mount === null
          ? null
          : { point: r.mount.point, fstype: r.mount.fstype, options: [...r.mount.options] },
      services: [...r.services],
      addresses: r.addresses.map((a) => a.text),
      'preferred-node': r.preferredNode,
      timeouts: {
        promote: d(r.timeouts.promoteMs),
        demote: d(r.timeouts.demoteMs),
        mount: d(r.timeouts.mountMs),
        umount: d(r.timeouts.umountMs),
        services: d(r.timeouts.servicesMs),
        fsck: d(r.timeouts.fsckMs),
        addresses: d(r.timeouts.addressesMs),
      },
      'on-busy-umount': r.onBusyUmount,
      fsck: r.fsck,
      'failback-delay': d(r.failbackDelayMs),
    })),
    fencing: {
      policy: c.fencing.policy,
      'accept-risk': c.fencing.acceptRisk,
      delay: d(c.fencing.delayMs),
      handlers: c.fencing.handlers.map((h) => ({
        name: h.name,
        command: [...h.command],
        timeout: d(h.timeoutMs),
      })),
      'on-demote-failure':
        c.fencing.onDemoteFailure === null
          ? null
          : {
              command: [...c.fencing.onDemoteFailure.command],
              timeout: d(c.fencing.onDemoteFailure.timeoutMs),
            },
    },
    arbiter:
      c.arbiter === null
        ? null
        : {
            etcd: {
              endpoints: [...c.arbiter.etcd.endpoints],
              prefix: c.arbiter.etcd.prefix,
              tls: c.arbiter.etcd.tls === null ? null : tlsDocument(c.arbiter.etcd.tls),
              user: c.arbiter.etcd.user,
              'password-file': c.arbiter.etcd.passwordFile,
              'lease-ttl': d(c.arbiter.etcd.leaseTtlMs),
              timeout: d(c.arbiter.etcd.timeoutMs),
            },
            'on-isolation': c.arbiter.onIsolation,
            'takeover-margin': d(c.arbiter.takeoverMarginMs),
          },
    notify: c.notify.map((n) => {
      const events = n.events.length === NOTIFY_EVENTS.length ? ['all'] : [...n.events];
      return n.kind === 'url'
        ? { events, url: n.url, retries: n.retries, timeout: d(n.timeoutMs) }
        : { events, command: [...n.command], timeout: d(n.timeoutMs) };
    }),
    schedule: { verify: c.schedule.verify, reminders: c.schedule.reminders },
    control: {
      socket: c.control.socket,
      metrics: c.control.metrics === null ? null : formatListenAddress(c.control.metrics),
    },
    drbd: {
      version: c.drbd.version,
      drbdadm: c.drbd.drbdadm,
      drbdsetup: c.drbd.drbdsetup,
      proc: c.drbd.proc,
      'poll-interval': d(c.drbd.pollIntervalMs),
      events2: c.drbd.events2,
    },
    commands: {
      mount: c.commands.mount,
      umount: c.commands.umount,
      fuser: c.commands.fuser,
      systemctl: c.commands.systemctl,
      ip: c.commands.ip,
      fsck: c.commands.fsck,
      arping: c.commands.arping,
      'mounts-file': c.commands.mountsFile,
    },
    journal: { 'max-size-mb': c.journal.maxSizeMb, keep: c.journal.keep },
    log: { level: c.log.level },
    'state-dir': c.stateDir,
  };
}

function tlsDocument(t: { ca: string; cert: string | null; key: string | null }): Record<string, string> {
  return {
    ca: t.ca,
    ...(t.cert === null ? {} : { cert: t.cert }),
    ...(t.key === null ? {} : { key: t.key }),
  };
}

/** {@link toConfigDocument} as YAML text. Pure. */
export function renderConfigYaml(c: SentinelConfig): string {
  // Versions like 8.4 stay strings on the way back in: the schema accepts both spellings.
  return stringify(toConfigDocument(c), { lineWidth: 0 });
}
