import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { err, ok } from '../../../src/common/result.js';
import {
  controlRequest,
  startControlServer,
  type ControlHandlers,
  type ControlServer,
} from '../../../src/control/index.js';
import {
  fencePeerViaDaemon,
  unfencePeerViaDaemon,
  type FenceControlCall,
} from '../../../src/fencing/index.js';

// The DRBD handler entry points (src/fencing) and the control server (src/control) speak the same protocol:
// fencing's client side is wired to the real controlRequest against a real server here.
let dir: string;
let server: ControlServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-fence-agree-'));
});
afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const unused = () => err({ code: 'E_CONTROL', message: 'not in this test' });

describe('fence-peer over the control socket', () => {
  it('turns the daemon answer into the DRBD exit code, and a missing daemon into 1', async () => {
    const path = join(dir, 'control.sock');
    const seen: unknown[] = [];
    const handlers: ControlHandlers = {
      status: unused,
      switchover: unused,
      standby: unused,
      maintenance: unused,
      'notify-test': unused,
      'fence-peer': (r) => (seen.push(r), ok({ exitCode: 4, message: `${r.resource}: peer disk outdated` })),
      'unfence-peer': (r) => (seen.push(r), ok({ exitCode: 0, message: `${r.resource}: unfenced` })),
    };
    const started = await startControlServer({ path, handlers });
    if (!started.ok) throw new Error(started.error.message);
    server = started.value;

    const call: FenceControlCall = (request, timeoutMs) => controlRequest(path, request, { timeoutMs });
    expect(await fencePeerViaDaemon('r0', call, 5_000)).toEqual({
      exitCode: 4,
      message: 'r0: peer disk outdated',
    });
    expect(await unfencePeerViaDaemon('r0', call, 5_000)).toEqual({ exitCode: 0, message: 'r0: unfenced' });
    expect(seen).toEqual([
      { op: 'fence-peer', resource: 'r0' },
      { op: 'unfence-peer', resource: 'r0' },
    ]);

    const missing: FenceControlCall = (request, timeoutMs) =>
      controlRequest(join(dir, 'gone.sock'), request, { timeoutMs });
    expect(await fencePeerViaDaemon('r0', missing, 5_000)).toMatchObject({
      exitCode: 1,
      message: expect.stringContaining('daemon not reachable'),
    });
  });
});
