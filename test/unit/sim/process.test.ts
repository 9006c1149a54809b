/**
 * The simulator's shell interface for real: two `sim node` processes replicating over TCP on
 * localhost, driven through the scripts/sim wrappers' entry (`sim drbdadm -- ...`) and the `sim`
 * fault commands, as the netns tests and the demo use them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../../src/common/exec.js';
import { controlRequest } from '../../../src/sim/process/control-client.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const CLI = ['node', '--import', 'tsx', join(ROOT, 'src/cli.ts')];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sim-proc-'));
const nodes: ChildProcess[] = [];

async function sim(node: 'a' | 'b', ...args: string[]) {
  const r = await runCommand([...CLI, 'sim', ...args], {
    timeoutMs: 30_000,
    env: { DRBD_SIM_DIR: join(dir, node) },
  });
  if (r.status === 'spawn-error' || r.status === 'timeout' || r.status === 'aborted')
    throw new Error(`sim ${args.join(' ')}: ${r.status}`);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
}

async function until(what: string, f: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const proc = (node: 'a' | 'b') => {
  try {
    return readFileSync(join(dir, node, 'proc-drbd'), 'utf8');
  } catch {
    return '';
  }
};

beforeAll(async () => {
  const [pa, pb] = [await freePort(), await freePort()];
  const start = (me: 'a' | 'b', name: string, peerName: string, listen: number, peer: number) => {
    const child = spawn(
      CLI[0] ?? 'node',
      [
        ...CLI.slice(1),
        'sim',
        'node',
        '--dir',
        join(dir, me),
        '--name',
        name,
        '--peer-name',
        peerName,
        '--listen',
        `127.0.0.1:${listen}`,
        '--peer',
        `127.0.0.1:${peer}`,
      ],
      { stdio: 'ignore' },
    );
    nodes.push(child);
  };
  start('a', 'alpha', 'bravo', pa, pb);
  start('b', 'bravo', 'alpha', pb, pa);
  await until(
    'both nodes connected',
    () => proc('a').includes('cs:Connected') && proc('b').includes('cs:Connected'),
  );
}, 60_000);

afterAll(() => {
  for (const n of nodes) n.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('sim node processes over TCP', () => {
  it('promote, refusals, mount, writes, crash and restart through the shell interface', async () => {
    expect((await sim('a', 'drbdadm', '--', 'primary', 'r0')).exitCode).toBe(0);
    const refused = await sim('b', 'drbdadm', '--', 'primary', 'r0');
    expect(refused.exitCode).toBe(11);
    expect(refused.stderr).toContain('Multiple primaries not allowed by config');
    expect((await sim('b', 'mount', '--', '/dev/drbd1', '/mnt/r0')).exitCode).toBe(32);
    expect((await sim('a', 'mount', '--', '/dev/drbd1', '/mnt/r0')).exitCode).toBe(0);
    const demote = await sim('a', 'drbdadm', '--', 'secondary', 'r0');
    expect(demote.stderr).toContain('Device is held open by someone');
    const w = await sim('a', 'write', '--count', '3');
    expect(w.exitCode).toBe(0);
    expect(w.stdout.match(/^acked /gm)).toHaveLength(3);
    const ev = await sim('a', 'drbdsetup', '--', 'events2', '--now', 'all');
    expect(ev.stdout).toContain('exists resource name:r0 role:Primary suspended:no');
    await until('proc-drbd shows Primary/Secondary', () => proc('a').includes('ro:Primary/Secondary'));
    expect((await sim('b', 'crash')).exitCode).toBe(0);
    await until('alpha notices the lost peer', () => proc('a').includes('cs:WFConnection'));
    expect((await sim('b', 'restart')).exitCode).toBe(0);
    await until(
      'reconnected',
      () => proc('a').includes('cs:Connected') && proc('b').includes('ds:UpToDate/UpToDate'),
    );
    const h = JSON.parse((await sim('b', 'history')).stdout) as { held: string[] };
    expect(h.held).toHaveLength(3);
  }, 120_000);

  it('a write the peer acknowledged survives the peer losing power right after the ack (protocol C)', async () => {
    await until(
      'reconnected',
      () => proc('a').includes('cs:Connected') && proc('b').includes('ds:UpToDate/UpToDate'),
    );
    const r = await controlRequest(join(dir, 'a'), { op: 'write', count: 5, waitMs: 5_000 });
    // SIGKILL of the peer the moment the acknowledgements are in: no later chance to save its disk.
    nodes[1]?.kill('SIGKILL');
    expect(r.ok).toBe(true);
    const acked = (r.ok ? (r.value as { acked: string[] }).acked : []) as string[];
    expect(acked).toHaveLength(5);
    const onPeerDisk = (JSON.parse(readFileSync(join(dir, 'b', 'md.json'), 'utf8')) as { writes: string[] })
      .writes;
    expect(acked.filter((id) => !onPeerDisk.includes(id))).toEqual([]);
  }, 60_000);
});
