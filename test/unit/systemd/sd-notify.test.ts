import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSdNotifier, sdNotifyArgs } from '../../../src/systemd/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-sdnotify-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sdNotifyArgs', () => {
  it('builds plain assignments without a shell and without --pid', () => {
    expect(sdNotifyArgs({ ready: true, status: 'up: r0 Primary' })).toEqual([
      '--no-block',
      'READY=1',
      'STATUS=up: r0 Primary',
    ]);
    expect(sdNotifyArgs({ watchdog: true })).toEqual(['--no-block', 'WATCHDOG=1']);
    expect(sdNotifyArgs({ stopping: true })).toEqual(['--no-block', 'STOPPING=1']);
    expect(sdNotifyArgs({})).toBeNull();
  });

  it('keeps a status on one line so it cannot inject another assignment', () => {
    expect(sdNotifyArgs({ status: 'a\nREADY=1' })).toEqual(['--no-block', 'STATUS=a READY=1']);
  });
});

describe('createSdNotifier with a fake systemd-notify', () => {
  function fakeTool(): { path: string; log: string } {
    const path = join(dir, 'systemd-notify');
    const log = join(dir, 'calls');
    writeFileSync(path, `#!/bin/sh\nprintf '%s|' "$NOTIFY_SOCKET" "$@" >> '${log}'\necho >> '${log}'\n`);
    chmodSync(path, 0o755);
    return { path, log };
  }

  it('is a no-op when NOTIFY_SOCKET is unset', async () => {
    const { path, log } = fakeTool();
    const n = createSdNotifier({ env: {}, command: path });
    expect(n.enabled).toBe(false);
    expect(await n.notify({ ready: true })).toEqual({ status: 'disabled' });
    expect(() => readFileSync(log)).toThrow();
  });

  it('passes each message as arguments, in call order, with the notify socket in the environment', async () => {
    const { path, log } = fakeTool();
    const n = createSdNotifier({
      env: { NOTIFY_SOCKET: '/run/x.sock', PATH: process.env.PATH },
      command: path,
    });
    const results = await Promise.all([
      n.notify({ ready: true, status: 'ready' }),
      n.notify({ watchdog: true }),
      n.notify({ status: 'it is "quoted"; $(not run)' }),
      n.notify({ stopping: true }),
    ]);
    expect(results.every((r) => r.status === 'sent')).toBe(true);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      '/run/x.sock|--no-block|READY=1|STATUS=ready|',
      '/run/x.sock|--no-block|WATCHDOG=1|',
      '/run/x.sock|--no-block|STATUS=it is "quoted"; $(not run)|',
      '/run/x.sock|--no-block|STOPPING=1|',
    ]);
  });

  it('reports a failing or missing tool as a value', async () => {
    const failing = join(dir, 'fail');
    writeFileSync(failing, '#!/bin/sh\necho nope >&2\nexit 1\n');
    chmodSync(failing, 0o755);
    const env = { NOTIFY_SOCKET: '/run/x.sock' };
    expect(await createSdNotifier({ env, command: failing }).notify({ ready: true })).toEqual({
      status: 'failed',
      code: 'E_EXEC_FAILED',
      detail: 'nope',
    });
    expect(
      await createSdNotifier({ env, command: join(dir, 'missing') }).notify({ ready: true }),
    ).toMatchObject({
      status: 'failed',
      code: 'E_EXEC_SPAWN',
    });
  });
});

describe('createSdNotifier with the real systemd-notify', () => {
  let receiver: ChildProcess | undefined;
  afterEach(() => {
    receiver?.kill('SIGKILL');
    receiver = undefined;
  });

  it('delivers READY, STATUS, WATCHDOG and STOPPING datagrams attributed to this process', async () => {
    const socketPath = join(dir, 'notify.sock');
    const script = new URL('./notify-receiver.py', import.meta.url).pathname;
    const proc = spawn('python3', [script, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    receiver = proc;
    const lines: string[] = [];
    const waiters: Array<() => void> = [];
    const rl = createInterface({ input: proc.stdout! });
    rl.on('line', (l) => {
      lines.push(l);
      waiters.splice(0).forEach((w) => w());
    });
    const waitLines = async (n: number) => {
      while (lines.length < n) await new Promise<void>((r) => waiters.push(r));
    };
    await waitLines(1);
    expect(lines[0]).toBe('ready');

    const n = createSdNotifier({ env: { ...process.env, NOTIFY_SOCKET: socketPath } });
    expect(await n.notify({ ready: true, status: 'observing 1 resource' })).toEqual({ status: 'sent' });
    expect(await n.notify({ watchdog: true })).toEqual({ status: 'sent' });
    expect(await n.notify({ stopping: true, status: 'stopping' })).toEqual({ status: 'sent' });
    await waitLines(4);
    const got = lines.slice(1).map((l) => JSON.parse(l) as { pid: number; message: string });
    expect(got.map((g) => g.message)).toEqual([
      'READY=1\nSTATUS=observing 1 resource',
      'WATCHDOG=1',
      'STATUS=stopping\nSTOPPING=1',
    ]);
    // systemd-notify 252 sends its parent's PID: systemd attributes the message to the daemon (NotifyAccess=main).
    expect(got.map((g) => g.pid)).toEqual([process.pid, process.pid, process.pid]);
  });
});
