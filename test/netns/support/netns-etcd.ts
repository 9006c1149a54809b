/**
 * Real etcd for the netns tier (issue 15): the members of test/support/etcd-cluster.ts started inside the
 * arbiter's namespace (test/support/netns.ts, `arbiter: true`), listening on its one address with fixed
 * ports, which both nodes reach over their own links to it.
 */
import { existsSync } from 'node:fs';
import { ETCD_BIN, EtcdCluster } from '../../support/etcd-cluster.js';
import type { ArbiterNetwork } from '../../support/netns.js';

/** Member i listens on client port 2379 + 2i and peer port 2380 + 2i (the namespace is fresh). */
const ports = (i: number) => ({ client: 2379 + 2 * i, peer: 2380 + 2 * i });

export async function startNetnsEtcd(
  arbiter: ArbiterNetwork,
  size: 1 | 3,
  logDir?: string,
): Promise<EtcdCluster> {
  for (const bin of [ETCD_BIN, '/usr/bin/etcdctl'])
    if (!existsSync(bin))
      throw new Error(
        `netns arbiter tests cannot run, missing: ${bin} (apt-get install etcd-server etcd-client; scripts/install-deps.sh does)`,
      );
  return EtcdCluster.start({
    size,
    host: arbiter.address,
    exec: ['ip', 'netns', 'exec', arbiter.host.netns],
    ports,
    ...(logDir === undefined ? {} : { logDir }),
  });
}
