import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerMaintenanceCommand } from '../../../src/cli/maintenance.js';
import { registerNotifyTestCommand } from '../../../src/cli/notify-test.js';
import { CliExit } from '../../../src/cli/program-exit.js';
import { registerStandbyCommand } from '../../../src/cli/standby.js';
import { registerStatusCommand } from '../../../src/cli/status.js';
import { registerSwitchoverCommand } from '../../../src/cli/switchover.js';
import { err, ok } from '../../../src/common/result.js';
import {
  DEFAULT_CONTROL_SOCKET,
  renderStatus,
  resolveControlSocket,
  startControlServer,
  type ControlHandlers,
  type ControlServer,
  type StatusSnapshot,
} from '../../../src/control/index.js';

const snapshot = JSON.parse(
  readFileSync(new URL('./fixtures/status-primary-syncing.json', import.meta.url), 'utf8'),
) as StatusSnapshot;

let dir: string;
let server: ControlServer | undefined;
const calls: unknown[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-cli-'));
  calls.length = 0;
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

const handlers: ControlHandlers = {
  status: () => ok(snapshot),
  switchover: (r) => {
    calls.push(r);
    if (r.resource === 'busy')
      return ok({
        summary: 'switchover of busy to bravo failed at umount',
        steps: [
          { step: 'pre-checks', status: 'ok', durationMs: 3 },
          { step: 'umount /srv on alpha', status: 'failed', detail: 'target is busy' },
        ],
      });
    return ok({
      summary: `switchover of ${r.resource ?? 'all'} to ${r.to ?? 'bravo'} done`,
      steps: [{ step: 'pre-checks', status: 'ok', durationMs: 3 }],
    });
  },
  standby: (r) => (calls.push(r), ok({ summary: `standby ${r.on ? 'on' : 'off'}`, steps: [] })),
  maintenance: (r) => (
    calls.push(r),
    err({ code: 'maintenance-peer-unreachable', message: 'bravo did not confirm' })
  ),
  'fence-peer': () => ok({ exitCode: 4, message: '' }),
  'unfence-peer': () => ok({ exitCode: 0, message: '' }),
  'notify-test': (r) =>
    ok({
      deliveries:
        r.event === 'peer-back'
          ? []
          : [
              { hook: '/usr/local/bin/page', kind: 'command', status: 'ok', attempts: 1, durationMs: 12 },
              {
                hook: 'chat',
                kind: 'webhook',
                status: 'failed',
                reason: 'webhook-http-status',
                detail: 'HTTP 500',
                attempts: 4,
                durationMs: 900,
              },
            ],
    }),
};

async function startDaemon(path = join(dir, 'control.sock')): Promise<string> {
  const r = await startControlServer({ path, handlers });
  if (!r.ok) throw new Error(r.error.message);
  server = r.value;
  return path;
}

/** Runs the CLI in-process like runCli does; returns exit code, stdout and the CliExit message. */
async function cli(...args: string[]): Promise<{ code: number; out: string; message: string }> {
  const program = new Command('drbd-sentinel')
    .option('-c, --config <file>', 'configuration file', join(dir, 'none.yaml'))
    .exitOverride();
  for (const register of [
    registerStatusCommand,
    registerSwitchoverCommand,
    registerStandbyCommand,
    registerMaintenanceCommand,
    registerNotifyTestCommand,
  ])
    register(program);
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'drbd-sentinel', ...args]);
    return { code: 0, out, message: '' };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, out, message: e.message };
    throw e;
  } finally {
    vi.restoreAllMocks();
  }
}

describe('control CLI commands', () => {
  it('status prints the table, --json the same facts', async () => {
    const socket = await startDaemon();
    expect(await cli('status', '--socket', socket)).toEqual({
      code: 0,
      out: renderStatus(snapshot),
      message: '',
    });
    const json = await cli('status', '--json', '--socket', socket);
    expect(JSON.parse(json.out)).toEqual(snapshot);
  });

  it('reads the socket path from control.socket of the configuration file', async () => {
    const socket = await startDaemon(join(dir, 'elsewhere', 'ctl.sock'));
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `cluster:\n  name: prod\ncontrol:\n  socket: ${socket}\n`);
    expect((await cli('-c', config, 'status')).code).toBe(0);
    expect((await cli('status', '-c', config)).code).toBe(0);
  });

  it('says clearly that the daemon is not running, exit 1', async () => {
    const r = await cli('status', '--socket', join(dir, 'nope.sock'));
    expect(r.code).toBe(1);
    expect(r.message).toMatch(/the daemon is not running \(nothing listens on .*nope\.sock\)/);
  });

  it('switchover passes resource and target and prints each step; a failed step exits 1', async () => {
    const socket = await startDaemon();
    expect(await cli('switchover', 'r0', '--to', 'bravo', '--socket', socket)).toEqual({
      code: 0,
      out: 'switchover of r0 to bravo done\n  ok      pre-checks (3ms)\n',
      message: '',
    });
    expect((await cli('switchover', '--socket', socket)).code).toBe(0);
    expect(calls).toEqual([
      { op: 'switchover', resource: 'r0', to: 'bravo' },
      { op: 'switchover', resource: null, to: null },
    ]);
    const busy = await cli('switchover', 'busy', '--socket', socket);
    expect(busy.code).toBe(1);
    expect(busy.out).toContain('  failed  umount /srv on alpha: target is busy\n');
  });

  it('standby and maintenance take on|off; a refusal exits 1 with its reason code', async () => {
    const socket = await startDaemon();
    expect(await cli('standby', 'on', '--socket', socket)).toEqual({
      code: 0,
      out: 'standby on\n',
      message: '',
    });
    expect(await cli('maintenance', 'off', '--socket', socket)).toEqual({
      code: 1,
      out: '',
      message: 'refused (maintenance-peer-unreachable): bravo did not confirm',
    });
    expect((await cli('standby', 'maybe', '--socket', socket)).code).toBe(2);
    expect(calls).toEqual([
      { op: 'standby', on: true },
      { op: 'maintenance', on: false },
    ]);
  });

  it('notify-test reports every delivery and exits 1 when one failed or none receives the event', async () => {
    const socket = await startDaemon();
    const r = await cli('notify-test', 'failover', '--socket', socket);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      'ok     command /usr/local/bin/page (1 attempt(s), 12ms)\nfailed webhook chat (4 attempt(s), 900ms) webhook-http-status: HTTP 500\n',
    );
    expect(await cli('notify-test', 'peer-back', '--socket', socket)).toMatchObject({
      code: 1,
      message: 'no notify entry receives peer-back',
    });
    expect((await cli('notify-test', 'bogus', '--socket', socket)).code).toBe(2);
  });
});

describe('resolveControlSocket', () => {
  it('prefers --socket, then control.socket, then the default', () => {
    const config = join(dir, 'c.yaml');
    writeFileSync(config, 'control:\n  socket: /run/x/ctl.sock\n');
    expect(resolveControlSocket({ socket: '/tmp/a.sock', config })).toBe('/tmp/a.sock');
    expect(resolveControlSocket({ config })).toBe('/run/x/ctl.sock');
    expect(resolveControlSocket({ config: join(dir, 'missing.yaml') })).toBe(DEFAULT_CONTROL_SOCKET);
    writeFileSync(config, ': not yaml [');
    expect(resolveControlSocket({ config })).toBe(DEFAULT_CONTROL_SOCKET);
    writeFileSync(config, 'control:\n  socket: relative.sock\n');
    expect(resolveControlSocket({ config })).toBe(DEFAULT_CONTROL_SOCKET);
  });
});
