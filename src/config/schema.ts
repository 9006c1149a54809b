import { isIP } from 'node:net';
import { z } from 'zod';
import { formatDurationMs } from '../common/duration.js';
import { NOTIFY_EVENTS, type NotifyEventName } from '../common/notify-events.js';
import { ArbiterSchema } from './arbiter-schema.js';
import { RESOURCE_NAME_RE } from './resource-name.js';
import {
  absolutePath,
  commandLine,
  cronExpression,
  describeInput,
  duration,
  flag,
  floatingAddress,
  ipAddress,
  listenAddress,
  oneOf,
  portNumber,
  positiveInt,
  programName,
} from './fields.js';

// The one schema of the configuration file (ARCHITECTURE.md, "Config"): it validates, fills in the
// defaults, and is the source of the TypeScript types. The input side uses the file's kebab-case
// keys and duration strings; each section's transform maps it to the camelCase typed config the
// daemon uses, with durations as `...Ms` numbers. Rules that involve several keys of one section
// live next to that section (superRefine) so they run, and are reported, even when another section
// is broken. Rules across sections live in rules.ts; effectful checks (the secret file) in
// secret-file.ts; warnings in warnings.ts.

// ---------------------------------------------------------------------------------------------
// Names

const NODE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const nodeName = z
  .string({ error: (iss) => `expected a node name, got ${describeInput(iss.input)}` })
  .regex(
    NODE_NAME_RE,
    'must be a host name as `uname -n` prints it: letters, digits, ".", "-", "_" (at most 64)',
  );

export { RESOURCE_NAME_RE };
const resourceName = z
  .string({ error: (iss) => `expected a DRBD resource name, got ${describeInput(iss.input)}` })
  .regex(
    RESOURCE_NAME_RE,
    'must be a DRBD resource name: letters, digits, "_", ".", "+", "-", not starting with "-" or "." (at most 63)',
  )
  .refine((n) => n !== 'all', '"all" is reserved by drbdadm (it means every resource)');

const UNIT_NAME_RE = /^[A-Za-z0-9:_.@\\-]+$/;
const unitName = z
  .string({ error: (iss) => `expected a systemd unit name, got ${describeInput(iss.input)}` })
  .regex(UNIT_NAME_RE, 'must be a systemd unit name such as nfs-server.service');

const handlerName = z
  .string({ error: (iss) => `expected a handler name, got ${describeInput(iss.input)}` })
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a short name: letters, digits, "_", ".", "-"');

const mapping = (what: string) => ({
  error: (iss: { code?: string; input?: unknown }) =>
    iss.code === 'invalid_type'
      ? `expected ${what} (a mapping of keys), got ${describeInput(iss.input)}`
      : undefined,
});

// ---------------------------------------------------------------------------------------------
// cluster

/** Where the shared key lives unless `cluster.secret-file` says otherwise. */
export const DEFAULT_SECRET_FILE = '/etc/drbd-sentinel/secret';

const ClusterSchema = z
  .strictObject(
    {
      name: z
        .string({ error: (iss) => `expected a cluster name, got ${describeInput(iss.input)}` })
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", ".", "-"')
        .meta({
          description: 'name of this pair; carried in every heartbeat so two pairs on one network never mix',
        }),
      'secret-file': absolutePath('file path')
        .prefault(DEFAULT_SECRET_FILE)
        .meta({ description: 'file with the shared HMAC key; same content on both nodes, mode 0600' }),
    },
    mapping('the cluster section'),
  )
  .transform((c) => ({ name: c.name, secretFile: c['secret-file'] }));

// ---------------------------------------------------------------------------------------------
// nodes

const NodeSchema = z
  .strictObject(
    {
      name: nodeName.meta({ description: 'must equal `uname -n` on that node' }),
      addresses: z
        .array(ipAddress(), {
          error: (iss) => `expected a list of IP addresses, got ${describeInput(iss.input)}`,
        })
        .min(1, 'a node needs at least one heartbeat address')
        .max(8, 'at most 8 heartbeat links')
        .meta({ description: "this node's address on each heartbeat link, in link order" }),
    },
    mapping('a node'),
  )
  .transform((n) => ({ name: n.name, addresses: n.addresses }));

const NodesSchema = z
  .array(NodeSchema, {
    error: (iss) => `expected a list of exactly two nodes, got ${describeInput(iss.input)}`,
  })
  .length(2, 'exactly two nodes are required (drbd-sentinel manages a two-node DRBD pair)')
  .superRefine((nodes, ctx) => {
    const [a, b] = nodes;
    if (!a || !b) return;
    if (a.name.toLowerCase() === b.name.toLowerCase()) {
      ctx.addIssue({
        code: 'custom',
        path: [1, 'name'],
        message: `both nodes are named "${b.name}": each node's name must be its own \`uname -n\``,
      });
    }
    if (a.addresses.length !== b.addresses.length) {
      ctx.addIssue({
        code: 'custom',
        path: [1, 'addresses'],
        message: `${b.name} has ${b.addresses.length} address(es) but ${a.name} has ${a.addresses.length}: list one address per heartbeat link on each node, in the same link order`,
      });
    }
    const seen = new Map<string, string>();
    nodes.forEach((node, ni) =>
      node.addresses.forEach((addr, ai) => {
        const key = addr.toLowerCase();
        const first = seen.get(key);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [ni, 'addresses', ai],
            message: `address ${addr} is already used by ${first}: every heartbeat address must be distinct`,
          });
        } else seen.set(key, `${node.name} link ${ai + 1}`);
      }),
    );
    a.addresses.forEach((addrA, i) => {
      const addrB = b.addresses[i];
      // Skip invalid addresses: they have their own problem already.
      if (addrB !== undefined && isIP(addrA) !== 0 && isIP(addrB) !== 0 && isIP(addrA) !== isIP(addrB)) {
        ctx.addIssue({
          code: 'custom',
          path: [1, 'addresses', i],
          message: `link ${i + 1} mixes IPv${isIP(addrA)} (${a.name}) and IPv${isIP(addrB)} (${b.name}): both ends of a link need the same address family`,
        });
      }
    });
  })
  .transform((nodes) => nodes as unknown as readonly [(typeof nodes)[number], (typeof nodes)[number]]);

// ---------------------------------------------------------------------------------------------
// heartbeat

/**
 * Named heartbeat timings (docs/membership.md, "Profiles"). `fast` detects a dead peer in about 0.2 s;
 * with 10-90 ms of delay jitter a false verdict on a link still needs 11 packets in a row lost, and a
 * false peer loss that on every link at once.
 */
export const HEARTBEAT_PROFILES = {
  default: { interval: 200, warntime: 1_000, deadtime: 2_000 },
  fast: { interval: 10, warntime: 100, deadtime: 200 },
} as const satisfies Record<string, { interval: number; warntime: number; deadtime: number }>;
const HEARTBEAT_PROFILE_NAMES = Object.keys(HEARTBEAT_PROFILES) as [keyof typeof HEARTBEAT_PROFILES];

/** The profile's interval, warntime and deadtime, each replaced by the one the file gives. */
function heartbeatTimings(h: {
  readonly profile: keyof typeof HEARTBEAT_PROFILES;
  readonly interval?: number | undefined;
  readonly warntime?: number | undefined;
  readonly deadtime?: number | undefined;
}): { interval: number; warntime: number; deadtime: number } {
  const p = HEARTBEAT_PROFILES[h.profile];
  return {
    interval: h.interval ?? p.interval,
    warntime: h.warntime ?? p.warntime,
    deadtime: h.deadtime ?? p.deadtime,
  };
}

const HeartbeatSchema = z
  .strictObject(
    {
      port: portNumber()
        .default(7790)
        .meta({ description: 'UDP port of the heartbeats, the same on both nodes' }),
      profile: oneOf(HEARTBEAT_PROFILE_NAMES).default('default').meta({
        description:
          'named timing: default (200ms / 1s / 2s) or fast (10ms / 100ms / 200ms); interval, warntime and deadtime given here override it',
      }),
      interval: duration(10)
        .optional()
        .meta({ description: "time between two heartbeats on each link (the profile's when absent)" }),
      deadtime: duration().optional().meta({
        description: "silence on every link after which the peer is unreachable (the profile's when absent)",
      }),
      warntime: duration().optional().meta({
        description: "silence on a link after which it is reported late (the profile's when absent)",
      }),
      initdead: duration()
        .prefault('120s')
        .meta({ description: 'at startup, how long to wait for the peer before acting alone' }),
      'degraded-initdead': duration()
        .prefault('120s')
        .meta({ description: 'initdead after a shutdown in which the peer was already missing' }),
      detector: oneOf(['fixed', 'phi'])
        .default('fixed')
        .meta({ description: 'failure detector: fixed deadtime, or phi accrual' }),
      'phi-threshold': z
        .number({ error: (iss) => `expected a number, got ${describeInput(iss.input)}` })
        .min(1, 'phi-threshold must be at least 1')
        .max(50, 'phi-threshold must be at most 50')
        .default(8)
        .meta({ description: 'phi detector: suspicion level at which a link is down' }),
    },
    mapping('the heartbeat section'),
  )
  .transform((h) => ({ ...h, ...heartbeatTimings(h) }))
  .superRefine((h, ctx) => {
    // Durations that failed to parse have their own problem; compare only valid ones.
    const all = [h.interval, h.deadtime, h.warntime, h.initdead, h['degraded-initdead']];
    if (!all.every((v) => typeof v === 'number')) return;
    const f = formatDurationMs;
    if (h.deadtime < 3 * h.interval) {
      ctx.addIssue({
        code: 'custom',
        path: ['deadtime'],
        message: `deadtime ${f(h.deadtime)} must be at least 3 x interval (${f(3 * h.interval)}): otherwise two lost packets declare a live peer dead`,
      });
    }
    if (h.warntime >= h.deadtime) {
      ctx.addIssue({
        code: 'custom',
        path: ['warntime'],
        message: `warntime ${f(h.warntime)} must be shorter than deadtime ${f(h.deadtime)}: a link is reported late before the peer is declared unreachable`,
      });
    }
    if (h.initdead < h.deadtime) {
      ctx.addIssue({
        code: 'custom',
        path: ['initdead'],
        message: `initdead ${f(h.initdead)} must be at least deadtime ${f(h.deadtime)}: at startup the peer gets at least as long as in steady state`,
      });
    }
    if (h['degraded-initdead'] < h.deadtime) {
      ctx.addIssue({
        code: 'custom',
        path: ['degraded-initdead'],
        message: `degraded-initdead ${f(h['degraded-initdead'])} must be at least deadtime ${f(h.deadtime)}`,
      });
    }
  })
  .transform((h) => ({
    port: h.port,
    profile: h.profile,
    intervalMs: h.interval,
    deadtimeMs: h.deadtime,
    warntimeMs: h.warntime,
    initdeadMs: h.initdead,
    degradedInitdeadMs: h['degraded-initdead'],
    detector: h.detector,
    phiThreshold: h['phi-threshold'],
  }));

// ---------------------------------------------------------------------------------------------
// resources

const MountSchema = z
  .strictObject(
    {
      point: absolutePath('mount point').refine(
        (p) => p !== '/',
        'the root file system cannot be a DRBD mount point',
      ),
      fstype: z
        .string({
          error: (iss) => `expected a file system type such as ext4, got ${describeInput(iss.input)}`,
        })
        .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a file system type such as ext3, ext4, xfs'),
      options: z
        .array(
          z
            .string({ error: 'every mount option must be a string' })
            .regex(/^[^\s,]+$/, 'one option per list element, without spaces or commas'),
          {
            error: (iss) =>
              `expected a list of mount options, e.g. [noatime], got ${describeInput(iss.input)}`,
          },
        )
        .default([]),
    },
    mapping('the mount section'),
  )
  .transform((m) => ({ point: m.point, fstype: m.fstype, options: m.options }));

const TimeoutsSchema = z
  .strictObject(
    {
      promote: duration().prefault('30s'),
      demote: duration().prefault('30s'),
      mount: duration().prefault('60s'),
      umount: duration().prefault('30s'),
      services: duration().prefault('90s'),
      fsck: duration().prefault('10m'),
      addresses: duration().prefault('10s'),
    },
    mapping('the timeouts section'),
  )
  .transform((t) => ({
    promoteMs: t.promote,
    demoteMs: t.demote,
    mountMs: t.mount,
    umountMs: t.umount,
    servicesMs: t.services,
    fsckMs: t.fsck,
    addressesMs: t.addresses,
  }));

const ResourceSchema = z
  .strictObject(
    {
      name: resourceName.meta({ description: 'the DRBD resource name, as in drbd.conf' }),
      device: absolutePath('device path')
        .refine((p) => p.startsWith('/dev/'), 'must be a block device under /dev, e.g. /dev/drbd1')
        .meta({ description: 'the DRBD device, e.g. /dev/drbd1' }),
      mount: MountSchema.nullable()
        .default(null)
        .meta({ description: 'file system to mount on the primary; null for a raw device' }),
      services: z
        .array(unitName, {
          error: (iss) => `expected a list of systemd units, got ${describeInput(iss.input)}`,
        })
        .default([])
        .meta({ description: 'systemd units started after mount, stopped before umount, in this order' }),
      addresses: z
        .array(floatingAddress(), {
          error: (iss) => `expected a list of floating addresses, got ${describeInput(iss.input)}`,
        })
        .default([])
        .meta({ description: 'floating service addresses ADDRESS/PREFIX@INTERFACE added on the primary' }),
      'preferred-node': nodeName
        .nullable()
        .default(null)
        .meta({ description: 'node the resource fails back to when it is healthy again; null: no failback' }),
      timeouts: TimeoutsSchema.prefault({}),
      'on-busy-umount': oneOf(['refuse', 'kill'])
        .default('kill')
        .meta({ description: 'when umount finds the file system busy: refuse, or kill the holders' }),
      fsck: flag().default(false).meta({ description: 'run fsck -p before mounting after a takeover' }),
      'failback-delay': duration(0)
        .prefault('60s')
        .meta({ description: 'how long the preferred node must be healthy and in sync before failback' }),
    },
    mapping('a resource'),
  )
  .superRefine((r, ctx) => {
    if (r.fsck && r.mount === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['fsck'],
        message: 'fsck: true needs a mount section (there is no file system to check)',
      });
    }
    const services = new Set<string>();
    r.services.forEach((s, i) => {
      if (services.has(s))
        ctx.addIssue({ code: 'custom', path: ['services', i], message: `service ${s} is listed twice` });
      services.add(s);
    });
  })
  .transform((r) => ({
    name: r.name,
    device: r.device,
    mount: r.mount,
    services: r.services,
    addresses: r.addresses,
    preferredNode: r['preferred-node'],
    timeouts: r.timeouts,
    onBusyUmount: r['on-busy-umount'],
    fsck: r.fsck,
    failbackDelayMs: r['failback-delay'],
  }));

const ResourcesSchema = z
  .array(ResourceSchema, { error: (iss) => `expected a list of resources, got ${describeInput(iss.input)}` })
  .min(1, 'at least one resource is required')
  .superRefine((resources, ctx) => {
    const unique = (
      what: string,
      key: (r: (typeof resources)[number]) => string | undefined,
      field: (string | number)[],
    ) => {
      const seen = new Map<string, string>();
      resources.forEach((r, i) => {
        const k = key(r);
        if (k === undefined) return;
        const first = seen.get(k);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [i, ...field],
            message: `${what} ${k} is already used by resource ${first}`,
          });
        } else seen.set(k, r.name);
      });
    };
    unique('resource name', (r) => r.name, ['name']);
    unique('device', (r) => r.device, ['device']);
    unique('mount point', (r) => r.mount?.point, ['mount', 'point']);
    const addrs = new Map<string, string>();
    resources.forEach((r, i) =>
      r.addresses.forEach((a, j) => {
        const first = addrs.get(a.address);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'addresses', j],
            message: `floating address ${a.address} is already used by resource ${first}`,
          });
        } else addrs.set(a.address, r.name);
      }),
    );
  });

// ---------------------------------------------------------------------------------------------
// fencing

const FenceHandlerSchema = z
  .strictObject(
    {
      name: handlerName,
      command: commandLine(),
      timeout: duration().prefault('60s'),
    },
    mapping('a fence handler'),
  )
  .transform((h) => ({ name: h.name, command: h.command, timeoutMs: h.timeout }));

const OnDemoteFailureSchema = z
  .strictObject({ command: commandLine(), timeout: duration().prefault('60s') }, mapping('on-demote-failure'))
  .transform((h) => ({ command: h.command, timeoutMs: h.timeout }));

export const FENCING_POLICIES = ['stonith', 'resource-only', 'none'] as const;

const FencingSchema = z
  .strictObject(
    {
      policy: oneOf(FENCING_POLICIES)
        .default('stonith')
        .meta({ description: 'proof required before taking over from an unreachable peer' }),
      'accept-risk': flag().default(false).meta({
        description: 'must be true for policy none: take over without proof (risk of two primaries)',
      }),
      delay: duration(0)
        .prefault('5s')
        .meta({ description: 'a Secondary waits this long before fencing its peer' }),
      handlers: z
        .array(FenceHandlerSchema, {
          error: (iss) => `expected a list of fence handlers, got ${describeInput(iss.input)}`,
        })
        .default([])
        .meta({ description: 'node fencing commands, tried in order until one exits 0' }),
      'on-demote-failure': OnDemoteFailureSchema.nullable().default(null).meta({
        description: 'command run when this node cannot demote itself (e.g. reboot it); null: page only',
      }),
    },
    mapping('the fencing section'),
  )
  .superRefine((f, ctx) => {
    if (f.policy === 'stonith' && f.handlers.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['handlers'],
        message:
          'policy stonith needs at least one fence handler: taking over from an unreachable peer requires proof that it was powered off (or choose policy resource-only)',
      });
    }
    if (f.policy === 'none' && !f['accept-risk']) {
      ctx.addIssue({
        code: 'custom',
        path: ['accept-risk'],
        message:
          'policy none takes over from an unreachable peer without proof that it stopped, which can make both nodes primary and lose data: set accept-risk: true to confirm',
      });
    }
    const names = new Set<string>();
    f.handlers.forEach((h, i) => {
      if (names.has(h.name))
        ctx.addIssue({
          code: 'custom',
          path: ['handlers', i, 'name'],
          message: `handler name ${h.name} is used twice`,
        });
      names.add(h.name);
    });
  })
  .transform((f) => ({
    policy: f.policy,
    acceptRisk: f['accept-risk'],
    delayMs: f.delay,
    handlers: f.handlers,
    onDemoteFailure: f['on-demote-failure'],
  }));

// ---------------------------------------------------------------------------------------------
// notify

export const NOTIFY_EVENT_CHOICES = ['all', ...NOTIFY_EVENTS] as const;

const webhookUrl = z
  .string({ error: (iss) => `expected an http(s) URL, got ${describeInput(iss.input)}` })
  .refine((u) => {
    try {
      const p = new URL(u).protocol;
      return p === 'http:' || p === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL');

const NotifySchema = z
  .strictObject(
    {
      events: z
        .array(oneOf(NOTIFY_EVENT_CHOICES), {
          error: (iss) => `expected a list of event names, got ${describeInput(iss.input)}`,
        })
        .min(1, 'list at least one event (or all)')
        .meta({ description: `events to deliver: all, or some of ${NOTIFY_EVENTS.join(', ')}` }),
      command: commandLine()
        .optional()
        .meta({ description: 'command run with the event as JSON on stdin and SENTINEL_* variables' }),
      url: webhookUrl.optional().meta({ description: 'webhook the event is POSTed to as JSON' }),
      retries: z
        .number({ error: (iss) => `expected a number of retries, got ${describeInput(iss.input)}` })
        .int('retries must be a whole number')
        .min(0, 'retries must be at least 0')
        .max(20, 'retries must be at most 20')
        .optional()
        .meta({ description: 'webhooks only: how often a failed POST is retried (default 3)' }),
      timeout: duration().prefault('10s'),
    },
    mapping('a notify entry'),
  )
  .superRefine((n, ctx) => {
    if ((n.command === undefined) === (n.url === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: n.command === undefined ? [] : ['url'],
        message: 'a notify entry needs exactly one of command or url',
      });
    }
    if (n.command !== undefined && n.retries !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['retries'], message: 'retries applies to url entries only' });
    }
  })
  .transform((n) => {
    const events: readonly NotifyEventName[] = n.events.includes('all')
      ? NOTIFY_EVENTS
      : [...new Set(n.events.filter((e): e is NotifyEventName => e !== 'all'))];
    return n.url !== undefined
      ? { kind: 'url' as const, url: n.url, retries: n.retries ?? 3, events, timeoutMs: n.timeout }
      : { kind: 'command' as const, command: n.command ?? [], events, timeoutMs: n.timeout };
  });

// ---------------------------------------------------------------------------------------------
// the smaller sections

const ScheduleSchema = z
  .strictObject(
    {
      verify: cronExpression().nullable().default(null).meta({
        description: 'when to run DRBD online verify of every resource (on the primary); null: never',
      }),
      reminders: cronExpression()
        .nullable()
        .default('0 */4 * * *')
        .meta({ description: 'when to re-send notifications of problems that are still open; null: never' }),
    },
    mapping('the schedule section'),
  )
  .transform((s) => ({ verify: s.verify, reminders: s.reminders }));

const ControlSchema = z
  .strictObject(
    {
      socket: absolutePath('socket path')
        .prefault('/run/drbd-sentinel/control.sock')
        .meta({ description: 'local control socket (mode 0600) used by status, switchover, ...' }),
      metrics: listenAddress()
        .nullable()
        .prefault('127.0.0.1:9943')
        .meta({ description: 'HOST:PORT of the Prometheus metrics endpoint; null: off' }),
    },
    mapping('the control section'),
  )
  .transform((c) => ({ socket: c.socket, metrics: c.metrics }));

const DrbdSchema = z
  .strictObject(
    {
      // YAML reads 8.4 and 9 as numbers; accept both spellings.
      version: z
        .union([z.string(), z.number()], {
          error: (iss) => `expected auto, 8.4 or 9, got ${describeInput(iss.input)}`,
        })
        .transform((v) => String(v))
        .pipe(oneOf(['auto', '8.4', '9']))
        .default('auto')
        // The pipe hides both the choices and the default from the JSON Schema: state them.
        .meta({
          description: 'DRBD major version: auto (detect), 8.4 or 9',
          enum: ['auto', '8.4', '9', 8.4, 9],
          default: 'auto',
        }),
      drbdadm: programName().default('drbdadm'),
      drbdsetup: programName().default('drbdsetup'),
      proc: absolutePath('file path').prefault('/proc/drbd'),
      'poll-interval': duration(10)
        .prefault('1s')
        .meta({ description: 'how often /proc/drbd is polled when events2 is not used' }),
      events2: oneOf(['auto', 'on', 'off']).default('auto').meta({
        description: 'follow `drbdsetup events2`: auto (when available), on (required), off (poll)',
      }),
    },
    mapping('the drbd section'),
  )
  .transform((d) => ({
    version: d.version,
    drbdadm: d.drbdadm,
    drbdsetup: d.drbdsetup,
    proc: d.proc,
    pollIntervalMs: d['poll-interval'],
    events2: d.events2,
  }));

const CommandsSchema = z
  .strictObject(
    {
      mount: programName().default('mount'),
      umount: programName().default('umount'),
      fuser: programName().default('fuser'),
      systemctl: programName().default('systemctl'),
      ip: programName().default('ip'),
      fsck: programName().default('fsck'),
      arping: programName()
        .default('arping')
        .meta({ description: 'announces a floating IPv4 address to the network after adding it' }),
      'mounts-file': absolutePath('file path')
        .prefault('/proc/self/mounts')
        .meta({ description: 'the mount table read to see what is mounted where' }),
    },
    mapping('the commands section'),
  )
  .transform((c) => ({
    mount: c.mount,
    umount: c.umount,
    fuser: c.fuser,
    systemctl: c.systemctl,
    ip: c.ip,
    fsck: c.fsck,
    arping: c.arping,
    mountsFile: c['mounts-file'],
  }));

const JournalSchema = z
  .strictObject(
    {
      'max-size-mb': positiveInt('max-size-mb', 100_000)
        .default(64)
        .meta({ description: 'size in MiB at which the decision journal is rotated' }),
      keep: positiveInt('keep', 1000).default(5).meta({ description: 'rotated journal files kept' }),
    },
    mapping('the journal section'),
  )
  .transform((j) => ({ maxSizeMb: j['max-size-mb'], keep: j.keep }));

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

const LogSchema = z
  .strictObject({ level: oneOf(LOG_LEVELS).default('info') }, mapping('the log section'))
  .transform((l) => ({ level: l.level }));

// ---------------------------------------------------------------------------------------------
// the file

/** Every top-level section, in the order the example and the effective config print them. */
export const SECTION_KEYS = [
  'cluster',
  'nodes',
  'heartbeat',
  'resources',
  'fencing',
  'arbiter',
  'notify',
  'schedule',
  'control',
  'drbd',
  'commands',
  'journal',
  'log',
  'state-dir',
] as const;

/** The section schemas, for the cross-section rules that validate sections one by one. */
export const SECTION_SCHEMAS = {
  nodes: NodesSchema,
  resources: ResourcesSchema,
} as const;

/**
 * The configuration file's schema: input = the YAML document (kebab-case keys, duration strings),
 * output = {@link SentinelConfig}. Pure; parsing never throws (use safeParse).
 */
export const SentinelConfigSchema = z
  .strictObject(
    {
      cluster: ClusterSchema,
      nodes: NodesSchema,
      heartbeat: HeartbeatSchema.prefault({}),
      resources: ResourcesSchema,
      fencing: FencingSchema.prefault({}),
      arbiter: ArbiterSchema.nullable()
        .default(null)
        .meta({ description: 'etcd arbiter (docs/arbiter.md); null: none (fence delay and STONITH only)' }),
      notify: z
        .array(NotifySchema, {
          error: (iss) => `expected a list of notify entries, got ${describeInput(iss.input)}`,
        })
        .default([]),
      schedule: ScheduleSchema.prefault({}),
      control: ControlSchema.prefault({}),
      drbd: DrbdSchema.prefault({}),
      commands: CommandsSchema.prefault({}),
      journal: JournalSchema.prefault({}),
      log: LogSchema.prefault({}),
      'state-dir': absolutePath('directory')
        .prefault('/var/lib/drbd-sentinel')
        .meta({ description: 'persistent state: incarnation number, decision journal, operator intents' }),
    },
    {
      error: (iss) =>
        iss.code === 'invalid_type'
          ? `the configuration must be a YAML mapping with the sections ${SECTION_KEYS.join(', ')}; got ${describeInput(iss.input)}`
          : undefined,
    },
  )
  .transform((c) => ({
    cluster: c.cluster,
    nodes: c.nodes,
    heartbeat: c.heartbeat,
    resources: c.resources,
    fencing: c.fencing,
    arbiter: c.arbiter,
    notify: c.notify,
    schedule: c.schedule,
    control: c.control,
    drbd: c.drbd,
    commands: c.commands,
    journal: c.journal,
    log: c.log,
    stateDir: c['state-dir'],
  }));

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends readonly unknown[]
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** The validated configuration with defaults filled in: what the daemon runs on. Deeply frozen. */
export type SentinelConfig = DeepReadonly<z.output<typeof SentinelConfigSchema>>;
/** The configuration file as written (kebab-case keys, duration strings). */
export type SentinelConfigInput = z.input<typeof SentinelConfigSchema>;

export type ClusterConfig = SentinelConfig['cluster'];
export type NodeConfig = SentinelConfig['nodes'][number];
export type HeartbeatConfig = SentinelConfig['heartbeat'];
export type ResourceConfig = SentinelConfig['resources'][number];
export type MountConfig = NonNullable<ResourceConfig['mount']>;
export type ResourceTimeouts = ResourceConfig['timeouts'];
export type FencingConfig = SentinelConfig['fencing'];
export type FencingPolicy = FencingConfig['policy'];
export type FenceHandlerConfig = FencingConfig['handlers'][number];
export type ArbiterConfig = NonNullable<SentinelConfig['arbiter']>;
export type EtcdArbiterConfig = ArbiterConfig['etcd'];
export type NotifyConfig = SentinelConfig['notify'][number];
export type ScheduleConfig = SentinelConfig['schedule'];
export type ControlConfig = SentinelConfig['control'];
export type DrbdConfig = SentinelConfig['drbd'];
export type CommandsConfig = SentinelConfig['commands'];
export type JournalConfig = SentinelConfig['journal'];
export type LogConfig = SentinelConfig['log'];
