import type { NotifyConfig } from '../config/index.js';
import type { NotifyHook } from './hooks.js';

/** Backoff before the first webhook retry; doubles per retry (1 s, 2 s, 4 s ...). */
export const WEBHOOK_RETRY_BACKOFF_MS = 1_000;

/**
 * The hooks of the configuration's `notify:` entries (pure). Names for logs: the program for commands, the
 * URL's host for webhooks (never the full URL: it may carry a token).
 */
export function hooksFromConfig(entries: readonly NotifyConfig[]): NotifyHook[] {
  return entries.map((n, i): NotifyHook => {
    if (n.kind === 'url') {
      let host = `webhook-${i + 1}`;
      try {
        host = new URL(n.url).host;
      } catch {
        // validated by the schema already; keep the positional name
      }
      return {
        kind: 'webhook',
        name: host,
        url: n.url,
        events: n.events,
        timeoutMs: n.timeoutMs,
        retries: n.retries,
        retryBackoffMs: WEBHOOK_RETRY_BACKOFF_MS,
      };
    }
    return {
      kind: 'command',
      name: n.command[0] ?? `command-${i + 1}`,
      argv: n.command,
      events: n.events,
      timeoutMs: n.timeoutMs,
    };
  });
}
