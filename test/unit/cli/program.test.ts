import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/common/errors.js';
import { runCaptured } from './run-captured.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('the drbd-sentinel program', () => {
  it('--help lists the commands, -c/--config and the exit codes', async () => {
    const run = await runCaptured(['--help']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toContain('Usage: drbd-sentinel [options] [command]');
    expect(run.stdout).toContain('-c, --config <file>');
    expect(run.stdout).toContain('check-config');
    expect(run.stdout).toContain('config-schema');
    expect(run.stdout).toMatch(/0\s+success/);
    expect(run.stdout).toMatch(/2\s+usage error/);
    expect(run.stdout).toMatch(/78\s+invalid configuration/);
  });

  it('--version and -V print the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await runCaptured([flag]);
      expect(run.code).toBe(EXIT.OK);
      expect(run.stdout.trim()).toBe(pkg.version);
    }
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const run = await runCaptured(['frobnicate']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toContain("unknown command 'frobnicate'");
  });

  it('an unknown option is a usage error (exit 2)', async () => {
    const run = await runCaptured(['check-config', '--no-such-option']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toContain("unknown option '--no-such-option'");
  });

  it('help <command> works for every command', async () => {
    const list = await runCaptured(['--help']);
    const commands = [...list.stdout.matchAll(/^ {2}([a-z][a-z0-9-]*)\b/gm)]
      .map((m) => m[1] as string)
      .filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['check-config', 'config-schema']));
    for (const c of commands) {
      const run = await runCaptured([c, '--help']);
      expect(run.code, c).toBe(EXIT.OK);
      expect(run.stdout, c).toContain(`Usage: drbd-sentinel ${c}`);
    }
  });
});
