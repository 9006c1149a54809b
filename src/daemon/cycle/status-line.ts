import type { Decision, Observation } from '../../engine/index.js';
import type { PersistedIntents } from '../intent-store.js';

/** systemd's STATUS= line: every resource's role, disk and connection, the peer, the decision. Pure. */
export function statusLine(
  obs: Observation | null,
  peerReachable: boolean,
  decision: Decision,
  intents: PersistedIntents,
): string {
  const peer = peerReachable ? 'peer up' : 'peer unreachable';
  const res = obs?.resources
    .map(
      (r) =>
        `${r.name} ${r.drbd?.role ?? 'Unknown'}/${r.drbd?.disk ?? 'DUnknown'} ${r.drbd?.cstate ?? 'Unconfigured'}`,
    )
    .join(', ');
  return `${res ?? 'no resources'}; ${peer}; ${decision.reason}${intents.maintenance ? '; maintenance' : ''}`;
}

/** Whether READY=1 went out, and the last STATUS= line. */
export class SdStatus {
  readySent = false;
  lastLine = '';
}
