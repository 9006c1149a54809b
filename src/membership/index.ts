/** Public API of membership: authenticated heartbeats, the failure detector, peer requests. */
export {
  MembershipEndpoint,
  type MembershipOptions,
  type PeerRequestOptions,
} from './membership-endpoint.js';
export type { PeerView, LinkView, LinkState, MembershipEvent, MembershipEventKind } from './peer-view.js';
export type {
  PeerOperation,
  PeerOperationKind,
  PeerReply,
  PeerRequestHandler,
  PeerRequestOrigin,
} from './peer-protocol.js';
export type { NodeReport, ResourceReport, DaemonHealth } from './node-report.js';
export { REJECT_REASONS, createCounters, type RejectReason, type MembershipCounters } from './counters.js';
export { FailureDetector, type DetectorMode, type DetectorOptions } from './failure-detector.js';
export { nextIncarnation, computeNextIncarnation, INCARNATION_FILE } from './incarnation.js';
export type { LinkSpec, Transport, LinkSocket } from './transport.js';
export { udpTransport } from './udp-transport.js';
export {
  encodeFrame,
  decodeFrame,
  DEFAULT_MAX_FRAME_BYTES,
  WIRE_VERSION,
  type Frame,
} from './wire-format.js';
export { linkSpecsFromAddresses } from './link-specs.js';
