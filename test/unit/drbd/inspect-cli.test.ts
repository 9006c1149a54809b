import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerInspectCommand } from '../../../src/cli/inspect.js';
import { CliExit } from '../../../src/cli/program-exit.js';
import { fixturePath } from './fixtures.js';

async function run(...args: string[]): Promise<{ code: number; stdout: string; message: string }> {
  const program = new Command('drbd-sentinel').exitOverride();
  registerInspectCommand(program);
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'drbd-sentinel', 'inspect', ...args]);
    return { code: 0, stdout, message: '' };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, stdout, message: e.message };
    throw e;
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('drbd-sentinel inspect', () => {
  it('prints the normalized /proc/drbd view as JSON', async () => {
    const r = await run('proc-drbd', fixturePath('real-8.4.11', 'proc-standalone-split-brain-alpha.txt'));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { version: string; devices: { cstate: string; role: string }[] };
    expect(out.version).toBe('8.4.11');
    expect(out.devices[0]).toMatchObject({ cstate: 'StandAlone', role: 'Primary' });
  });

  it('prints the state after all events2 lines', async () => {
    const r = await run('events2', fixturePath('events2', 'ev2-9-split-brain.txt'));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { devices: { cstate: string; splitBrain: { kind: string } }[] };
    expect(out.devices[0]).toMatchObject({ cstate: 'StandAlone', splitBrain: { kind: 'helper' } });
  });

  it('fails with exit 1 naming the line it cannot parse', async () => {
    const r = await run('events2', fixturePath('real-8.4.11', 'events2-now-primary-connected.txt'));
    expect(r.code).toBe(1);
    expect(r.message).toContain('line 3: unknown action "$"');
    const missing = await run('proc-drbd', fixturePath('no-such-file'));
    expect(missing.code).toBe(1);
    expect(missing.message).toContain('cannot read');
  });
});
