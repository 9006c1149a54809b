import type { NotifyEventName } from '../common/notify-events.js';

export type NotifySeverity = 'info' | 'warning' | 'critical';

/** What the daemon hands to `NotifyRunner.notify`: one operator-facing event. */
export interface NotifyEvent {
  readonly event: NotifyEventName;
  /** The resource concerned, or null for node-level events (peer-lost, maintenance). */
  readonly resource: string | null;
  /** One human sentence, e.g. "bravo took over r0 after alpha was fenced". */
  readonly message: string;
  /** Defaults per event (see `defaultSeverity`). */
  readonly severity?: NotifySeverity;
  /** The engine's reason code behind the event, when there is one (e.g. `takeover-fenced`). */
  readonly reason?: string | null;
  /** Supporting facts (states, durations, handler output), JSON-serializable. */
  readonly facts?: Readonly<Record<string, unknown>>;
}

/** Stable schema version of the JSON payload hooks receive. */
export const NOTIFY_PAYLOAD_VERSION = 1;

/**
 * The JSON document a command hook reads on stdin and a webhook receives as its POST body. Field names are a
 * public contract (docs/notify.md): add fields, never rename.
 */
export interface NotifyPayload {
  readonly version: typeof NOTIFY_PAYLOAD_VERSION;
  readonly event: NotifyEventName;
  /** This node's name (the node that sends the notification). */
  readonly node: string;
  /** The cluster's name from the configuration, or null. */
  readonly cluster: string | null;
  readonly resource: string | null;
  readonly severity: NotifySeverity;
  readonly message: string;
  readonly reason: string | null;
  readonly facts: Readonly<Record<string, unknown>>;
  /** Wall-clock time of the event, ISO 8601 UTC. */
  readonly time: string;
  /** How many identical events (same event, resource, reason) were suppressed before this one. */
  readonly suppressed: number;
  /** True for `drbd-sentinel notify-test`: a drill, not an incident. */
  readonly test: boolean;
}

const SEVERITY: Partial<Record<NotifyEventName, NotifySeverity>> = {
  'split-brain': 'critical',
  'fence-failed': 'critical',
  'takeover-failed': 'critical',
  'demote-failed': 'critical',
  'disk-failed': 'critical',
  failover: 'warning',
  'peer-lost': 'warning',
  degraded: 'warning',
  refused: 'warning',
  'risk-accepted': 'warning',
  'peer-back': 'info',
  'resync-done': 'info',
  maintenance: 'info',
  switchover: 'info',
  failback: 'info',
};

/** Severity of an event when the caller gives none (pure). Unlisted (newer) events are warnings. */
export function defaultSeverity(event: NotifyEventName): NotifySeverity {
  return SEVERITY[event] ?? 'warning';
}

/** Builds the payload (pure: the caller supplies node, cluster and the wall-clock time). */
export function buildPayload(
  e: NotifyEvent,
  context: { readonly node: string; readonly cluster: string | null; readonly timeIso: string },
  extra: { readonly suppressed?: number; readonly test?: boolean } = {},
): NotifyPayload {
  return {
    version: NOTIFY_PAYLOAD_VERSION,
    event: e.event,
    node: context.node,
    cluster: context.cluster,
    resource: e.resource,
    severity: e.severity ?? defaultSeverity(e.event),
    message: e.message,
    reason: e.reason ?? null,
    facts: e.facts ?? {},
    time: context.timeIso,
    suppressed: extra.suppressed ?? 0,
    test: extra.test ?? false,
  };
}

/**
 * The environment variables a command hook gets besides the JSON on stdin (pure). Empty string where the
 * payload has null, so scripts can test `[ -n "$SENTINEL_RESOURCE" ]`.
 */
export function payloadEnv(p: NotifyPayload): Record<string, string> {
  return {
    SENTINEL_EVENT: p.event,
    SENTINEL_NODE: p.node,
    SENTINEL_CLUSTER: p.cluster ?? '',
    SENTINEL_RESOURCE: p.resource ?? '',
    SENTINEL_SEVERITY: p.severity,
    SENTINEL_MESSAGE: p.message,
    SENTINEL_REASON: p.reason ?? '',
    SENTINEL_TIME: p.time,
    SENTINEL_SUPPRESSED: String(p.suppressed),
    SENTINEL_TEST: p.test ? '1' : '0',
    SENTINEL_PAYLOAD_VERSION: String(p.version),
  };
}
