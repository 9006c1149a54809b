import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { NOTIFY_EVENTS } from '../../../src/engine/notify-events.js';
import { journalOptionsFromConfig } from '../../../src/journal/index.js';
import { hooksFromConfig } from '../../../src/notify/index.js';

describe('hooksFromConfig', () => {
  it('maps the example configuration plus a webhook entry to hooks', () => {
    const example = readFileSync(new URL('../../../config/drbd-sentinel.yaml', import.meta.url), 'utf8');
    const text = example.replace(
      '  # - events: [all]\n  #   url: https://alerts.example.com/hooks/drbd\n  #   retries: 3\n  #   timeout: 10s',
      '  - events: [all]\n    url: https://alerts.example.com/hooks/drbd?token=s3cret\n    retries: 3\n    timeout: 5s',
    );
    const loaded = parseConfigText(text, 'example.yaml', { secretFileCheck: false });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    expect(hooksFromConfig(loaded.value.config.notify)).toEqual([
      {
        kind: 'command',
        name: '/usr/local/bin/page-oncall',
        argv: ['/usr/local/bin/page-oncall'],
        events: ['split-brain', 'fence-failed', 'takeover-failed', 'failover', 'disk-failed'],
        timeoutMs: 10_000,
      },
      {
        kind: 'webhook',
        name: 'alerts.example.com',
        url: 'https://alerts.example.com/hooks/drbd?token=s3cret',
        events: NOTIFY_EVENTS,
        timeoutMs: 5_000,
        retries: 3,
        retryBackoffMs: 1_000,
      },
    ]);
    expect(journalOptionsFromConfig(loaded.value.config.journal, '/var/lib/drbd-sentinel')).toEqual({
      path: '/var/lib/drbd-sentinel/journal.jsonl',
      maxBytes: loaded.value.config.journal.maxSizeMb * 1024 * 1024,
      keep: loaded.value.config.journal.keep,
    });
  });
});
