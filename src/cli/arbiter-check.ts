import { probeEtcd } from '../arbiter/etcd-probe.js';
import type { ConfigWarningProvider } from '../config/warning-providers.js';

/**
 * check-config's etcd probe (effects: network), registered like the DRBD cross-check: with an
 * `arbiter:` section, each probe finding is a warning located at its key; without one, nothing.
 * Never a failure: the daemon runs on without the arbiter, so check-config's exit code does not change.
 */
export const arbiterCheckProvider: ConfigWarningProvider = {
  name: 'arbiter-etcd',
  async provide({ config, source }) {
    if (config.arbiter === null) return [];
    const findings = await probeEtcd(config.arbiter.etcd, config.cluster.name);
    return findings.map((f) => {
      const path = ['arbiter', 'etcd', f.key] as const;
      return {
        file: source.file,
        ...source.locate([...path]),
        path: path.join('.'),
        message: `etcd arbiter: ${f.message}`,
      };
    });
  },
};
