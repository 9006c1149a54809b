/**
 * Hostile input on the peer request path (issue 12.5). Requests travel as frames of type 2 over the
 * same UDP heartbeat links (there is no TCP listener), so they pass the whole verification of
 * `decodeFrame` and `Admission` first; then the request cache and a concurrency bound keep a flood of
 * fresh ids from growing work or memory. Alpha runs alone on the in-memory network; the test plays a
 * bravo holding the key.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/common/clock.js';
import {
  MembershipEndpoint,
  decodeFrame,
  encodeFrame,
  type Frame,
  type PeerOperation,
  type PeerReply,
} from '../../../src/membership/index.js';
import { RequestCache } from '../../../src/membership/request-cache.js';
import { MemoryNetwork } from '../../support/membership-memory-network.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const ALPHA = '10.0.0.1:7790';
const DONE: PeerReply = { outcome: 'done', code: 'ok', message: '', report: null };

async function alphaAlone(onRequest?: (op: PeerOperation) => Promise<PeerReply>) {
  const clock = new VirtualClock(10_000);
  const net = new MemoryNetwork(clock, 1);
  const calls: PeerOperation[] = [];
  const alpha = new MembershipEndpoint({
    clusterName: 'pair',
    nodeName: 'alpha',
    peerName: 'bravo',
    key: KEY,
    incarnation: 100,
    links: [{ localAddress: '10.0.0.1', localPort: 7790, peerAddress: '10.0.0.2', peerPort: 7790 }],
    intervalMs: 200,
    warntimeMs: 1000,
    deadtimeMs: 2000,
    clock,
    transport: net,
    getReport: () => null,
    ...(onRequest === undefined
      ? {}
      : {
          onRequest: (op: PeerOperation) => {
            calls.push(op);
            return onRequest(op);
          },
        }),
  });
  expect((await alpha.start()).ok).toBe(true);
  let seq = 0;
  const frame = (body: Frame['body']): Frame => ({
    cluster: 'pair',
    sender: 'bravo',
    link: 0,
    incarnation: 200,
    seq: ++seq,
    sendTimeMs: clock.nowMs(),
    linkSeq: 0,
    echoIncarnation: 100,
    echoSendTimeMs: null,
    echoHoldMs: 0,
    body,
  });
  const send = (f: Frame): void => {
    const e = encodeFrame(f, KEY);
    if (!e.ok) throw new Error(e.error);
    net.inject(ALPHA, e.value);
  };
  /** Signs arbitrary body JSON with the right key (bodies our encoder would never write). */
  const sendRawBody = (json: string, type = 2): void => {
    const e = encodeFrame(frame({ type: 'heartbeat', report: null }), KEY);
    if (!e.ok) throw new Error(e.error);
    const header = Buffer.from(e.value.subarray(0, 64));
    header[5] = type;
    const names = Buffer.from([4, ...Buffer.from('pair'), 5, ...Buffer.from('bravo')]);
    const body = Buffer.from(json, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(body.length);
    const unsigned = Buffer.concat([header, names, len, body]);
    net.inject(ALPHA, Buffer.concat([unsigned, createHmac('sha256', KEY).update(unsigned).digest()]));
  };
  const responses = (): Frame[] =>
    net.sent
      .filter((s) => s.from === ALPHA)
      .map((s) => decodeFrame(s.datagram, KEY))
      .flatMap((r) => (r.ok && r.value.body.type === 'response' ? [r.value] : []));
  // The handshake: a heartbeat that echoes alpha's incarnation makes bravo a confirmed peer.
  send(frame({ type: 'heartbeat', report: null }));
  clock.advance(50);
  expect(alpha.view().reachable).toBe(true);
  return { clock, net, alpha, calls, frame, send, sendRawBody, responses };
}

describe('the peer request path under hostile input', () => {
  it('drops garbage requests and unknown operations unhandled and unanswered', async () => {
    const t = await alphaAlone(() => Promise.resolve(DONE));
    t.sendRawBody('{"id":"x1","op":{"kind":"format-disk","resource":"r0"}}'); // unknown operation
    t.sendRawBody('{"id":"x2","op":{"kind":"outdate","resource":"r0","force":true}}'); // extra field
    t.sendRawBody('{"id":"x3","op":{"kind":"outdate"}}'); // missing resource
    t.sendRawBody(`{"id":"${'i'.repeat(65)}","op":{"kind":"state-query"}}`); // id too long
    t.sendRawBody('{"id":"x5","op":{"kind":"state-query"}'); // not JSON
    t.sendRawBody('[1,2,3]');
    t.sendRawBody('{"id":"x7","op":{"kind":"state-query"}}', 9); // unknown frame type
    const forged = encodeFrame(
      t.frame({ type: 'request', id: 'x8', op: { kind: 'outdate', resource: 'r0' } }),
      Buffer.from('not the key'),
    );
    if (!forged.ok) throw new Error(forged.error);
    t.net.inject(ALPHA, forged.value);
    t.send({
      ...t.frame({ type: 'request', id: 'x9', op: { kind: 'outdate', resource: 'r0' } }),
      echoIncarnation: 99,
    });
    t.clock.advance(500);
    expect(t.alpha.counters.rejected.malformed).toBe(7);
    expect(t.alpha.counters.rejected['bad-mac']).toBe(1);
    expect(t.alpha.counters.rejected.unconfirmed).toBe(1);
    expect(t.calls).toEqual([]);
    expect(t.alpha.counters.requests.handled).toBe(0);
    expect(t.responses()).toEqual([]);
  });

  it('a flood of fresh ids never runs more than 16 handlers at once; the rest is dropped and counted', async () => {
    const never = new Promise<PeerReply>(() => {});
    const t = await alphaAlone(() => never);
    for (let i = 0; i < 1500; i++)
      t.send(t.frame({ type: 'request', id: `f${i}`, op: { kind: 'state-query' } }));
    await new Promise((r) => setImmediate(r)); // handlers are called from a microtask
    t.clock.advance(100);
    expect(t.calls.length).toBe(16);
    expect(t.alpha.counters.requests.handled).toBe(16);
    expect(t.alpha.counters.requests.droppedBusy).toBe(1500 - 16);
    expect(t.alpha.counters.accepted.request).toBe(1500);
    expect(t.responses()).toEqual([]);
    expect(t.alpha.view().reachable).toBe(true);
  });

  it('fresh ids handled quickly are answered once each; a retry of a finished id gets the cached reply', async () => {
    const t = await alphaAlone(() => Promise.resolve(DONE));
    for (let i = 0; i < 1500; i++) {
      t.send(t.frame({ type: 'request', id: `q${i}`, op: { kind: 'state-query' } }));
      await Promise.resolve();
      await Promise.resolve();
    }
    await new Promise((r) => setImmediate(r));
    t.clock.advance(10);
    expect(t.alpha.counters.requests.handled).toBe(1500);
    expect(t.calls.length).toBe(1500);
    t.send(t.frame({ type: 'request', id: 'q1499', op: { kind: 'state-query' } }));
    t.clock.advance(10);
    expect(t.calls.length).toBe(1500);
    expect(t.alpha.counters.requests.duplicates).toBe(1);
  });

  it('responses to requests alpha never sent are ignored and counted', async () => {
    const t = await alphaAlone();
    for (let i = 0; i < 100; i++) t.send(t.frame({ type: 'response', id: `r${i}`, reply: DONE }));
    t.clock.advance(10);
    expect(t.alpha.counters.accepted.response).toBe(100);
    expect(t.alpha.counters.requests.unmatchedResponses).toBe(100);
    expect(t.alpha.counters.requests.answered).toBe(0);
  });
});

describe('RequestCache', () => {
  it('stays bounded under fresh ids; pending entries are kept; expired ones go first', () => {
    const c = new RequestCache(1000, 64);
    for (let i = 0; i < 10_000; i++) {
      const k = RequestCache.key(1, `id${i}`);
      c.begin(k, i);
      if (i % 100 !== 0) c.finish(k, DONE, i);
    }
    // 100 still pending, never evicted (their handlers run); done ones capped at the bound.
    expect(c.size).toBeLessThanOrEqual(64 + 100);
    expect(c.get(RequestCache.key(1, 'id0'))).toEqual({ state: 'pending' });
    expect(c.get(RequestCache.key(1, 'id9999'))).toMatchObject({ state: 'done' });
    c.begin(RequestCache.key(2, 'late'), 1_000_000);
    // Every done entry expired: only the pending ones and the new one remain.
    expect(c.size).toBe(101);
  });
});
