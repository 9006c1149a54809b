/**
 * The control socket under load and abuse (issue 17.3), against the real server on a real unix socket: many
 * concurrent clients, a slow-loris client, oversize lines, malformed requests. Each abuser gets a clear
 * error (or is closed) with a logged reason code, and the server keeps answering everyone else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ok } from '../../../src/common/result.js';
import {
  controlRequest,
  startControlServer,
  type ControlHandlers,
  type ControlServer,
  type StatusSnapshot,
} from '../../../src/control/index.js';

let dir: string;
let server: ControlServer | null = null;
let logLines: Record<string, unknown>[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-control-limits-'));
  logLines = [];
});
afterEach(async () => {
  await server?.close();
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

const snapshot = { node: 'alpha', peer: 'bravo' } as unknown as StatusSnapshot;
const handlers: ControlHandlers = {
  status: () => ok(snapshot),
  switchover: () => ok({ summary: 'moved', steps: [] }),
  standby: () => ok({ summary: 'standby', steps: [] }),
  maintenance: () => ok({ summary: 'maintenance', steps: [] }),
  'fence-peer': () => ok({ exitCode: 4, message: 'outdated' }),
  'unfence-peer': () => ok({ exitCode: 0, message: 'ok' }),
  'notify-test': () => ok({ deliveries: [] }),
};

/** Turns the event loop (real I/O, no timers) until `pred` holds, at least once. */
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    await new Promise((r) => setImmediate(r));
    if (pred() && i > 0) return;
  }
  throw new Error('condition not reached');
}

async function start(options: { requestTimeoutMs?: number; maxRequestBytes?: number } = {}) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n'))
        if (l !== '') logLines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const path = join(dir, 'control.sock');
  const r = await startControlServer({ path, handlers, logger: pino({ level: 'debug' }, sink), ...options });
  if (!r.ok) throw new Error(r.error.message);
  server = r.value;
  return path;
}

/** Connects, sends `payload` (in pieces when an array), and collects everything until the server closes. */
function session(
  path: string,
  payload: string | readonly string[],
  gapMs = 0,
): Promise<{ lines: unknown[]; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    let closedByServer = false;
    s.on('error', reject);
    s.on('data', (c: Buffer) => (buf += c.toString('utf8')));
    s.on('end', () => (closedByServer = true));
    s.on('close', () =>
      resolve({
        lines: buf
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as unknown),
        closedByServer,
      }),
    );
    const pieces = typeof payload === 'string' ? [payload] : payload;
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

const errorOf = (line: unknown) => (line as { error?: { code: string; message: string } }).error;

describe('control server limits', () => {
  it('answers 1,000 concurrent status requests, all of them', async () => {
    const path = await start();
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => controlRequest(path, { op: 'status' }, { timeoutMs: 60_000 })),
    );
    const failed = results.filter((r) => !r.ok);
    expect(failed).toEqual([]);
    expect(results).toHaveLength(1000);
  });

  it('closes a slow-loris client that never completes its line, with an error and a logged reason', async () => {
    const path = await start({ requestTimeoutMs: 300 });
    // One byte every 50 ms, never a newline: each byte would reset an idle timer, not this bound.
    const pieces = Array.from({ length: 200 }, () => ' ');
    const r = await session(path, pieces, 50);
    expect(r.closedByServer).toBe(true);
    expect(r.lines.map(errorOf)).toEqual([
      { code: 'E_CONTROL', message: 'request line not completed within 300ms' },
    ]);
    expect(logLines).toContainEqual(
      expect.objectContaining({ code: 'E_CONTROL', reason: 'request-timeout', level: 40 }),
    );
    expect((await controlRequest(path, { op: 'status' })).ok).toBe(true);
  });

  it('closes a client that connects and sends nothing within the bound', async () => {
    const path = await start({ requestTimeoutMs: 200 });
    const r = await session(path, []);
    expect(r.closedByServer).toBe(true);
    expect(r.lines.map(errorOf)).toEqual([
      { code: 'E_CONTROL', message: 'request line not completed within 200ms' },
    ]);
  });

  it('a complete request in time on a connection that stays open is answered and not refused', async () => {
    // The line bound is a timer: fake timers move time, the socket stays real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const path = await start({ requestTimeoutMs: 300 });
      const s = connect(path);
      let buf = '';
      let closed = false;
      s.on('data', (c: Buffer) => (buf += c.toString('utf8')));
      s.on('close', () => (closed = true));
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.once('connect', () => resolve());
      });
      await new Promise<void>((resolve) => s.write('{"op":', () => resolve()));
      vi.advanceTimersByTime(100);
      await new Promise<void>((resolve) => s.write('"status","id":1}\n', () => resolve()));
      await until(() => buf.endsWith('\n'));
      // Idle after the answer for longer than the line bound: that is the idle timeout's business.
      vi.advanceTimersByTime(600);
      await until(() => true);
      expect(closed).toBe(false);
      s.destroy();
      expect(
        buf
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as unknown),
      ).toEqual([{ v: 1, id: 1, ok: true, result: snapshot }]);
      expect(logLines.filter((l) => l.reason === 'request-timeout')).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses an oversize line (with or without its newline) and keeps serving', async () => {
    const path = await start({ maxRequestBytes: 1024 });
    for (const payload of [`{"op":"status","x":"${'a'.repeat(5000)}"}\n`, 'b'.repeat(5000)]) {
      const r = await session(path, payload);
      expect(r.closedByServer).toBe(true);
      expect(r.lines.map(errorOf)).toEqual([
        { code: 'E_CONTROL', message: 'request longer than 1024 bytes' },
      ]);
    }
    expect(logLines.filter((l) => l.reason === 'request-too-large')).toHaveLength(2);
    expect((await controlRequest(path, { op: 'status' })).ok).toBe(true);
  });

  it('the default line limit is 64 KiB', async () => {
    const path = await start();
    const r = await session(path, `{"op":"status","x":"${'a'.repeat(70 * 1024)}"}\n`);
    expect(r.lines.map(errorOf)).toEqual([{ code: 'E_CONTROL', message: 'request longer than 65536 bytes' }]);
  });

  it('malformed JSON, unknown ops, wrong field types: a clear error each, logged, the connection serves on', async () => {
    const path = await start();
    const requests = [
      '{"op":"status"',
      '"status"',
      '{"op":"format-disk"}',
      '{"op":"standby","on":1}',
      '{"op":"fence-peer","resource":42}',
      '{"op":"switchover","resource":"r0","to":["bravo"]}',
      '{"op":"fence-peer"}',
      '\u0000\u0001\u00ff',
      '{"op":"status","id":"ok"}',
    ];
    const r = await new Promise<unknown[]>((resolve, reject) => {
      const s = connect(path);
      let buf = '';
      s.on('error', reject);
      s.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        const lines = buf.split('\n').filter((l) => l !== '');
        if (lines.length === requests.length) {
          s.destroy();
          resolve(lines.map((l) => JSON.parse(l) as unknown));
        }
      });
      s.on('connect', () => s.write(`${requests.join('\n')}\n`));
    });
    const messages = r.map((l) => errorOf(l)?.message ?? 'ok');
    expect(messages).toEqual([
      'request is not valid JSON',
      'request must be a JSON object',
      expect.stringMatching(/^invalid request: op: /),
      expect.stringMatching(/^invalid request: on: /),
      expect.stringMatching(/^invalid request: resource: /),
      expect.stringMatching(/^invalid request: to: /),
      expect.stringMatching(/^invalid request: resource: /),
      'request is not valid JSON',
      'ok',
    ]);
    expect(r.slice(0, -1).every((l) => errorOf(l)?.code === 'E_CONTROL')).toBe(true);
    expect(logLines.filter((l) => l.reason === 'malformed-request')).toHaveLength(requests.length - 1);
  });
});

describe('control client under a full listen backlog', () => {
  it('retries EAGAIN (backlog full) until the daemon accepts, instead of calling it not running', async () => {
    // A daemon stand-in with a backlog of 1 that accepts nothing for 500 ms, then answers every line.
    const path = join(dir, 'slow.sock');
    const { spawn } = await import('node:child_process');
    const py = spawn('python3', [
      '-c',
      `
import socket, sys, time, json, threading
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print("ready", flush=True)
time.sleep(0.5)
def serve(c):
    f = c.makefile("rwb")
    req = json.loads(f.readline())
    f.write((json.dumps({"v": 1, "id": req.get("id"), "ok": True, "result": {"node": "alpha"}}) + "\\n").encode())
    f.flush(); c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,)).start()
`,
      path,
    ]);
    try {
      await new Promise<void>((resolve) => py.stdout.once('data', () => resolve()));
      const results = await Promise.all(
        Array.from({ length: 30 }, () => controlRequest(path, { op: 'status' }, { timeoutMs: 20_000 })),
      );
      expect(results.filter((r) => !r.ok)).toEqual([]);
    } finally {
      py.kill();
    }
  });
});
