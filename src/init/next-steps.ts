import { fencingSnippet } from '../drbd/config-check.js';
import type { InitPlan } from './plan.js';

/** Where the packages and scripts/install.sh put the program: DRBD's handlers call it there. */
export const SENTINEL_PATH = '/usr/sbin/drbd-sentinel';

/**
 * Pure. What the operator does after init on this node: the DRBD snippet for each resource (the
 * fencing check-config asks for: `resource-and-stonith` with policy stonith), the command that copies
 * the secret to the peer, and how to start.
 */
export function nextSteps(plan: InitPlan, drbdMajor: number | null, secretCreated: boolean): string {
  const peer = plan.nodes[plan.localIndex === 0 ? 1 : 0];
  const fencing = plan.fencingPolicy === 'stonith' ? 'resource-and-stonith' : 'resource-only';
  const lines: string[] = [];
  lines.push(
    `1. Add to each resource in DRBD's configuration on both nodes (e.g. /etc/drbd.d/${plan.resources[0]?.name ?? 'r0'}.res), then \`drbdadm adjust all\`:`,
    '',
    ...plan.resources.map((r) => fencingSnippet(r.name, SENTINEL_PATH, drbdMajor, fencing)),
    '',
  );
  lines.push(
    secretCreated
      ? `2. Copy the new shared secret to ${peer.name} (install the package there first), before running init there:`
      : `2. The secret ${plan.secretFile} was already here; ${peer.name} must hold the same file:`,
    `   scp -p ${plan.secretFile} root@${peer.addresses[0] ?? peer.name}:${plan.secretFile}`,
    '',
    `3. Run \`drbd-sentinel init\` on ${peer.name} too (it writes the same file), then on both nodes:`,
    '   drbd-sentinel check-config -q && systemctl enable --now drbd-sentinel',
  );
  return `${lines.join('\n')}\n`;
}
