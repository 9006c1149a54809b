import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { err, ok } from '../../../src/common/result.js';
import {
  controlRequest,
  startControlServer,
  type ControlHandlers,
  type ControlServer,
  type StatusSnapshot,
} from '../../../src/control/index.js';
import { asNobody, nobodyView, removeNobodyView } from '../cli/as-nobody.js';

let dir: string;
let servers: ControlServer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-control-'));
});
afterAll(removeNobodyView);
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

const snapshot = { node: 'alpha', peer: 'bravo' } as unknown as StatusSnapshot;

function handlers(calls: unknown[] = []): ControlHandlers {
  return {
    status: () => ok(snapshot),
    switchover: async (r) => {
      calls.push(r);
      if (r.to === 'alpha')
        return err({ code: 'switchover-already-there', message: 'r0 already runs on alpha' });
      return ok({ summary: 'r0 moved to bravo', steps: [{ step: 'pre-checks', status: 'ok' }] });
    },
    standby: (r) => (calls.push(r), ok({ summary: `standby ${r.on ? 'on' : 'off'}`, steps: [] })),
    maintenance: (r) => (calls.push(r), ok({ summary: `maintenance ${r.on ? 'on' : 'off'}`, steps: [] })),
    'fence-peer': (r) => (calls.push(r), ok({ exitCode: 4, message: `peer outdated on ${r.resource}` })),
    'unfence-peer': (r) => (calls.push(r), ok({ exitCode: 0, message: 'ok' })),
    'notify-test': () => {
      throw new Error('boom');
    },
  };
}

async function start(path: string, h = handlers()): Promise<ControlServer> {
  const r = await startControlServer({ path, handlers: h });
  if (!r.ok) throw new Error(r.error.message);
  servers.push(r.value);
  return r.value;
}

/** Sends raw bytes and collects `n` response lines. */
function raw(path: string, payload: string, n: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    s.on('error', reject);
    s.on('data', (c: Buffer) => {
      buf += c.toString();
      const lines = buf.split('\n').filter((l) => l.length > 0);
      if (lines.length >= n) {
        s.destroy();
        resolve(lines.map((l) => JSON.parse(l) as unknown));
      }
    });
    s.on('close', () =>
      resolve(
        buf
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => JSON.parse(l) as unknown),
      ),
    );
    s.write(payload);
  });
}

describe('control server', () => {
  it('creates a missing directory 0700 and the socket 0600, and removes the socket on close', async () => {
    const path = join(dir, 'run', 'sentinel', 'control.sock');
    const server = await start(path);
    expect(statSync(join(dir, 'run', 'sentinel')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).isSocket()).toBe(true);
    await server.close();
    servers = [];
    expect(existsSync(path)).toBe(false);
  });

  it('answers each request with its id, in order, several per connection', async () => {
    const path = join(dir, 'c.sock');
    const calls: unknown[] = [];
    await start(path, handlers(calls));
    const replies = await raw(
      path,
      '{"v":1,"id":"a","op":"status"}\n{"v":1,"id":7,"op":"switchover","resource":"r0","to":"bravo"}\n{"id":"c","op":"maintenance","on":true}\n',
      3,
    );
    expect(replies).toEqual([
      { v: 1, id: 'a', ok: true, result: snapshot },
      {
        v: 1,
        id: 7,
        ok: true,
        result: { summary: 'r0 moved to bravo', steps: [{ step: 'pre-checks', status: 'ok' }] },
      },
      { v: 1, id: 'c', ok: true, result: { summary: 'maintenance on', steps: [] } },
    ]);
    expect(calls).toEqual([
      { op: 'switchover', resource: 'r0', to: 'bravo' },
      { op: 'maintenance', on: true },
    ]);
  });

  it('accepts the bare line a DRBD fence-peer handler sends', async () => {
    const path = join(dir, 'c.sock');
    await start(path);
    expect(await raw(path, '{"op":"fence-peer","resource":"r0"}\n', 1)).toEqual([
      { v: 1, id: null, ok: true, result: { exitCode: 4, message: 'peer outdated on r0' } },
    ]);
  });

  it('answers malformed requests with an error and keeps serving', async () => {
    const path = join(dir, 'c.sock');
    await start(path);
    const replies = await raw(
      path,
      [
        'not json',
        '[1,2]',
        '{"id":"x","op":"reboot"}',
        '{"id":"y","op":"standby","on":"yes"}',
        '{"v":2,"id":"z","op":"status"}',
        '{"id":{"bad":1},"op":"status"}',
        '{"id":"t","op":"notify-test","event":"failover"}',
        '{"id":"u","op":"notify-test","event":"no-such-event"}',
        '{"id":"last","op":"status"}',
        '',
      ].join('\n'),
      9,
    );
    expect(
      replies.map(
        (r) => (r as { ok: boolean; id: unknown; error?: { code: string; message: string } }).error ?? 'ok',
      ),
    ).toEqual([
      { code: 'E_CONTROL', message: 'request is not valid JSON' },
      { code: 'E_CONTROL', message: 'request must be a JSON object' },
      { code: 'E_CONTROL', message: expect.stringContaining('invalid request') },
      { code: 'E_CONTROL', message: expect.stringContaining('invalid request: on') },
      { code: 'E_CONTROL', message: 'unsupported protocol version 2: this daemon speaks 1' },
      { code: 'E_CONTROL', message: 'id must be a string, number or null' },
      { code: 'E_INTERNAL', message: 'handler failed: boom' },
      { code: 'E_CONTROL', message: expect.stringContaining('invalid request: event') },
      'ok',
    ]);
    expect(replies.map((r) => (r as { id: unknown }).id)).toEqual([
      null,
      null,
      'x',
      'y',
      'z',
      null,
      't',
      'u',
      'last',
    ]);
  });

  it('refuses an oversized request without growing without bound', async () => {
    const path = join(dir, 'c.sock');
    const r = await startControlServer({ path, handlers: handlers(), maxRequestBytes: 100 });
    if (!r.ok) throw new Error(r.error.message);
    servers.push(r.value);
    const replies = await raw(path, `{"op":"status","pad":"${'x'.repeat(500)}`, 1);
    expect(replies).toEqual([
      { v: 1, id: null, ok: false, error: { code: 'E_CONTROL', message: 'request longer than 100 bytes' } },
    ]);
    // The server still serves others.
    expect((await controlRequest(path, { op: 'status' })).ok).toBe(true);
  });

  it('removes a stale socket file nobody listens on', async () => {
    const path = join(dir, 'c.sock');
    // A socket file left by a killed process: bind then close the handle without unlinking.
    const stale = createServer();
    await new Promise<void>((r) => stale.listen(path, r));
    // Duplicate the file entry, close (which unlinks the original), and move it back: leaves a dead socket file.
    const { linkSync, renameSync } = await import('node:fs');
    linkSync(path, `${path}.keep`);
    await new Promise((r) => stale.close(r));
    renameSync(`${path}.keep`, path);
    expect(statSync(path).isSocket()).toBe(true);
    await start(path);
    expect((await controlRequest(path, { op: 'status' })).ok).toBe(true);
  });

  it('refuses to start when another process listens, and never removes a non-socket', async () => {
    const path = join(dir, 'c.sock');
    await start(path);
    const second = await startControlServer({ path, handlers: handlers() });
    expect(second.ok ? 'started' : second.error.message).toMatch(/another process is listening/);
    expect((await controlRequest(path, { op: 'status' })).ok).toBe(true);

    const file = join(dir, 'plain');
    writeFileSync(file, 'keep me');
    const third = await startControlServer({ path: file, handlers: handlers() });
    expect(third.ok ? 'started' : third.error.message).toMatch(/is not a socket/);
    expect(existsSync(file)).toBe(true);
  });
});

describe('control client', () => {
  it('returns results and remote refusals as values', async () => {
    const path = join(dir, 'c.sock');
    await start(path);
    expect(await controlRequest(path, { op: 'standby', on: false })).toEqual(
      ok({ summary: 'standby off', steps: [] }),
    );
    expect(await controlRequest(path, { op: 'switchover', resource: 'r0', to: 'alpha' })).toEqual(
      err({ kind: 'remote', code: 'switchover-already-there', message: 'r0 already runs on alpha' }),
    );
  });

  it('says the daemon is not running when there is no socket or nobody listens', async () => {
    const r = await controlRequest(join(dir, 'missing.sock'), { op: 'status' });
    expect(r).toMatchObject({ ok: false, error: { kind: 'not-running' } });
  });

  it('reports permission problems distinctly (the socket is root only)', async () => {
    chmodSync(dir, 0o755);
    const path = join(dir, 'c.sock');
    await start(path);
    if (process.getuid?.() !== 0) {
      chmodSync(path, 0o000);
      expect(await controlRequest(path, { op: 'status' })).toMatchObject({
        ok: false,
        error: { kind: 'permission' },
      });
      return;
    }
    // As root (CI), run the client as nobody: the 0600 root-owned socket refuses it with EACCES.
    const script = join(dir, 'as-user.mts');
    const client = `${nobodyView()}src/control/client.ts`;
    writeFileSync(
      script,
      `import { controlRequest } from '${client}';\nconsole.log(JSON.stringify(await controlRequest(process.argv[2], { op: 'status' })));\n`,
    );
    chmodSync(script, 0o644);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(...asNobody(['--import', 'tsx', script, path]), { timeout: 20_000 }, (e, stdout, stderr) =>
        e ? reject(new Error(`${e.message}: ${stderr}`)) : resolve(stdout),
      ),
    );
    expect(JSON.parse(out)).toEqual({
      ok: false,
      error: { kind: 'permission', message: `permission denied on ${path} (run as root)` },
    });
  });

  it('times out when the daemon never answers', async () => {
    const path = join(dir, 'silent.sock');
    const held: Socket[] = [];
    const silent = createServer((c) => void held.push(c));
    await new Promise<void>((r) => silent.listen(path, r));
    try {
      expect(await controlRequest(path, { op: 'status' }, { timeoutMs: 100 })).toMatchObject({
        ok: false,
        error: { kind: 'timeout' },
      });
    } finally {
      held.forEach((c) => c.destroy());
      await new Promise((r) => silent.close(r));
    }
  });
});
