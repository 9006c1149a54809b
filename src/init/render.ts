import { stringify } from 'yaml';
import { DEFAULT_SECRET_FILE } from '../config/schema.js';
import type { InitPlan } from './plan.js';

/**
 * Pure. The configuration file `init` writes: only what differs from the defaults (docs/configuration.md
 * lists them), under a header that says where it came from. No date and no host-specific value: both
 * nodes write the same file from the same DRBD configuration, which `diff` can confirm.
 */
export function renderInitConfig(plan: InitPlan): string {
  const doc = {
    cluster: {
      name: plan.clusterName,
      ...(plan.secretFile === DEFAULT_SECRET_FILE ? {} : { 'secret-file': plan.secretFile }),
    },
    nodes: plan.nodes.map((n) => ({ name: n.name, addresses: [...n.addresses] })),
    resources: plan.resources.map((r) => ({
      name: r.name,
      device: r.device,
      ...(r.mount === null
        ? {}
        : {
            mount: {
              point: r.mount.point,
              fstype: r.mount.fstype,
              ...(r.mount.options.length > 0 ? { options: [...r.mount.options] } : {}),
            },
          }),
    })),
    fencing: {
      policy: plan.fencingPolicy,
      ...(plan.fenceHandlers.length > 0
        ? { handlers: plan.fenceHandlers.map((h) => ({ name: h.name, command: [...h.command] })) }
        : {}),
    },
  };
  const header = [
    "# drbd-sentinel configuration, written by `drbd-sentinel init` from DRBD's configuration",
    '# (drbdadm dump-xml) and /etc/fstab. The same file goes on both nodes. Every key left out takes',
    '# its default: docs/configuration.md (/usr/share/doc/drbd-sentinel/) lists them all, and',
    '# `drbd-sentinel check-config` prints the effective configuration. Services to start after the',
    '# mount (resources[].services), floating addresses (resources[].addresses) and notify hooks',
    '# (notify) are yours to add.',
    '',
  ].join('\n');
  return header + stringify(doc, { lineWidth: 0 });
}
