import type { NodeReport } from './node-report.js';

/**
 * The typed operations one node may ask of its peer over the heartbeat links. The membership layer
 * carries them; what they mean for DRBD is the daemon's business (its handler).
 */
export type PeerOperation =
  /** Resource-level fencing (the dopd job): mark your disk of `resource` Outdated. */
  | { readonly kind: 'outdate'; readonly resource: string }
  /** Planned switchover, step 1: check you could release `resource` and get ready. */
  | { readonly kind: 'prepare-handover'; readonly resource: string }
  /** Handover: the sender released `resource`; take it over (the receiver's engine decides with its own pre-checks). */
  | { readonly kind: 'takeover'; readonly resource: string }
  /** Planned switchover, step 2: run your release sequence for `resource`. */
  | { readonly kind: 'release'; readonly resource: string }
  /** "What is your state": answered with the current NodeReport. */
  | { readonly kind: 'state-query' };

export type PeerOperationKind = PeerOperation['kind'];

/** The answer to a peer request, as the receiving daemon's handler produced it. */
export interface PeerReply {
  /** `done`: carried out (or already true); `refused`: preconditions not met; `failed`: tried and failed. */
  readonly outcome: 'done' | 'refused' | 'failed';
  /** A stable reason code (e.g. `outdated`, `E_DRBD`), for logs and the engine. */
  readonly code: string;
  readonly message: string;
  /** The replying node's report at the time of the reply (always set for `state-query`). */
  readonly report: NodeReport | null;
}

/** Who asked: the authenticated sender of a request. */
export interface PeerRequestOrigin {
  readonly node: string;
  readonly incarnation: number;
  readonly requestId: string;
}

/**
 * The daemon's handler for requests from the peer. Called at most once per request id (duplicates get
 * the cached reply); should itself be idempotent, since a peer that restarts may ask again with a new
 * id. A rejected promise is answered as `failed` with code `E_INTERNAL`.
 */
export type PeerRequestHandler = (op: PeerOperation, origin: PeerRequestOrigin) => Promise<PeerReply>;
