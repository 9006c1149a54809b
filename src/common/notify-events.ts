/** Events the daemon reports to operators through notify hooks (config `notify[].events`). */
export const NOTIFY_EVENTS = [
  'failover',
  'takeover-failed',
  'fence-failed',
  'split-brain',
  'peer-lost',
  'peer-back',
  'degraded',
  'disk-failed',
  'resync-done',
  'maintenance',
  'switchover',
  'demote-failed',
  'refused',
  'failback',
  'risk-accepted',
] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];
