import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/exec.js';
import { createFenceTrace } from './support/fence-trace.js';
import { resourceOf, withNetnsPair, type NodeIndex } from './support/netns-pair.js';

const cli = resolve(import.meta.dirname, '..', '..', 'dist', 'cli.js');

describe('netns: fence-peer calls that prove no need (issue 17.1)', () => {
  it('an unmanaged resource, or r0 while DRBD is Connected: exit 1 on either node, no outdate, no fence', async () => {
    const trace = createFenceTrace();
    try {
      await withNetnsPair('fence-peer-unknown', { fenceHandler: trace.handler }, async (p) => {
        const { pair, primary, secondary } = p;
        const fencePeer = (i: NodeIndex, resource: string) =>
          runCommand([process.execPath, cli, 'fence-peer', '-c', pair.paths[i].config], {
            timeoutMs: 60_000,
            env: { DRBD_RESOURCE: resource },
          });
        for (const i of [primary, secondary]) {
          const r = await fencePeer(i, 'nope');
          expect(r.status).toBe('failed');
          expect(r.status === 'failed' ? r.exitCode : null).toBe(1);
          expect(r.status === 'failed' ? r.stdout + r.stderr : '').toContain(
            'resource nope is not managed by drbd-sentinel (configured: r0)',
          );
          expect(p.daemonLog(i).map((l) => l.code)).toContain('FENCE_PEER_UNKNOWN_RESOURCE');
          // A stale call for r0 while this node's DRBD still replicates to the peer.
          const stale = await fencePeer(i, 'r0');
          expect(stale.status === 'failed' ? stale.exitCode : null).toBe(1);
          expect(p.daemonLog(i).map((l) => l.code)).toContain('FENCE_PEER_STILL_CONNECTED');
        }
        // Nothing changed: both nodes up, the Secondary still UpToDate and Connected, no handler ran.
        const [a, b] = await p.waitFor('both daemons answer', (x, y) => x !== null && y !== null, 10_000);
        const sec = resourceOf(secondary === 0 ? a : b);
        expect(sec).toMatchObject({ role: 'Secondary', disk: 'UpToDate', cstate: 'Connected' });
        for (const i of [0, 1] as const) {
          expect(pair.running(i, 'daemon') && pair.running(i, 'drbd')).toBe(true);
          expect(p.daemonLog(i).some((l) => l.msg === 'peer asked to outdate')).toBe(false);
        }
        expect(trace.runs()).toEqual([]);
        expect(await p.write(primary, 10)).toBe(10);
        await p.checkWrites();
      });
    } finally {
      trace.dispose();
    }
  });
});
