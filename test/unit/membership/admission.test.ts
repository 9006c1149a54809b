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
    expect(a.admit(base, 0)).toMatchObject({ ok: true, value: { newIncarnation: true, confirmed: true } });
    expect(a.admit({ ...base, seq: 2, echoIncarnation: 4 }, 0)).toMatchObject({
      ok: true,
      value: { newIncarnation: false, confirmed: false },
    });
  });

  it('rejects wrong cluster, unknown sender (also ourselves), wrong link', () => {
    const a = admission();
    expect(a.admit({ ...base, cluster: 'other' }, 0)).toEqual({ ok: false, error: 'wrong-cluster' });
    expect(a.admit({ ...base, sender: 'mallory' }, 0)).toEqual({ ok: false, error: 'unknown-sender' });
    expect(a.admit({ ...base, sender: 'alpha' }, 0)).toEqual({ ok: false, error: 'unknown-sender' });
    expect(a.admit(base, 1)).toEqual({ ok: false, error: 'wrong-link' });
    expect(a.admit({ ...base, link: 2 }, 2)).toEqual({ ok: false, error: 'wrong-link' });
  });

  it('rejects older incarnations and replays; a new incarnation starts a fresh window', () => {
    const a = admission();
    expect(a.admit({ ...base, seq: 5000 }, 0).ok).toBe(true);
    expect(a.admit({ ...base, seq: 5000 }, 0)).toEqual({ ok: false, error: 'replayed' });
    expect(a.admit({ ...base, seq: 1 }, 0)).toEqual({ ok: false, error: 'seq-too-old' });
    expect(a.admit({ ...base, incarnation: 11, seq: 1 }, 0)).toMatchObject({
      ok: true,
      value: { newIncarnation: true },
    });
    expect(a.admit({ ...base, incarnation: 10, seq: 6000 }, 0)).toEqual({
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
    expect(a.admit(req, 0)).toEqual({ ok: false, error: 'unconfirmed' });
    expect(a.admit({ ...req, echoIncarnation: 5 }, 0).ok).toBe(true);
  });
});
