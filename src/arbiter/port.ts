/**
 * The arbiter as the daemon sees it (issue 15, docs/arbiter.md): an etcd cluster both nodes reach on
 * their own links. The engine never talks to etcd; the cycle reads a snapshot of what the adapter last
 * learned (`observe`) into the observation, and the executor runs the engine's `arbiter-*` actions
 * through `claim`/`release`. The etcd adapter (src/arbiter/etcd*.ts) and the cluster simulation's
 * model (test/cluster-sim) implement this port.
 */

/** The owner key of one resource, as last read. */
export interface ArbiterOwner {
  readonly resource: string;
  /** The node named in the owner key; null when the key does not exist (never claimed, released, or
   *  deleted by etcd when its owner's lease expired). */
  readonly owner: string | null;
  /** The key's mod revision (0 when absent): the compare of the next claim. */
  readonly revision: number;
}

/** Everything this node knows about the arbiter at one moment; all times are monotonic ms. */
export interface ArbiterSnapshot {
  /** The last round trip (keep-alive, read or claim) succeeded within the configured timeout, and no
   *  later one has failed. */
  readonly reachable: boolean;
  /** Until when this node's own lease is certainly alive: the send time of the last keep-alive etcd
   *  granted plus the TTL it granted (measured from the send, so a slow answer only shortens it).
   *  null when this node holds no lease. */
  readonly ownLeaseValidUntilMs: number | null;
  /** The TTL etcd granted, ms (null before the first grant). */
  readonly leaseTtlMs: number | null;
  /** Owner keys per managed resource, in configuration order. */
  readonly owners: readonly ArbiterOwner[];
  /** Monotonic ms of the last successful round trip; null when never. */
  readonly lastContactMs: number | null;
}

export type ArbiterClaimOutcome =
  /** The transaction succeeded: this node owns the key, bound to its lease. */
  | { readonly kind: 'won'; readonly revision: number }
  /** The compare failed: someone else holds (or changed) the key. */
  | { readonly kind: 'lost'; readonly owner: string | null; readonly revision: number }
  /** No answer within the timeout, or etcd refused for a reason that is not the compare (permissions,
   *  no lease): nothing is known about the key. */
  | { readonly kind: 'unknown'; readonly error: string };

/** A compact status of this pair, published under the prefix for `drbd-sentinel fleet status`. */
export interface FleetStatusEntry {
  readonly cluster: string;
  readonly node: string;
  /** The other node of the pair (so a reader can show a member whose entry is missing). */
  readonly peer?: string;
  /** Whether this node hears its peer on any heartbeat link. */
  readonly peerReachable?: boolean;
  /** Wall-clock ms when written (the reader marks entries older than a bound as stale). */
  readonly writtenAtWallMs: number;
  readonly resources: readonly {
    readonly name: string;
    readonly role: string;
    readonly disk: string;
    readonly connection: string;
  }[];
  /** The last decision's reason code. */
  readonly lastDecision: string | null;
}

export interface ArbiterPort {
  /** Grant a lease and keep it alive until `stop`; reconnects on its own after an outage. Never throws. */
  start(): void;
  /** Stop keeping the lease alive and revoke it when etcd answers in time (planned shutdown). */
  stop(): Promise<void>;
  /** The latest snapshot; cheap and synchronous (the cycle reads it every iteration). */
  snapshot(): ArbiterSnapshot;
  /** Called whenever the snapshot changes (lease granted or lost, owner key changed): wakes the loop. */
  onChange(listener: () => void): () => void;
  /** Claim the owner key of `resource` for this node, bound to its lease, if its mod revision is
   *  still `expectedRevision` (0: the key must not exist). */
  claim(resource: string, expectedRevision: number): Promise<ArbiterClaimOutcome>;
  /** Delete the owner key of `resource` if this node holds it (release sequence, switchover). */
  release(resource: string): Promise<ArbiterClaimOutcome>;
  /** Publish this node's fleet status (best effort; a failure is logged by the adapter). */
  publish(entry: FleetStatusEntry): Promise<void>;
}
