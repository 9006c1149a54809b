import { describe, expect, it } from 'vitest';
import { runCommand } from '../../../src/common/exec.js';

describe('runCommand', () => {
  it('returns stdout of a successful command without a shell', async () => {
    const r = await runCommand(['/bin/echo', 'a; echo b'], { timeoutMs: 5000 });
    expect(r).toMatchObject({ status: 'ok', exitCode: 0, stdout: 'a; echo b\n' });
  });

  it('reports a non-zero exit with its output', async () => {
    const r = await runCommand(['/bin/sh', '-c', 'echo oops >&2; exit 17'], { timeoutMs: 5000 });
    expect(r).toMatchObject({ status: 'failed', exitCode: 17, stderr: 'oops\n' });
  });

  it('kills a command that outlives its timeout', async () => {
    const r = await runCommand(['/bin/sleep', '5'], { timeoutMs: 100 });
    expect(r.status).toBe('timeout');
    expect(r.durationMs).toBeLessThan(4000);
  });

  it('honours an abort signal', async () => {
    const ac = new AbortController();
    const p = runCommand(['/bin/sleep', '5'], { timeoutMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    expect((await p).status).toBe('aborted');
  });

  it('reports a missing program as a spawn error', async () => {
    const r = await runCommand(['/nonexistent/program'], { timeoutMs: 1000 });
    expect(r.status).toBe('spawn-error');
  });

  it('removes NOTIFY_SOCKET from the child environment', async () => {
    process.env.NOTIFY_SOCKET = '/run/systemd/notify';
    try {
      const r = await runCommand(['/bin/sh', '-c', 'echo "[${NOTIFY_SOCKET:-unset}] $EXTRA"'], {
        timeoutMs: 5000,
        env: { EXTRA: 'x' },
      });
      expect(r).toMatchObject({ status: 'ok', stdout: '[unset] x\n' });
    } finally {
      delete process.env.NOTIFY_SOCKET;
    }
  });

  it('feeds stdin', async () => {
    const r = await runCommand(['/bin/cat'], { timeoutMs: 5000, stdin: '{"a":1}' });
    expect(r).toMatchObject({ status: 'ok', stdout: '{"a":1}' });
  });
});
