/**
 * Who may use the control socket: the server relies on file modes (socket 0600, owned by the daemon's user;
 * its directory created 0700), not on peer credentials. The real CLI (dist/cli.js) run as `nobody` through
 * setpriv must be refused by the kernel, for every operation, read-only `status` included; root is served.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ok } from '../../../src/common/result.js';
import {
  startControlServer,
  type ControlHandlers,
  type ControlServer,
  type StatusSnapshot,
} from '../../../src/control/index.js';
import { asNobody as nobodyNode, nobodyView, removeNobodyView } from '../cli/as-nobody.js';
import { BUILT_CLI, requireBuild } from '../cli/built-cli.js';

let dir: string;
let server: ControlServer | null = null;
let calls: string[] = [];

beforeAll(() => {
  requireBuild();
  if (process.getuid?.() !== 0) throw new Error('this test runs clients as nobody: it needs root');
});
afterAll(removeNobodyView);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-control-perm-'));
  calls = [];
});
afterEach(async () => {
  await server?.close();
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

const handlers: ControlHandlers = {
  status: () => (calls.push('status'), ok({ node: 'alpha' } as unknown as StatusSnapshot)),
  switchover: () => (calls.push('switchover'), ok({ summary: 'moved', steps: [] })),
  standby: () => (calls.push('standby'), ok({ summary: 'standby', steps: [] })),
  maintenance: () => (calls.push('maintenance'), ok({ summary: 'maintenance', steps: [] })),
  'fence-peer': () => (calls.push('fence-peer'), ok({ exitCode: 4, message: 'outdated' })),
  'unfence-peer': () => (calls.push('unfence-peer'), ok({ exitCode: 0, message: 'ok' })),
  'notify-test': () => (calls.push('notify-test'), ok({ deliveries: [] })),
};

async function start(path: string): Promise<void> {
  const r = await startControlServer({ path, handlers });
  if (!r.ok) throw new Error(r.error.message);
  server = r.value;
}

/** Runs the built CLI (asynchronously: the server answers in this process), optionally as nobody. */
function cli(asNobody: boolean, args: string[], env: NodeJS.ProcessEnv = {}) {
  const [cmd, cmdArgs] = asNobody
    ? nobodyNode([`${nobodyView()}dist/cli.js`, ...args])
    : [process.execPath, [BUILT_CLI, ...args]];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      cmd as string,
      cmdArgs as string[],
      { timeout: 20_000, env: { PATH: process.env.PATH, ...env } },
      (_e, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('control socket permissions', () => {
  it('the socket is 0600 and owned by the daemon user; a missing directory is created 0700', async () => {
    const path = join(dir, 'run', 'control.sock');
    await start(path);
    const st = statSync(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.getuid?.());
    expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o700);
  });

  it('nobody is refused by the socket mode (directory 0755), for status and for operator commands', async () => {
    chmodSync(dir, 0o755);
    const path = join(dir, 'control.sock');
    await start(path);
    for (const args of [
      ['status', '--socket', path],
      ['status', '--json', '--socket', path],
      ['standby', 'on', '--socket', path],
      ['maintenance', 'on', '--socket', path],
    ]) {
      const r = await cli(true, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`permission denied on ${path} (run as root)`);
    }
    const fence = await cli(true, ['fence-peer', '--socket', path], { DRBD_RESOURCE: 'r0' });
    expect(fence.code).toBe(1); // never one of DRBD's answers 3..7
    expect(calls).toEqual([]);
    // Root is served.
    const root = await cli(false, ['status', '--json', '--socket', path]);
    expect(root.code).toBe(0);
    expect(JSON.parse(root.stdout)).toEqual({ node: 'alpha' });
    expect(calls).toEqual(['status']);
  });

  it('nobody is refused by the 0700 directory even before the socket mode', async () => {
    const path = join(dir, 'run', 'control.sock');
    await start(path);
    const r = await cli(true, ['status', '--socket', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('permission denied');
    expect(calls).toEqual([]);
  });

  it('refuses to listen in a directory others may write (they could replace the socket)', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = await startControlServer({ path: join(open, 'control.sock'), handlers });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('E_CONTROL');
      expect(r.error.message).toContain('is writable by group or others (mode 777)');
    }
    // A sticky directory (like /tmp) is fine: others cannot remove what they do not own.
    chmodSync(open, 0o1777);
    await start(join(open, 'control.sock'));
    expect(statSync(join(open, 'control.sock')).isSocket()).toBe(true);
  });
});
