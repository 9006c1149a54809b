import { describe, expect, it } from 'vitest';
import { Admission } from '../../../src/membership/admission.js';
import type { Frame } from '../../../src/membership/wire-format.js';

const base: Frame = {
  cluster: 'pair',
  sender: 'bravo',
  link: 0,
  incarnation: 10,
  seq: 1,
  sendTimeMs: 0,
  linkSeq: 1,
  echoIncarnation: 5,
  echoSendTimeMs: null,
  echoHoldMs: 0,
  body: { type: 'heartbeat', report: null },
};

function admission(): Admission {
  return new Admission({ cluster: 'pair', peerName: 'bravo', ourIncarnation: 5, linkCount: 2 });
}

describe('Admission', () => {
  it('admits the peer, confirmed when it echoes our incarnation', () => {
    const a = admission();
    expect(a.admit(base, 0, 0)).toMatchObject({ ok: true, value: { newIncarnation: true, confirmed: true } });
    expect(a.admit({ ...base, seq: 2, echoIncarnation: 4 }, 0, 0)).toMatchObject({
      ok: true,
      value: { newIncarnation: false, confirmed: false },
    });
  });

  it('rejects wrong cluster, unknown sender (also ourselves), wrong link', () => {
    const a = admission();
    expect(a.admit({ ...base, cluster: 'other' }, 0, 0)).toEqual({ ok: false, error: 'wrong-cluster' });
    expect(a.admit({ ...base, sender: 'mallory' }, 0, 0)).toEqual({ ok: false, error: 'unknown-sender' });
    expect(a.admit({ ...base, sender: 'alpha' }, 0, 0)).toEqual({ ok: false, error: 'unknown-sender' });
    expect(a.admit(base, 1, 0)).toEqual({ ok: false, error: 'wrong-link' });
    expect(a.admit({ ...base, link: 2 }, 2, 0)).toEqual({ ok: false, error: 'wrong-link' });
  });

  it('rejects older incarnations and replays; a new incarnation starts a fresh window', () => {
    const a = admission();
    expect(a.admit({ ...base, seq: 5000 }, 0, 0).ok).toBe(true);
    expect(a.admit({ ...base, seq: 5000 }, 0, 0)).toEqual({ ok: false, error: 'replayed' });
    expect(a.admit({ ...base, seq: 1 }, 0, 0)).toEqual({ ok: false, error: 'seq-too-old' });
    expect(a.admit({ ...base, incarnation: 11, seq: 1 }, 0, 0)).toMatchObject({
      ok: true,
      value: { newIncarnation: true },
    });
    expect(a.admit({ ...base, incarnation: 10, seq: 6000 }, 0, 0)).toEqual({
      ok: false,
      error: 'old-incarnation',
    });
    expect(a.currentPeerIncarnation).toBe(11);
  });

  it('rejects requests and responses that do not echo our incarnation', () => {
    const a = admission();
    const req: Frame = {
      ...base,
      echoIncarnation: 4,
      body: { type: 'request', id: 'a', op: { kind: 'state-query' } },
    };
    expect(a.admit(req, 0, 0)).toEqual({ ok: false, error: 'unconfirmed' });
    expect(a.admit({ ...req, echoIncarnation: 5 }, 0, 0).ok).toBe(true);
  });

  describe('sequence numbers far ahead (issue 12.2, replay-window poisoning)', () => {
    // 0.01 frames per ms (2 links at 200 ms) and a slack of 100, so the numbers stay readable.
    const jumpy = (): Admission =>
      new Admission({
        cluster: 'pair',
        peerName: 'bravo',
        ourIncarnation: 5,
        linkCount: 2,
        maxSeqRatePerMs: 0.01,
        seqSlack: 100,
      });

    it('drops a frame further ahead than the sender can have sent; genuine frames go on', () => {
      const a = jumpy();
      expect(a.admit({ ...base, seq: 10 }, 0, 1000).ok).toBe(true);
      expect(a.admit({ ...base, seq: 1_000_010 }, 0, 1100)).toEqual({ ok: false, error: 'seq-implausible' });
      for (let s = 11; s <= 60; s++) expect(a.admit({ ...base, seq: s }, 0, 1000 + s * 100).ok).toBe(true);
      // It did not move the window: the far-ahead frame's seq is still not "seen".
      expect(a.admit({ ...base, seq: 1_000_010 }, 0, 7000)).toEqual({ ok: false, error: 'seq-implausible' });
    });

    it('accepts the advance a silent peer made: 10 minutes of heartbeats, and the slack at once', () => {
      const a = jumpy();
      expect(a.admit({ ...base, seq: 10 }, 0, 0).ok).toBe(true);
      expect(a.admit({ ...base, seq: 110 }, 0, 1).ok).toBe(true); // within the slack
      // 600 s silent at 2 links x 5 per second = 6000 frames; the bound allows 100 + 6000.
      expect(a.admit({ ...base, seq: 110 + 6000 }, 0, 1 + 600_000).ok).toBe(true);
      expect(a.admit({ ...base, seq: 110 + 6001 }, 0, 1 + 600_000).ok).toBe(true);
    });

    it('takes a jump beyond the bound when a following frame continues it (a sender faster than the bound)', () => {
      const a = jumpy();
      expect(a.admit({ ...base, seq: 10 }, 0, 0).ok).toBe(true);
      expect(a.admit({ ...base, seq: 5000 }, 0, 10)).toEqual({ ok: false, error: 'seq-implausible' });
      expect(a.admit({ ...base, seq: 5001 }, 0, 20).ok).toBe(true);
      expect(a.admit({ ...base, seq: 5002 }, 0, 30).ok).toBe(true);
      expect(a.admit({ ...base, seq: 5001 }, 0, 40)).toEqual({ ok: false, error: 'replayed' });
    });

    it('a genuine frame never confirms an injected jump', () => {
      const a = jumpy();
      expect(a.admit({ ...base, seq: 10 }, 0, 0).ok).toBe(true);
      expect(a.admit({ ...base, seq: 999_999 }, 0, 10).ok).toBe(false);
      expect(a.admit({ ...base, seq: 11 }, 0, 20).ok).toBe(true);
      expect(a.admit({ ...base, seq: 2_000_000 }, 0, 30).ok).toBe(false); // not a continuation either
      expect(a.admit({ ...base, seq: 12 }, 0, 40).ok).toBe(true);
    });

    it('a new incarnation starts a fresh window whatever its seq (the sender restarted)', () => {
      const a = jumpy();
      expect(a.admit({ ...base, seq: 10 }, 0, 0).ok).toBe(true);
      expect(a.admit({ ...base, incarnation: 11, seq: 1 }, 0, 10).ok).toBe(true);
      expect(a.admit({ ...base, incarnation: 11, seq: 2 }, 0, 20).ok).toBe(true);
      expect(a.admit({ ...base, incarnation: 11, seq: 3000 }, 0, 30)).toEqual({
        ok: false,
        error: 'seq-implausible',
      });
    });
  });
});
