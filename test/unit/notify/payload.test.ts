import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import {
  buildPayload,
  Deduplicator,
  defaultSeverity,
  hookWants,
  payloadEnv,
  type NotifyHook,
} from '../../../src/notify/index.js';

const ctx = { node: 'alpha', cluster: 'prod', timeIso: '2026-11-24T18:00:00.000Z' };

describe('payload', () => {
  it('fills defaults and maps to SENTINEL_* variables', () => {
    const p = buildPayload(
      {
        event: 'split-brain',
        resource: 'r0',
        message: 'split-brain on r0',
        reason: 'split-brain-detected',
        facts: { cstate: 'StandAlone' },
      },
      ctx,
    );
    expect(p).toEqual({
      version: 1,
      event: 'split-brain',
      node: 'alpha',
      cluster: 'prod',
      resource: 'r0',
      severity: 'critical',
      message: 'split-brain on r0',
      reason: 'split-brain-detected',
      facts: { cstate: 'StandAlone' },
      time: '2026-11-24T18:00:00.000Z',
      suppressed: 0,
      test: false,
    });
    expect(payloadEnv(p)).toEqual({
      SENTINEL_EVENT: 'split-brain',
      SENTINEL_NODE: 'alpha',
      SENTINEL_CLUSTER: 'prod',
      SENTINEL_RESOURCE: 'r0',
      SENTINEL_SEVERITY: 'critical',
      SENTINEL_MESSAGE: 'split-brain on r0',
      SENTINEL_REASON: 'split-brain-detected',
      SENTINEL_TIME: '2026-11-24T18:00:00.000Z',
      SENTINEL_SUPPRESSED: '0',
      SENTINEL_TEST: '0',
      SENTINEL_PAYLOAD_VERSION: '1',
    });
  });

  it('uses empty strings for absent resource and reason', () => {
    const env = payloadEnv(
      buildPayload(
        { event: 'peer-lost', resource: null, message: 'm' },
        { ...ctx, cluster: null },
        { suppressed: 3, test: true },
      ),
    );
    expect(env).toMatchObject({
      SENTINEL_RESOURCE: '',
      SENTINEL_REASON: '',
      SENTINEL_CLUSTER: '',
      SENTINEL_SUPPRESSED: '3',
      SENTINEL_TEST: '1',
    });
  });

  it('gives every event a severity', () => {
    expect(defaultSeverity('fence-failed')).toBe('critical');
    expect(defaultSeverity('peer-lost')).toBe('warning');
    expect(defaultSeverity('resync-done')).toBe('info');
  });
});

describe('hookWants', () => {
  const hook = (events: NotifyHook['events']): NotifyHook => ({
    kind: 'command',
    name: 'x',
    argv: ['true'],
    events,
    timeoutMs: 1000,
  });
  it('matches listed events or all', () => {
    expect(hookWants(hook(['all']), 'failover')).toBe(true);
    expect(hookWants(hook(['failover', 'split-brain']), 'split-brain')).toBe(true);
    expect(hookWants(hook(['failover']), 'peer-back')).toBe(false);
    expect(hookWants(hook([]), 'failover')).toBe(false);
  });
});

describe('Deduplicator', () => {
  it('suppresses the same event+resource+reason within the window and reports the count when it resumes', () => {
    const clock = new VirtualClock();
    const d = new Deduplicator(clock, 60_000);
    const e = {
      event: 'peer-lost' as const,
      resource: null,
      message: 'peer lost',
      reason: 'heartbeat-silence',
    };
    expect(d.check(e)).toEqual({ deliver: true, suppressed: 0 });
    clock.advance(10_000);
    expect(d.check(e)).toEqual({ deliver: false, suppressed: 1 });
    expect(d.check({ ...e, message: 'different wording' })).toEqual({ deliver: false, suppressed: 2 });
    // Another reason or resource is another key.
    expect(d.check({ ...e, reason: 'other' }).deliver).toBe(true);
    expect(d.check({ ...e, resource: 'r0' }).deliver).toBe(true);
    expect([...d.pending().values()]).toEqual([2]);
    clock.advance(50_000);
    expect(d.check(e)).toEqual({ deliver: true, suppressed: 2 });
    expect(d.pending().size).toBe(0);
    clock.advance(1);
    expect(d.check(e).deliver).toBe(false);
  });

  it('bounds its memory', () => {
    const clock = new VirtualClock();
    const d = new Deduplicator(clock, 60_000, 3);
    for (let i = 0; i < 10; i++) d.check({ event: 'degraded', resource: `r${i}`, message: '' });
    // r0 was evicted, so it is delivered again; r9 is remembered.
    expect(d.check({ event: 'degraded', resource: 'r0', message: '' }).deliver).toBe(true);
    expect(d.check({ event: 'degraded', resource: 'r9', message: '' }).deliver).toBe(false);
  });
});
