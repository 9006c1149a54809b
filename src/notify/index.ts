/** Notify hooks: commands (JSON on stdin + SENTINEL_* env) and webhooks (POST JSON), de-duplicated, queued. */
export { dedupKey, Deduplicator, type DedupVerdict } from './dedup.js';
export { deliver, type DeliveryContext, type DeliveryFailure, type DeliveryReport } from './delivery.js';
export { hookWants, type NotifyEventFilter, type NotifyHook } from './hooks.js';
export {
  buildPayload,
  defaultSeverity,
  NOTIFY_PAYLOAD_VERSION,
  payloadEnv,
  type NotifyEvent,
  type NotifyPayload,
  type NotifySeverity,
} from './payload.js';
export { NotifyRunner, type NotifyRunnerOptions, type NotifyStats } from './runner.js';
export { hooksFromConfig, WEBHOOK_RETRY_BACKOFF_MS } from './from-config.js';
