import type { LabNode } from '../scenarios/target.js';
import type { Lab } from './lab.js';

/**
 * Puts the node's replication address on its NIC unless lab-setup already did. Measured: lab-setup
 * sometimes finds no NIC yet (udev still renaming eth0 to ens4, more often on a loaded host), so the link
 * has no address and is down, and `drbdadm up` fails with "IP ... not found on this host".
 */
export async function ensureReplicationAddress(lab: Lab, n: LabNode): Promise<void> {
  const ip = n === 'alpha' ? '10.77.0.1' : '10.77.0.2';
  await lab.must(
    n,
    `l=$(ls /sys/class/net | grep -v '^lo$' | head -1); ip -br addr show dev $l | grep -q ${ip}/ || ip addr add ${ip}/24 dev $l; ip link set $l up`,
  );
}
