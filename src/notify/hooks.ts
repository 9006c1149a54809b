import type { NotifyEventName } from '../common/notify-events.js';

/** Which events a hook receives: a list of event names, or `all`. */
export type NotifyEventFilter = readonly (NotifyEventName | 'all')[];

/**
 * One configured notification target, independent of the YAML shape (the daemon maps `notify:` entries to
 * these). Durations are milliseconds.
 */
export type NotifyHook =
  | {
      readonly kind: 'command';
      /** Shown in logs and delivery reports; defaults to argv[0]. */
      readonly name: string;
      /** Program and arguments, run directly (no shell). */
      readonly argv: readonly string[];
      readonly events: NotifyEventFilter;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'webhook';
      readonly name: string;
      readonly url: string;
      readonly events: NotifyEventFilter;
      /** Per attempt. */
      readonly timeoutMs: number;
      /** Extra attempts after the first on a network error, timeout, 429 or 5xx. */
      readonly retries: number;
      /** Backoff before retry n is `retryBackoffMs * 2^(n-1)`. */
      readonly retryBackoffMs: number;
      readonly headers?: Readonly<Record<string, string>>;
    };

/** True when the hook wants this event (pure). */
export function hookWants(hook: NotifyHook, event: NotifyEventName): boolean {
  return hook.events.some((e) => e === 'all' || e === event);
}
