/**
 * One simulated DRBD 8.4 node (one resource, one volume): the behaviour model's core, assembled from one layer per
 * concern (node-base.ts: state and observation; node-events2.ts; node-writes.ts; node-fencing.ts;
 * node-resync.ts; node-connection.ts; node-state-machine.ts).
 */
import { SimNodeStateMachine } from './node-state-machine.js';

export { freshMetadata, type NodeHistoryEvent, type SimNodeDeps } from './node-base.js';

/** A simulated DRBD node. Methods with a drbdsetup counterpart return a SetupOutcome. */
export class SimNode extends SimNodeStateMachine {}

export { ppsize, splitAddress } from './drbd-text.js';
