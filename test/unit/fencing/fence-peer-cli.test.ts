/**
 * `drbd-sentinel fence-peer` / `unfence-peer` against a fake daemon: a raw unix socket server in
 * the test speaking the control protocol (one JSON line each way).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerFencePeerCommand } from '../../../src/cli/fence-peer.js';
import { CliExit } from '../../../src/cli/program-exit.js';

let dir: string;
let server: Server | null = null;
let received: Record<string, unknown>[] = [];
const savedEnv = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-fencecli-'));
  received = [];
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

async function cli(...args: string[]): Promise<{ code: number; message: string; stderr: string }> {
  const program = new Command('drbd-sentinel')
    .option('-c, --config <file>', 'configuration file', join(dir, 'none.yaml'))
    .exitOverride();
  registerFencePeerCommand(program);
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const savedExit = process.exitCode;
  try {
    await program.parseAsync(['node', 'drbd-sentinel', ...args]);
    return { code: typeof process.exitCode === 'number' ? process.exitCode : 0, message: '', stderr };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, message: e.message, stderr };
    throw e;
  } finally {
    process.exitCode = savedExit;
    vi.restoreAllMocks();
  }
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

  it('is a usage error without DRBD_RESOURCE', async () => {
    delete process.env.DRBD_RESOURCE;
    const r = await cli('fence-peer', '--socket', join(dir, 'nobody.sock'));
    expect(r.code).toBe(2);
    expect(r.message).toContain('DRBD_RESOURCE');
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
