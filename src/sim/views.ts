/** Text views of a simulated node: /proc/drbd and events2 lines. Pure over the node's state. */
import { renderEvents2Line, type Events2Options } from './events2-format.js';
import type { SimNode } from './node.js';
import { renderProcDrbd, type ProcDrbdDevice } from './proc-drbd.js';

/** The node's /proc/drbd as DRBD 8.4.11 prints it (no minor line while down or powered off). */
export function procDrbdText(node: SimNode): string {
  if (!node.powered || !node.up) return renderProcDrbd([]);
  const linked = node.linked;
  const dev: ProcDrbdDevice = {
    minor: node.config.minor,
    cstate: node.cstate,
    role: node.role,
    peerRole: linked ? node.peerRole : 'Unknown',
    disk: node.disk,
    peerDisk: node.peerDisk,
    protocol: node.netConfigured ? 'C' : null,
    suspended: node.suspended,
    alSuspended: node.alSuspended,
    counters: { ...node.counters },
    pending: node.pendingCount(),
    appPending: node.pendingCount(),
    oosKiB: node.oosKiB(),
    sync: node.syncProgress(),
  };
  return renderProcDrbd([dev]);
}

/** `drbdsetup events2 --now` output lines for the node. */
export function events2NowLines(node: SimNode, options: Events2Options): string[] {
  return node.existsRecords().map((r) => renderEvents2Line(r, options));
}

/** Every events2 line the node emitted since power-on (as a stream started before `up` shows). */
export function events2LogLines(node: SimNode, options: Events2Options): string[] {
  return node.eventLog.map((r) => renderEvents2Line(r, options));
}
