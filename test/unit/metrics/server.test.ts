/**
 * The metrics HTTP endpoint against real TCP clients: it binds exactly where it is told, answers /metrics,
 * and answers garbage (random bytes, an oversize header, unknown paths, wrong methods, a slow client) with
 * a 4xx or a close and a logged reason code, serving on afterwards.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, type Clock } from '../../../src/common/clock.js';
import {
  REFUSED_LOG_INTERVAL_MS,
  startMetricsServer,
  type MetricsServer,
} from '../../../src/metrics/server.js';

let server: MetricsServer | null = null;
let logLines: Record<string, unknown>[] = [];
afterEach(async () => {
  await server?.close();
  server = null;
  logLines = [];
});

async function start(requestTimeoutMs?: number, clock?: Clock): Promise<MetricsServer> {
  const registry = new Registry();
  new Gauge({ name: 'test_up', help: 'constant 1', registers: [registry] }).set(1);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n'))
        if (l !== '') logLines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const r = await startMetricsServer({
    listen: { host: '127.0.0.1', port: 0 },
    registry,
    logger: pino({ level: 'info' }, sink),
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
    ...(clock === undefined ? {} : { clock }),
  });
  if (!r.ok) throw new Error(r.error.message);
  server = r.value;
  return r.value;
}

/** Writes raw bytes (in pieces `gapMs` apart) and returns everything the server sent until it closed. */
function rawHttp(
  port: number,
  pieces: readonly (string | Buffer)[],
  gapMs = 0,
  host = '127.0.0.1',
): Promise<{ response: string; error?: string }> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    let response = '';
    s.on('data', (c: Buffer) => (response += c.toString('latin1')));
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ response, error: e.code ?? e.message }));
    s.on('close', () => resolve({ response }));
    let i = 0;
    const next = () => {
      if (i >= pieces.length || s.destroyed) return;
      s.write(pieces[i++] ?? '');
      if (gapMs > 0) setTimeout(next, gapMs).unref();
      else next();
    };
    s.on('connect', next);
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

async function scrape(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(r.status).toBe(200);
  return r.text();
}

describe('metrics endpoint', () => {
  it('binds exactly the configured address: another loopback address is refused', async () => {
    const s = await start();
    expect(s.host).toBe('127.0.0.1');
    expect(await scrape(s.port)).toContain('test_up 1');
    // 127.0.0.2 is this host too (all of 127/8 is loopback), but nothing listens there.
    const other = await rawHttp(s.port, ['GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'], 0, '127.0.0.2');
    expect(other.error).toBe('ECONNREFUSED');
  });

  it('unknown paths get 404 and other methods 405, logged once per reason', async () => {
    const s = await start();
    expect((await fetch(`http://127.0.0.1:${s.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${s.port}/metrics/../../etc/passwd`)).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${s.port}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`http://127.0.0.1:${s.port}/metrics`, { method: 'DELETE' })).status).toBe(405);
    expect(logLines.filter((l) => l.reason !== undefined).map((l) => l.reason)).toEqual([
      'unknown-path',
      'method-not-allowed',
    ]);
    expect(await scrape(s.port)).toContain('test_up 1');
  });

  it('a client looping bad requests costs one log line per reason per interval, with the count it suppressed', async () => {
    const clock = new VirtualClock();
    const s = await start(undefined, clock);
    for (let i = 0; i < 50; i++) expect((await fetch(`http://127.0.0.1:${s.port}/x${i}`)).status).toBe(404);
    expect(logLines.filter((l) => l.reason === 'unknown-path')).toHaveLength(1);
    clock.advance(REFUSED_LOG_INTERVAL_MS);
    expect((await fetch(`http://127.0.0.1:${s.port}/again`)).status).toBe(404);
    const lines = logLines.filter((l) => l.reason === 'unknown-path');
    expect(lines.map((l) => l.suppressed)).toEqual([0, 49]);
    expect(lines.every((l) => l.code === 'E_CONTROL' && l.msg === 'metrics request refused')).toBe(true);
  });

  it('random bytes get 400 and a close; the server serves on', async () => {
    const s = await start();
    for (let i = 0; i < 5; i++) {
      const r = await rawHttp(s.port, [randomBytes(512)]);
      expect([400, 0]).toContain(statusOf(r.response)); // 0: closed without an answer
      if (statusOf(r.response) === 0) expect(r.response).toBe('');
    }
    const r = await rawHttp(s.port, ['\x00\x01\x02 garbage\r\n\r\n']);
    expect(statusOf(r.response)).toBe(400);
    expect(logLines.some((l) => l.reason === 'malformed-request' && l.code === 'E_CONTROL')).toBe(true);
    expect(await scrape(s.port)).toContain('test_up 1');
  });

  it('an oversize header gets 431', async () => {
    const s = await start();
    const r = await rawHttp(s.port, [
      `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    ]);
    expect(statusOf(r.response)).toBe(431);
    expect(logLines.some((l) => l.reason === 'header-too-large')).toBe(true);
    expect(await scrape(s.port)).toContain('test_up 1');
  });

  it('a slow client that never finishes its headers gets 408 and is closed after the bound', async () => {
    const s = await start(300);
    // One header byte every 50 ms: never the blank line that ends the headers.
    const pieces = [
      'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ',
      ...Array.from({ length: 200 }, () => 'a'),
    ];
    const r = await rawHttp(s.port, pieces, 50);
    expect(statusOf(r.response)).toBe(408);
    expect(logLines.some((l) => l.reason === 'request-timeout')).toBe(true);
    expect(await scrape(s.port)).toContain('test_up 1');
  });

  it('HEAD /metrics answers 200 without a body', async () => {
    const s = await start();
    const r = await fetch(`http://127.0.0.1:${s.port}/metrics`, { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('');
  });
});
