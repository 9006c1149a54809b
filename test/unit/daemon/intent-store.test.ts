import { mkdtempSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INTENTS_FILE, loadIntents, NO_INTENTS, saveIntents } from '../../../src/daemon/intent-store.js';

describe('intent store', () => {
  it('reads no intents from an empty state dir and round-trips what it saved', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-intents-'));
    expect(loadIntents(dir)).toEqual({ ok: true, value: NO_INTENTS });
    expect(saveIntents(dir, { standby: true, maintenance: false }).ok).toBe(true);
    expect(loadIntents(dir)).toEqual({ ok: true, value: { standby: true, maintenance: false } });
    expect(statSync(join(dir, INTENTS_FILE)).mode & 0o077).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, INTENTS_FILE), 'utf8'))).toEqual({
      standby: true,
      maintenance: false,
    });
  });

  it('reports a corrupt file instead of guessing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-intents-'));
    writeFileSync(join(dir, INTENTS_FILE), '{"standby": tru');
    const r = loadIntents(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('not valid JSON');
    writeFileSync(join(dir, INTENTS_FILE), '{"standby": 1}');
    const r2 = loadIntents(dir);
    expect(r2.ok).toBe(false);
  });
});

describe('last-primary store', () => {
  it('round-trips the engine memory last Primaries and seeds a fresh memory with them', async () => {
    const { loadLastPrimaries, saveLastPrimaries, lastPrimariesOf, memoryWithLastPrimaries } =
      await import('../../../src/daemon/last-primary-store.js');
    const dir = mkdtempSync(join(tmpdir(), 'ds-lastprimary-'));
    expect(loadLastPrimaries(dir)).toEqual({ ok: true, value: {} });
    const memory = memoryWithLastPrimaries({ r0: 'bravo' });
    expect(memory.resources.r0?.lastPrimary).toBe('bravo');
    expect(memory.startupDone).toBe(false);
    expect(lastPrimariesOf(memory)).toEqual({ r0: 'bravo' });
    expect(saveLastPrimaries(dir, lastPrimariesOf(memory)).ok).toBe(true);
    expect(loadLastPrimaries(dir)).toEqual({ ok: true, value: { r0: 'bravo' } });
    writeFileSync(join(dir, 'last-primary.json'), '["r0"]');
    expect(loadLastPrimaries(dir).ok).toBe(false);
  });
});

describe('degraded store', () => {
  it('counts a first start as degraded and round-trips the recorded state', async () => {
    const { loadDegraded, saveDegraded } = await import('../../../src/daemon/degraded-store.js');
    const dir = mkdtempSync(join(tmpdir(), 'ds-degraded-'));
    expect(loadDegraded(dir)).toEqual({ ok: true, value: true });
    expect(saveDegraded(dir, false).ok).toBe(true);
    expect(loadDegraded(dir)).toEqual({ ok: true, value: false });
    writeFileSync(join(dir, 'degraded.json'), 'nope');
    expect(loadDegraded(dir).ok).toBe(false);
  });
});
