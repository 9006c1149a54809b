/**
 * `drbd-sentinel fence-peer` / `unfence-peer` against a fake daemon: a raw unix socket server in
 * the test speaking the control protocol (one JSON line each way). Every case runs through the commander
 * definitions and through the fast path dist/cli.js takes for DRBD's handler line, which must agree.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerFencePeerCommand } from '../../../src/cli/fence-peer.js';
import { fastCommand } from '../../../src/cli/fast-args.js';
import { runFast } from '../../../src/cli/fast-path.js';
import { CliExit } from '../../../src/cli/program-exit.js';

let dir: string;
let server: Server | null = null;
let received: Record<string, unknown>[] = [];
let connections = 0;
const savedEnv = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-fencecli-'));
  received = [];
  connections = 0;
  process.env.DRBD_RESOURCE = 'r0';
  process.env.DRBD_MINOR = '1';
  process.env.DRBD_PEER_ADDRESS = '10.77.0.2';
});

afterEach(async () => {
  process.env = { ...savedEnv };
  if (server) await new Promise((r) => server?.close(r));
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

/** A fake daemon: answers each request line with `answer(request)`, or never when it returns null. */
async function fakeDaemon(answer: (req: Record<string, unknown>) => object | null): Promise<string> {
  const path = join(dir, 'control.sock');
  server = createServer((socket) => {
    connections++;
    let buf = '';
    socket.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const req = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
      received.push(req);
      const a = answer(req);
      if (a !== null) socket.write(`${JSON.stringify({ v: 1, id: req.id ?? null, ...a })}\n`);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server?.listen(path, r));
  return path;
}

const result = (exitCode: number, message: string) => () => ({ ok: true, result: { exitCode, message } });

/** One run through the commander definitions (src/cli/fence-peer.ts), as the whole program runs them. */
async function viaCommander(
  args: readonly string[],
): Promise<{ code: number; message: string; stderr: string }> {
  const program = new Command('drbd-sentinel')
    .option('-c, --config <file>', 'configuration file', join(dir, 'none.yaml'))
    .exitOverride();
  registerFencePeerCommand(program);
  const saved = captureStderr();
  const savedExit = process.exitCode;
  try {
    await program.parseAsync(['node', 'drbd-sentinel', ...args]);
    return {
      code: typeof process.exitCode === 'number' ? process.exitCode : 0,
      message: '',
      stderr: saved.text(),
    };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, message: e.message, stderr: saved.text() };
    throw e;
  } finally {
    process.exitCode = savedExit;
    vi.restoreAllMocks();
  }
}

/** One run through the fast path (src/cli/fast-path.ts), as dist/cli.js runs DRBD's handler line. */
async function viaFastPath(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  const command = fastCommand(['-c', join(dir, 'none.yaml'), ...args]);
  if (command === null) throw new Error(`the fast path does not take ${args.join(' ')}`);
  const saved = captureStderr();
  const savedExit = process.exitCode;
  try {
    return { code: await runFast(command), stderr: saved.text() };
  } finally {
    process.exitCode = savedExit;
    vi.restoreAllMocks();
  }
}

function captureStderr(): { text: () => string } {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  return { text: () => stderr };
}

const withoutId = (reqs: readonly Record<string, unknown>[]) => reqs.map(({ id: _id, ...rest }) => rest);

/**
 * Runs the command line both ways and requires the same exit code, the same stderr (the commander path's
 * CliExit message is what runCli prints) and the same requests to the daemon; returns the commander run,
 * with `received` and `connections` as it left them.
 */
async function cli(...args: string[]): Promise<{ code: number; message: string; stderr: string }> {
  const [before, connectionsBefore] = [[...received], connections];
  const slow = await viaCommander(args);
  const [slowReceived, slowConnections] = [[...received], connections];
  [received, connections] = [[...before], connectionsBefore];
  const fast = await viaFastPath(args);
  const what = `fast path: ${args.join(' ')}`;
  expect(fast.code, what).toBe(slow.code);
  expect(fast.stderr, what).toBe(slow.stderr + (slow.message ? `drbd-sentinel: ${slow.message}\n` : ''));
  expect(withoutId(received), what).toEqual(withoutId(slowReceived));
  expect(connections, what).toBe(slowConnections);
  [received, connections] = [slowReceived, slowConnections];
  return slow;
}

describe('drbd-sentinel fence-peer', () => {
  it.each([
    [3, 'r0: peer disk inconsistent or worse'],
    [4, 'r0: peer disk outdated'],
    [5, 'r0: peer unreachable (policy resource-only)'],
    [6, 'r0: peer is primary'],
    [7, 'r0: peer unreachable on every heartbeat link; node fencing fenced'],
  ])('exits %i as the daemon answers', async (code, message) => {
    const socket = await fakeDaemon(result(code, message));
    const r = await cli('fence-peer', '--socket', socket);
    expect(r.code).toBe(code);
    expect(r.message).toBe(`fence-peer r0: exit ${code}: ${message}`);
    expect(received).toEqual([expect.objectContaining({ v: 1, op: 'fence-peer', resource: 'r0' })]);
  });

  it('exits 1 when the daemon refuses', async () => {
    const socket = await fakeDaemon(() => ({
      ok: false,
      error: { code: 'E_CONTROL', message: 'no resource r0' },
    }));
    const r = await cli('fence-peer', '--socket', socket);
    expect(r.code).toBe(1);
    expect(r.message).toContain('no resource r0');
  });

  it('exits 1 when the daemon answers a code DRBD would not understand', async () => {
    const socket = await fakeDaemon(result(0, 'looks fine'));
    expect((await cli('fence-peer', '--socket', socket)).code).toBe(1);
  });

  it('exits 1 when no daemon runs', async () => {
    const r = await cli('fence-peer', '--socket', join(dir, 'nobody.sock'));
    expect(r.code).toBe(1);
    expect(r.message).toContain('daemon not reachable');
  });

  it('exits 1 when the daemon does not answer in time', async () => {
    const socket = await fakeDaemon(() => null);
    const r = await cli('fence-peer', '--socket', socket, '--timeout', '200ms');
    expect(r.code).toBe(1);
    expect(r.message).toMatch(/no answer/);
  });

  it('exits 1 without DRBD_RESOURCE (never 2..7), and asks nothing', async () => {
    delete process.env.DRBD_RESOURCE;
    const socket = await fakeDaemon(result(4, 'must not be asked'));
    const r = await cli('fence-peer', '--socket', socket);
    expect(r.code).toBe(1);
    expect(r.message).toBe(
      'fence-peer: DRBD_RESOURCE is not set: run this command as DRBD handler; nothing was asked of the daemon',
    );
    expect(connections).toBe(0);
  });
});

const BAD_ENV: readonly (readonly [string, Record<string, string>, string])[] = [
  ['an empty DRBD_RESOURCE', { DRBD_RESOURCE: '' }, 'DRBD_RESOURCE is not set'],
  [
    'a DRBD_RESOURCE with a newline',
    { DRBD_RESOURCE: 'r0\nr1' },
    'DRBD_RESOURCE is not a DRBD resource name: "r0\\nr1"',
  ],
  ['a 10 KB DRBD_RESOURCE', { DRBD_RESOURCE: 'r'.repeat(10_000) }, '(10000 characters)'],
  ['a DRBD_RESOURCE with a slash', { DRBD_RESOURCE: '../r0' }, 'not a DRBD resource name'],
  ['a DRBD_RESOURCE with a space', { DRBD_RESOURCE: 'r0 r1' }, 'not a DRBD resource name'],
  ['a DRBD_RESOURCE that looks like an option', { DRBD_RESOURCE: '-all' }, 'not a DRBD resource name'],
  ['a garbage DRBD_MINOR', { DRBD_MINOR: '1; rm -rf /' }, 'DRBD_MINOR is not a number: "1; rm -rf /"'],
  ['a negative DRBD_MINOR', { DRBD_MINOR: '-1' }, 'DRBD_MINOR is not a number'],
  ['a huge DRBD_MINOR', { DRBD_MINOR: '9'.repeat(30) }, 'DRBD_MINOR is not a number'],
  ['a garbage DRBD_MINOR_0', { DRBD_MINOR: '', DRBD_MINOR_0: 'x' }, 'DRBD_MINOR_0 is not a number'],
  ['a garbage DRBD_PEER_NODE_ID', { DRBD_PEER_NODE_ID: 'one' }, 'DRBD_PEER_NODE_ID is not a number'],
  [
    'a garbage DRBD_PEER_ADDRESS',
    { DRBD_PEER_ADDRESS: '10.77.0.2\nx' },
    'DRBD_PEER_ADDRESS is not an IP address',
  ],
  [
    'a host name as DRBD_PEER_ADDRESS',
    { DRBD_PEER_ADDRESS: 'bravo' },
    'DRBD_PEER_ADDRESS is not an IP address',
  ],
  [
    'a 10 KB DRBD_PEER_ADDRESS',
    { DRBD_PEER_ADDRESS: '1'.repeat(10_000) },
    'DRBD_PEER_ADDRESS is not an IP address',
  ],
];

describe('fence-peer and unfence-peer with a malformed DRBD environment', () => {
  it.each(BAD_ENV)('%s: exit 1, a clear message, the daemon is never asked', async (_name, env, message) => {
    const socket = await fakeDaemon(result(4, 'must not be asked'));
    Object.assign(process.env, env);
    for (const command of ['fence-peer', 'unfence-peer']) {
      const r = await cli(command, '--socket', socket);
      expect(r.code, command).toBe(1);
      expect(r.message).toContain(`${command}: `);
      expect(r.message).toContain(message);
      expect(r.message).toContain('nothing was asked of the daemon');
      expect(r.message.length).toBeLessThan(300);
    }
    expect(connections).toBe(0);
    expect(received).toEqual([]);
  });

  it('a bad --timeout exits 1 (not a usage code DRBD could mistake), the daemon is never asked', async () => {
    const socket = await fakeDaemon(result(4, 'must not be asked'));
    const r = await cli('fence-peer', '--socket', socket, '--timeout', 'soon');
    expect(r.code).toBe(1);
    expect(r.message).toContain('--timeout');
    expect(connections).toBe(0);
  });

  it('an IPv6 DRBD_PEER_ADDRESS and an empty one are accepted', async () => {
    const socket = await fakeDaemon(result(4, 'peer disk outdated'));
    for (const address of ['fd00::2', '']) {
      process.env.DRBD_PEER_ADDRESS = address;
      expect((await cli('fence-peer', '--socket', socket)).code).toBe(4);
    }
  });
});

describe('drbd-sentinel unfence-peer', () => {
  it('tells the daemon and exits 0', async () => {
    const socket = await fakeDaemon(result(0, 'constraint for r0 removed'));
    const r = await cli('unfence-peer', '--socket', socket);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('unfence-peer r0: constraint for r0 removed');
    expect(received).toEqual([expect.objectContaining({ op: 'unfence-peer', resource: 'r0' })]);
  });

  it('exits 0 even when no daemon runs (DRBD only logs this handler)', async () => {
    const r = await cli('unfence-peer', '--socket', join(dir, 'nobody.sock'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('daemon not told');
  });
});
