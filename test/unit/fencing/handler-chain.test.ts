import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FenceTarget } from '../../../src/fencing/handler-env.js';
import { fenceHandlerEnv } from '../../../src/fencing/handler-env.js';
import {
  createFencePort,
  runFenceChain,
  type FenceHandlerConfig,
} from '../../../src/fencing/handler-chain.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-fence-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function handler(
  name: string,
  body: string,
  timeoutMs = 5_000,
  extra: Partial<FenceHandlerConfig> = {},
): FenceHandlerConfig {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho "${name} ran" >> '${dir}/order.log'\n${body}\n`);
  chmodSync(path, 0o755);
  return { name, command: [path, '--target', 'bravo'], timeoutMs, ...extra };
}

const target: FenceTarget = {
  cluster: 'drbd-pair',
  localNode: 'alpha',
  peer: 'bravo',
  peerAddresses: ['192.168.110.23', '10.10.0.2'],
  resources: ['r0'],
  reason: 'peer-unreachable',
};

const order = (): string[] => readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n');

describe('runFenceChain', () => {
  it('runs handlers in order until one exits 0; the rest are not run', async () => {
    const out = await runFenceChain(target, {
      handlers: [
        handler('ipmi', 'echo "ipmi: no route to BMC" >&2; exit 1'),
        handler('pdu', 'echo "outlet 4 off"; exit 0'),
        handler('never', 'exit 0'),
      ],
    });
    expect(out.status).toBe('fenced');
    expect(order()).toEqual(['ipmi ran', 'pdu ran']);
    expect(out.handlers.map((h) => [h.name, h.status, h.exitCode])).toEqual([
      ['ipmi', 'failed', 1],
      ['pdu', 'ok', 0],
      ['never', 'not-run', null],
    ]);
    expect(out.handlers[0]?.output).toBe('ipmi: no route to BMC');
    expect(out.handlers[1]?.output).toBe('outlet 4 off');
    expect(out.detail).toContain('bravo fenced by pdu');
  });

  it('gives each handler the environment naming the peer', async () => {
    const out = await runFenceChain(
      { ...target, resources: ['r0', 'r1'] },
      {
        handlers: [
          handler(
            'envdump',
            `env | grep -E '^(SENTINEL|DRBD)_' | sort > '${dir}/env.txt'; echo "$@" > '${dir}/args.txt'`,
          ),
        ],
      },
    );
    expect(out.status).toBe('fenced');
    const env = Object.fromEntries(
      readFileSync(join(dir, 'env.txt'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toEqual({
      SENTINEL_EVENT: 'fence-peer',
      SENTINEL_CLUSTER: 'drbd-pair',
      SENTINEL_NODE: 'alpha',
      SENTINEL_PEER: 'bravo',
      SENTINEL_PEER_ADDRESSES: '192.168.110.23 10.10.0.2',
      SENTINEL_RESOURCES: 'r0 r1',
      SENTINEL_REASON: 'peer-unreachable',
      SENTINEL_HANDLER: 'envdump',
      DRBD_PEERS: 'bravo',
      DRBD_PEER: 'bravo',
      DRBD_PEER_ADDRESS: '192.168.110.23',
    });
    // Arguments are passed as given, without a shell.
    expect(readFileSync(join(dir, 'args.txt'), 'utf8')).toBe('--target bravo\n');
  });

  it('names the resource DRBD-style only when exactly one is at stake', () => {
    expect(fenceHandlerEnv(target, 'x').DRBD_RESOURCE).toBe('r0');
    expect(fenceHandlerEnv({ ...target, resources: ['r0', 'r1'] }, 'x').DRBD_RESOURCE).toBeUndefined();
  });

  it('kills a handler that outlives its timeout and moves on to the next', async () => {
    const out = await runFenceChain(target, {
      handlers: [handler('hangs', 'exec sleep 30', 200), handler('works', 'exit 0')],
    });
    expect(out.status).toBe('fenced');
    expect(out.handlers.map((h) => [h.name, h.status])).toEqual([
      ['hangs', 'timeout'],
      ['works', 'ok'],
    ]);
  });

  it('fails when every handler fails, times out or cannot start', async () => {
    const out = await runFenceChain(target, {
      handlers: [
        handler('fails', 'exit 2'),
        handler('hangs', 'exec sleep 30', 200),
        { name: 'missing', command: [join(dir, 'no-such-agent')], timeoutMs: 1000 },
      ],
    });
    expect(out.status).toBe('failed');
    expect(out.handlers.map((h) => h.status)).toEqual(['failed', 'timeout', 'spawn-error']);
    expect(out.detail).toMatch(
      /^no handler fenced bravo: fails: exit 2; hangs: timeout after \d+ ms; missing: could not start/,
    );
  });

  it('fails with no handler configured', async () => {
    expect((await runFenceChain(target, { handlers: [] })).status).toBe('failed');
  });

  it('accepts DRBD-style success codes where configured (exit 7 = stonithed)', async () => {
    const drbdStyle = handler('stonith_admin-fence-peer', 'exit 7', 5000, { successExitCodes: [7] });
    expect((await runFenceChain(target, { handlers: [drbdStyle] })).status).toBe('fenced');
    const plain = handler('plain', 'exit 7');
    expect((await runFenceChain(target, { handlers: [plain] })).status).toBe('failed');
  });

  it('an abort stops the running handler; the outcome is timeout and the rest are not run', async () => {
    const ac = new AbortController();
    const port = createFencePort(
      { cluster: 'c', localNode: 'alpha', peer: 'bravo', peerAddresses: [], resources: ['r0'] },
      { handlers: [handler('hangs', 'exec sleep 30'), handler('next', 'exit 0')] },
    );
    const p = port.fencePeer('engine-reason', ac.signal);
    setTimeout(() => ac.abort(), 100);
    const out = await p;
    expect(out.status).toBe('timeout');
    expect(out.handlers.map((h) => h.status)).toEqual(['aborted', 'not-run']);
  });
});
