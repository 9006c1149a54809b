import { z } from 'zod';
import { formatDurationMs } from '../common/duration.js';
import { absolutePath, describeInput, duration, oneOf } from './fields.js';

// The `arbiter:` section (issue 15, docs/arbiter.md): an etcd cluster both nodes reach on their own
// links. Absent (or null) means no arbiter: exactly the behaviour without one (fence delay + STONITH).

const mapping = (what: string) => ({
  error: (iss: { code?: string; input?: unknown }) =>
    iss.code === 'invalid_type'
      ? `expected ${what} (a mapping of keys), got ${describeInput(iss.input)}`
      : undefined,
});

/** An etcd client URL `http://HOST:PORT` or `https://HOST:PORT` (the gRPC endpoint, port required). */
function etcdEndpoint() {
  return z
    .string({
      error: (iss) => `expected an etcd URL such as http://10.0.0.5:2379, got ${describeInput(iss.input)}`,
    })
    .refine((u) => {
      try {
        const url = new URL(u);
        return (
          (url.protocol === 'http:' || url.protocol === 'https:') &&
          url.port !== '' &&
          (url.pathname === '/' || url.pathname === '') &&
          url.search === '' &&
          url.username === ''
        );
      } catch {
        return false;
      }
    }, 'must be http://HOST:PORT or https://HOST:PORT (no path, no user), e.g. http://10.0.0.5:2379');
}

/** The key prefix: `/drbd-sentinel`, `/site-a/ha`; keys are `<prefix>/<cluster>/...`. */
const keyPrefix = z
  .string({ error: (iss) => `expected a key prefix such as /drbd-sentinel, got ${describeInput(iss.input)}` })
  .regex(
    /^(\/[A-Za-z0-9_.-]+)+$/,
    'must be /NAME or /NAME/NAME... of letters, digits, "_", ".", "-", without a trailing /',
  );

const TlsSchema = z
  .strictObject(
    {
      ca: absolutePath('file path').meta({ description: 'PEM file of the CA that signed the etcd servers' }),
      cert: absolutePath('file path')
        .optional()
        .meta({ description: "PEM client certificate (etcd's --client-cert-auth: its CN is the etcd user)" }),
      key: absolutePath('file path').optional().meta({ description: 'PEM private key of cert' }),
    },
    mapping('the tls section'),
  )
  .superRefine((t, ctx) => {
    if ((t.cert === undefined) !== (t.key === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [t.cert === undefined ? 'cert' : 'key'],
        message: 'a client certificate needs both cert and key',
      });
  })
  .transform((t) => ({ ca: t.ca, cert: t.cert ?? null, key: t.key ?? null }));

/** etcd grants leases in whole seconds and, with its default timings, never less than 2 s. */
const MIN_LEASE_TTL_MS = 2_000;

const EtcdSchema = z
  .strictObject(
    {
      endpoints: z
        .array(etcdEndpoint(), {
          error: (iss) => `expected a list of etcd URLs, got ${describeInput(iss.input)}`,
        })
        .min(1, 'list at least one etcd endpoint')
        .meta({ description: 'client URLs of the etcd members, e.g. [http://10.0.0.5:2379, ...]' }),
      prefix: keyPrefix
        .default('/drbd-sentinel')
        .meta({ description: 'keys live under PREFIX/CLUSTER/; several pairs may share one prefix' }),
      tls: TlsSchema.nullable()
        .default(null)
        .meta({ description: 'TLS to etcd (endpoints must be https://); null: plain http' }),
      user: z
        .string({ error: (iss) => `expected an etcd user name, got ${describeInput(iss.input)}` })
        .regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'must be 1-64 letters, digits, "_", ".", "@", "-"')
        .nullable()
        .default(null)
        .meta({ description: 'etcd user (etcd auth); null: none, or the client certificate' }),
      'password-file': absolutePath('file path')
        .nullable()
        .default(null)
        .meta({ description: "file holding the etcd user's password (mode 0600); needs user" }),
      'lease-ttl': duration(MIN_LEASE_TTL_MS)
        .prefault('10s')
        .meta({ description: 'TTL of each node lease, whole seconds, at least 2s' }),
      timeout: duration(10)
        .prefault('1s')
        .meta({ description: 'an etcd request unanswered this long counts as failed' }),
    },
    mapping('the etcd section'),
  )
  .superRefine((e, ctx) => {
    const https = e.endpoints.filter((u) => u.startsWith('https:')).length;
    if (https > 0 && https < e.endpoints.length)
      ctx.addIssue({
        code: 'custom',
        path: ['endpoints'],
        message: 'endpoints mix http:// and https://: use one scheme for all members',
      });
    if (e.tls !== null && https === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'tls is set but the endpoints are http://: write them as https://',
      });
    if ((e.user === null) !== (e['password-file'] === null))
      ctx.addIssue({
        code: 'custom',
        path: [e.user === null ? 'user' : 'password-file'],
        message: 'etcd auth needs both user and password-file',
      });
    const ttl = e['lease-ttl'];
    const timeout = e.timeout;
    if (typeof ttl !== 'number' || typeof timeout !== 'number') return;
    if (ttl % 1000 !== 0)
      ctx.addIssue({
        code: 'custom',
        path: ['lease-ttl'],
        message: `lease-ttl ${formatDurationMs(ttl)} must be whole seconds: etcd grants leases in seconds`,
      });
    // The lease is renewed every third of its TTL: an answer must fit in one such interval.
    if (timeout * 3 > ttl)
      ctx.addIssue({
        code: 'custom',
        path: ['timeout'],
        message: `timeout ${formatDurationMs(timeout)} must be at most a third of lease-ttl (${formatDurationMs(Math.floor(ttl / 3))}): the lease is renewed every third of its TTL`,
      });
  })
  .transform((e) => ({
    endpoints: e.endpoints,
    prefix: e.prefix,
    tls: e.tls,
    user: e.user,
    passwordFile: e['password-file'],
    leaseTtlMs: e['lease-ttl'],
    timeoutMs: e.timeout,
  }));

export const ON_ISOLATION = ['demote', 'reboot'] as const;

export const ArbiterSchema = z
  .strictObject(
    {
      etcd: EtcdSchema,
      'on-isolation': oneOf(ON_ISOLATION).default('demote').meta({
        description:
          'a Primary cut from its peer and etcd: demote (stop, unmount, demote before its lease expires; the watchdog reboots if that hangs) or reboot at once',
      }),
      'takeover-margin': duration(0).prefault('2s').meta({
        description:
          "the survivor takes over from an isolated Primary only this long after that node's lease expired",
      }),
    },
    mapping('the arbiter section'),
  )
  .transform((a) => ({
    etcd: a.etcd,
    onIsolation: a['on-isolation'],
    takeoverMarginMs: a['takeover-margin'],
  }));
