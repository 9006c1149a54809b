import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CommandOutcome, RunOptions } from '../../../src/common/exec.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { WarningProviderContext } from '../../../src/config/warning-providers.js';
import { createDrbdConfigWarningProvider } from '../../../src/drbd/config-warning-provider.js';
import { readFixture, withoutHeader } from './fixtures.js';

function context(): WarningProviderContext {
  const text = readFileSync(new URL('../../../config/drbd-sentinel.yaml', import.meta.url), 'utf8')
    // pin the DRBD version so the test does not read this machine's /proc/drbd
    .concat('\n');
  const loaded = parseConfigText(text, 'config.yaml', { secretFileCheck: false });
  if (!loaded.ok) throw new Error(loaded.error.map((p) => p.message).join('\n'));
  const config = { ...loaded.value.config, drbd: { ...loaded.value.config.drbd, version: '8.4' as const } };
  return { config, source: loaded.value.source, hostname: 'DRBD01' };
}

function runReturning(outcome: CommandOutcome, calls: string[][] = []) {
  return async (argv: readonly string[], _o: RunOptions): Promise<CommandOutcome> => {
    calls.push([...argv]);
    return outcome;
  };
}

const ok = (stdout: string): CommandOutcome => ({
  status: 'ok',
  exitCode: 0,
  stdout,
  stderr: '',
  durationMs: 1,
});

describe('the drbd-config check-config provider', () => {
  it('runs drbdadm dump-xml and reports findings at the resource and node keys, with the snippet', async () => {
    const ctx = context();
    const dump = withoutHeader(readFixture('dump-xml', 'dump-xml-84-default-no-fencing.txt'));
    const calls: string[][] = [];
    const problems = await createDrbdConfigWarningProvider({ run: runReturning(ok(dump), calls) }).provide(
      ctx,
    );
    expect(calls).toEqual([[ctx.config.drbd.drbdadm, 'dump-xml']]);
    const paths = problems.map((p) => `${p.path} ${p.message.split(':')[0]}`);
    expect(paths.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.file === 'config.yaml' && p.line > 1)).toBe(true);
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['nodes[0].name', 'nodes[1].name', 'resources[0].device', 'resources[0].name']),
    );
    const fencing = problems.find((p) => p.message.includes('fencing dont-care'));
    expect(fencing?.message).toContain('fencing resource-and-stonith;');
    expect(fencing?.message).toContain('fence-peer "/usr/sbin/drbd-sentinel fence-peer";');
  });

  it('has nothing to say without drbdadm, and says why when drbdadm fails', async () => {
    const ctx = context();
    const none = createDrbdConfigWarningProvider({
      run: runReturning({ status: 'spawn-error', message: 'spawn drbdadm ENOENT', durationMs: 0 }),
    });
    expect(await none.provide(ctx)).toEqual([]);
    const failing = createDrbdConfigWarningProvider({
      run: runReturning({
        status: 'failed',
        exitCode: 1,
        signal: null,
        stdout: '',
        stderr: 'no resources defined!\n',
        durationMs: 1,
      }),
    });
    const [p] = await failing.provide(ctx);
    expect(p).toMatchObject({ path: 'drbd.drbdadm' });
    expect(p?.message).toContain('no-resource: no resources defined!');
  });
});
