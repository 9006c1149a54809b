import type { EtcdArbiterConfig } from '../config/index.js';
import { createEtcdClient } from './etcd-client.js';
import { ArbiterTimeout, classifyEtcdError, errorText } from './etcd-errors.js';

/** One finding of the probe: the config key it concerns (below `arbiter.etcd`) and what to do. */
export interface ProbeFinding {
  readonly key: 'endpoints' | 'tls' | 'user' | 'prefix' | 'lease-ttl';
  readonly message: string;
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(new ArbiterTimeout(what, ms)), ms);
      t.unref();
    }),
  ]);

/**
 * What check-config asks etcd (effects: network): every endpoint reachable and its server version;
 * put, get and delete of a probe key under `<prefix>/<cluster>/`; a lease of the configured TTL granted
 * no longer than asked. Resolves to the findings (empty: all fine); never throws.
 */
export async function probeEtcd(c: EtcdArbiterConfig, cluster: string): Promise<ProbeFinding[]> {
  const client = await createEtcdClient(c);
  if (!client.ok) return [{ key: client.error.includes('tls.') ? 'tls' : 'user', message: client.error }];
  const out: ProbeFinding[] = [];
  const ms = c.timeoutMs;
  try {
    for (const endpoint of c.endpoints) {
      const single = await createEtcdClient({ ...c, endpoints: [endpoint] });
      if (!single.ok) continue;
      try {
        const s = await within(single.value.maintenance.status(), ms * 3, 'status');
        if (!/^3\./.test(s.version))
          out.push({
            key: 'endpoints',
            message: `${endpoint} runs etcd ${s.version}: the arbiter needs etcd 3.x`,
          });
      } catch (e) {
        out.push({ key: keyOf(e), message: `${endpoint}: ${explain(e)}` });
      } finally {
        single.value.close();
      }
    }
    if (out.length === c.endpoints.length) return out;
    const key = `${c.prefix}/${cluster}/check-config-probe`;
    try {
      await within(client.value.put(key).value('probe').exec(), ms * 3, 'put');
      const got = await within(client.value.get(key).string(), ms * 3, 'get');
      await within(client.value.delete().key(key).exec(), ms * 3, 'delete');
      if (got !== 'probe') out.push({ key: 'prefix', message: `${key} read back ${JSON.stringify(got)}` });
    } catch (e) {
      out.push({
        key: classifyEtcdError(e) === 'ARBITER_PERMISSION_DENIED' ? 'prefix' : keyOf(e),
        message: `put/get/delete under ${c.prefix}/${cluster}/: ${explain(e)}`,
      });
      return out;
    }
    try {
      const asked = Math.round(c.leaseTtlMs / 1000);
      const g = await within(
        client.value.leaseClient.leaseGrant({ TTL: asked, ID: 0 }),
        ms * 3,
        'lease grant',
      );
      await within(client.value.leaseClient.leaseRevoke({ ID: g.ID }), ms * 3, 'lease revoke').catch(
        () => undefined,
      );
      if (Number(g.TTL) > asked)
        out.push({
          key: 'lease-ttl',
          message: `etcd grants at least ${g.TTL}s, more than lease-ttl ${asked}s: set lease-ttl to ${g.TTL}s or more (an isolated Primary would hold its lease longer than the configuration says)`,
        });
    } catch (e) {
      out.push({ key: keyOf(e), message: `lease grant: ${explain(e)}` });
    }
    return out;
  } finally {
    client.value.close();
  }
}

function keyOf(e: unknown): ProbeFinding['key'] {
  switch (classifyEtcdError(e)) {
    case 'ARBITER_TLS':
      return 'tls';
    case 'ARBITER_AUTH_FAILED':
      return 'user';
    case 'ARBITER_PERMISSION_DENIED':
      return 'prefix';
    default:
      return 'endpoints';
  }
}

function explain(e: unknown): string {
  const code = classifyEtcdError(e);
  const hint: Record<string, string> = {
    ARBITER_TIMEOUT: 'no answer in time (unreachable, or a firewall drops the packets)',
    ARBITER_UNREACHABLE: 'unreachable',
    ARBITER_TLS: 'TLS handshake failed (check tls.ca, tls.cert, tls.key and https://)',
    ARBITER_AUTH_FAILED: 'authentication failed (check user and password-file)',
    ARBITER_PERMISSION_DENIED: 'permission denied (grant the user readwrite on the prefix)',
  };
  return `${hint[code] ?? code}: ${errorText(e)}`;
}
