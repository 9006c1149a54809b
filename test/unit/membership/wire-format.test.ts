import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { REJECT_REASONS } from '../../../src/membership/counters.js';
import {
  decodeFrame,
  encodeFrame,
  FIXED_HEADER_BYTES,
  MAC_BYTES,
  type Frame,
} from '../../../src/membership/wire-format.js';
import { MAX_WIRE_TIME_MS } from '../../../src/membership/frame-fields.js';
import { heartbeatBodySchema } from '../../../src/membership/wire-schemas.js';

const KEY = Buffer.from('an-example-shared-secret-of-32-b');

const FRAME: Frame = {
  cluster: 'drbd-pair',
  sender: 'DRBD01',
  link: 1,
  incarnation: 1_764_000_000_000,
  seq: 42,
  sendTimeMs: 123456.789,
  linkSeq: 21,
  echoIncarnation: 1_764_000_000_123,
  echoSendTimeMs: 99.5,
  echoHoldMs: 12.25,
  body: {
    type: 'heartbeat',
    report: {
      resources: [
        {
          name: 'r0',
          role: 'Secondary',
          disk: 'UpToDate',
          cstate: 'Connected',
          peerDisk: 'UpToDate',
          mounted: false,
          servicesUp: false,
          splitBrain: false,
          currentUuid: null,
        },
      ],
      standby: false,
      maintenance: true,
      health: 'degraded',
    },
  },
};

function encoded(frame: Frame = FRAME): Buffer {
  const r = encodeFrame(frame, KEY);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** Re-signs `bytes` (everything but the last 32 bytes) with KEY: an authenticated but arbitrary frame. */
function resign(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  createHmac('sha256', KEY)
    .update(out.subarray(0, out.length - MAC_BYTES))
    .digest()
    .copy(out, out.length - MAC_BYTES);
  return out;
}

const REASONS = new Set<string>(REJECT_REASONS);

describe('wire format', () => {
  it('round-trips every frame type', () => {
    expect(decodeFrame(encoded(), KEY)).toEqual({ ok: true, value: FRAME });
    const req: Frame = {
      ...FRAME,
      echoSendTimeMs: null,
      body: { type: 'request', id: 'x-1', op: { kind: 'outdate', resource: 'r0' } },
    };
    expect(decodeFrame(encoded(req), KEY)).toEqual({ ok: true, value: req });
    const res: Frame = {
      ...FRAME,
      body: {
        type: 'response',
        id: 'x-1',
        reply: { outcome: 'refused', code: 'busy', message: 'no', report: null },
      },
    };
    expect(decodeFrame(encoded(res), KEY)).toEqual({ ok: true, value: res });
  });

  it('carries optional report fields and ignores unknown ones (a newer peer stays readable)', () => {
    const withLastPrimary: Frame = {
      ...FRAME,
      body: {
        type: 'heartbeat',
        report: {
          resources: [
            {
              ...(FRAME.body.type === 'heartbeat' ? FRAME.body.report!.resources[0]! : ({} as never)),
              lastPrimary: 'DRBD02',
            },
          ],
          standby: false,
          maintenance: false,
          health: 'ok',
        },
      },
    };
    expect(decodeFrame(encoded(withLastPrimary), KEY)).toEqual({ ok: true, value: withLastPrimary });
    const future = {
      ...FRAME,
      body: {
        type: 'heartbeat',
        report: { resources: [], standby: false, maintenance: false, health: 'ok', newField: 1 },
      },
    } as unknown as Frame;
    const decoded = decodeFrame(encoded(future), KEY);
    expect(decoded.ok).toBe(true);
    expect(decoded.ok && decoded.value.body.type === 'heartbeat' && decoded.value.body.report).toEqual({
      resources: [],
      standby: false,
      maintenance: false,
      health: 'ok',
    });
  });

  it('is compact: a one-resource heartbeat fits comfortably in one small datagram', () => {
    expect(encoded().length).toBeLessThan(400);
  });

  it('rejects a frame signed with another key as bad-mac', () => {
    const other = encodeFrame(FRAME, Buffer.from('another key'));
    expect(other.ok && decodeFrame(other.value, KEY)).toEqual({ ok: false, error: 'bad-mac' });
  });

  it('rejects oversized, short, bad magic and bad version packets', () => {
    expect(decodeFrame(Buffer.alloc(9000), KEY)).toEqual({ ok: false, error: 'oversized' });
    expect(decodeFrame(Buffer.alloc(10), KEY)).toEqual({ ok: false, error: 'too-short' });
    const magic = encoded();
    magic[0] = 0x58;
    expect(decodeFrame(magic, KEY)).toEqual({ ok: false, error: 'bad-magic' });
    const version = encoded();
    version[4] = 2;
    expect(decodeFrame(version, KEY)).toEqual({ ok: false, error: 'bad-version' });
  });

  it('refuses to encode a frame larger than the bound', () => {
    const big: Frame = {
      ...FRAME,
      body: {
        type: 'response',
        id: 'x',
        reply: { outcome: 'done', code: 'c', message: 'm'.repeat(1000), report: null },
      },
    };
    expect(encodeFrame(big, KEY, 512)).toEqual({ ok: false, error: 'too-large' });
    expect(encodeFrame({ ...FRAME, seq: -1 }, KEY)).toEqual({ ok: false, error: 'invalid-field' });
  });

  it('rejects by size and magic before computing a MAC, and by MAC before parsing anything', () => {
    // A key createHmac cannot use: any MAC computation would throw.
    const noKey = null as unknown as Buffer;
    expect(decodeFrame(Buffer.alloc(9000, 1), noKey)).toEqual({ ok: false, error: 'oversized' });
    expect(decodeFrame(Buffer.alloc(20, 1), noKey)).toEqual({ ok: false, error: 'too-short' });
    expect(decodeFrame(Buffer.alloc(300, 1), noKey)).toEqual({ ok: false, error: 'bad-magic' });
    const version = Buffer.from(encoded());
    version[4] = 2;
    expect(decodeFrame(version, noKey)).toEqual({ ok: false, error: 'bad-version' });
    const parse = vi.spyOn(JSON, 'parse');
    const schema = vi.spyOn(heartbeatBodySchema, 'safeParse');
    try {
      const forged = Buffer.from(encoded());
      forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
      expect(decodeFrame(forged, KEY)).toEqual({ ok: false, error: 'bad-mac' });
      expect(decodeFrame(encoded(), Buffer.from('another key'))).toEqual({ ok: false, error: 'bad-mac' });
      expect(parse).not.toHaveBeenCalled();
      expect(schema).not.toHaveBeenCalled();
      expect(decodeFrame(encoded(), KEY).ok).toBe(true);
      expect(schema).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
      schema.mockRestore();
    }
  });

  it('rejects authenticated frames with a bad layout or body as malformed', () => {
    const bytes = encoded();
    const flags = Buffer.from(bytes);
    flags[7] = 1;
    expect(decodeFrame(resign(flags), KEY)).toEqual({ ok: false, error: 'malformed' });
    const type = Buffer.from(bytes);
    type[5] = 9;
    expect(decodeFrame(resign(type), KEY)).toEqual({ ok: false, error: 'malformed' });
    const seq0 = Buffer.from(bytes);
    seq0.fill(0, 16, 24);
    expect(decodeFrame(resign(seq0), KEY)).toEqual({ ok: false, error: 'invalid-field' });
    const hugeInc = Buffer.from(bytes);
    hugeInc.fill(0xff, 8, 16);
    expect(decodeFrame(resign(hugeInc), KEY)).toEqual({ ok: false, error: 'invalid-field' });
    const badJson = Buffer.from(bytes);
    badJson[badJson.length - MAC_BYTES - 1] = 0x7b; // last body byte '}' -> '{'
    expect(decodeFrame(resign(badJson), KEY)).toEqual({ ok: false, error: 'malformed' });
    const nan = Buffer.from(bytes);
    nan.writeDoubleBE(Number.NaN, 24);
    expect(decodeFrame(resign(nan), KEY)).toEqual({ ok: false, error: 'invalid-field' });
  });

  it('rejects authenticated frames whose numbers are out of range as invalid-field (issue 12.1)', () => {
    const bytes = encoded();
    const poke = (write: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(bytes);
      write(b);
      return resign(b);
    };
    const cases: [string, Buffer][] = [
      ['sendTimeMs 1e15', poke((b) => b.writeDoubleBE(1e15, 24))],
      ['sendTimeMs -5', poke((b) => b.writeDoubleBE(-5, 24))],
      ['sendTimeMs Infinity', poke((b) => b.writeDoubleBE(Number.POSITIVE_INFINITY, 24))],
      ['echoSendTimeMs -2', poke((b) => b.writeDoubleBE(-2, 48))],
      ['echoSendTimeMs 1e15', poke((b) => b.writeDoubleBE(1e15, 48))],
      ['echoHoldMs -1', poke((b) => b.writeDoubleBE(-1, 56))],
      ['echoHoldMs 1e300', poke((b) => b.writeDoubleBE(1e300, 56))],
      ['incarnation 0', poke((b) => b.fill(0, 8, 16))],
      ['seq 2^63', poke((b) => b.writeBigUInt64BE(2n ** 63n, 16))],
      ['linkSeq above seq', poke((b) => b.writeBigUInt64BE(43n, 32))],
      ['echoIncarnation 2^60', poke((b) => b.writeBigUInt64BE(2n ** 60n, 40))],
    ];
    for (const [what, b] of cases)
      expect({ what, r: decodeFrame(b, KEY) }).toEqual({ what, r: { ok: false, error: 'invalid-field' } });
    expect(
      decodeFrame(
        poke((b) => b.writeDoubleBE(MAX_WIRE_TIME_MS, 24)),
        KEY,
      ).ok,
    ).toBe(true);
    expect(encodeFrame({ ...FRAME, sendTimeMs: 1e15 }, KEY)).toEqual({ ok: false, error: 'invalid-field' });
  });

  it('property: whatever decodes can be echoed (its sendTimeMs encodes as our echoSendTimeMs)', () => {
    const valid = encoded();
    const f64 = fc.oneof(
      fc.double(),
      fc.constantFrom(-1, 0, 1e15, -1e15, MAX_WIRE_TIME_MS, MAX_WIRE_TIME_MS + 1),
    );
    const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 100n }));
    fc.assert(
      fc.property(f64, f64, f64, u64, u64, u64, u64, (send, echoSend, hold, inc, seq, linkSeq, echoInc) => {
        const b = Buffer.from(valid);
        b.writeBigUInt64BE(inc, 8);
        b.writeBigUInt64BE(seq, 16);
        b.writeDoubleBE(send, 24);
        b.writeBigUInt64BE(linkSeq, 32);
        b.writeBigUInt64BE(echoInc, 40);
        b.writeDoubleBE(echoSend, 48);
        b.writeDoubleBE(hold, 56);
        const r = decodeFrame(resign(b), KEY);
        if (!r.ok) {
          expect(r.error).toBe('invalid-field');
          return;
        }
        const reply: Frame = {
          ...FRAME,
          incarnation: r.value.echoIncarnation === 0 ? 1 : r.value.echoIncarnation,
          seq: r.value.seq,
          linkSeq: r.value.linkSeq,
          echoIncarnation: r.value.incarnation,
          echoSendTimeMs: r.value.sendTimeMs,
          echoHoldMs: r.value.echoHoldMs,
        };
        expect(encodeFrame(reply, KEY).ok).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: random bytes never throw and are rejected with a known reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 9000 }), (bytes) => {
        const r = decodeFrame(bytes, KEY);
        expect(r.ok).toBe(false);
        expect(!r.ok && REASONS.has(r.error)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: random bytes behind a valid magic and version never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (tail) => {
        const bytes = Buffer.concat([Buffer.from('DSNT'), Buffer.from([1]), Buffer.from(tail)]);
        const r = decodeFrame(bytes, KEY);
        expect(!r.ok && REASONS.has(r.error)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: any mutation of a valid frame is rejected (never accepted, never a throw)', () => {
    const valid = encoded();
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ at: fc.nat({ max: valid.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
        (flips, truncateTo) => {
          let bytes = Buffer.from(valid);
          for (const f of flips) bytes[f.at] = (bytes[f.at] ?? 0) ^ f.xor;
          if (truncateTo !== undefined) bytes = bytes.subarray(0, truncateTo);
          const r = decodeFrame(bytes, KEY);
          expect(r.ok).toBe(false);
          expect(!r.ok && REASONS.has(r.error)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('property: authenticated frames with arbitrary content after the header never throw', () => {
    const valid = encoded();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 400 }),
        fc.array(
          fc.record({ at: fc.nat({ max: FIXED_HEADER_BYTES - 1 }), v: fc.integer({ min: 0, max: 255 }) }),
          {
            maxLength: 6,
          },
        ),
        (tail, pokes) => {
          const header = Buffer.from(valid.subarray(0, FIXED_HEADER_BYTES));
          for (const p of pokes) if (p.at > 4) header[p.at] = p.v;
          const bytes = resign(Buffer.concat([header, Buffer.from(tail), Buffer.alloc(MAC_BYTES)]));
          const r = decodeFrame(bytes, KEY);
          if (!r.ok) expect(REASONS.has(r.error)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('property: arbitrary JSON bodies in authenticated frames never throw', () => {
    fc.assert(
      fc.property(fc.json(), fc.integer({ min: 1, max: 4 }), (json, type) => {
        const body = Buffer.from(json, 'utf8');
        const valid = encoded();
        const header = Buffer.from(valid.subarray(0, FIXED_HEADER_BYTES));
        header[5] = type;
        const names = Buffer.from([4, ...Buffer.from('pair'), 1, 0x41]);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(body.length);
        const r = decodeFrame(
          resign(Buffer.concat([header, names, len, body, Buffer.alloc(MAC_BYTES)])),
          KEY,
        );
        if (!r.ok) expect(r.error).toBe('malformed');
      }),
      { numRuns: 500 },
    );
  });
});
