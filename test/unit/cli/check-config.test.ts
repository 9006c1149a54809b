import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../../src/common/errors.js';
import { parseConfigText } from '../../../src/config/index.js';
import {
  exampleWithSecret,
  makeSecretDir,
  readInvalidFixtures,
  withSecret,
} from '../../fixtures/config/invalid-fixtures.js';
import { runCaptured } from './run-captured.js';

const tmp = makeSecretDir();
afterAll(() => tmp.cleanup());

const exampleFile = join(tmp.dir, 'example.yaml');
writeFileSync(exampleFile, exampleWithSecret(tmp.secret));

const LINE_RE = /^(.+):(\d+):(\d+): (\S+): (.+)$/;

describe('check-config on the invalid corpus', () => {
  const fixtures = readInvalidFixtures();
  it.each(fixtures.map((f) => [f.name, f] as const))(
    '%s: exit 78, one located line per problem',
    async (name, f) => {
      const file = join(tmp.dir, `${name}.yaml`);
      writeFileSync(file, withSecret(f.text, tmp.secret));
      const run = await runCaptured(['check-config', '-c', file]);
      expect(run.code).toBe(EXIT.CONFIG);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trimEnd().split('\n');
      const summary = lines.pop();
      expect(summary).toBe(
        `drbd-sentinel: invalid configuration: ${f.expectations.length} problem(s) in ${file}`,
      );
      expect(lines).toHaveLength(f.expectations.length);
      for (const line of lines) expect(line).toMatch(LINE_RE);
      for (const e of f.expectations) {
        const hit = lines.find((l) => {
          const m = LINE_RE.exec(l);
          return (
            m !== null &&
            m[1] === file &&
            m[4] === e.path &&
            m[5]?.includes(e.message) === true &&
            (e.line === undefined || (Number(m[2]) === e.line && Number(m[3]) === e.col))
          );
        });
        expect(
          hit,
          `no line for ${e.line}:${e.col} ${e.path} | ${e.message} in:\n${run.stderr}`,
        ).toBeDefined();
      }
      expect(run.stderr).not.toMatch(/^\s+at /m); // never a stack trace
    },
  );
});

describe('check-config on a valid file', () => {
  it('prints the effective configuration and the warnings, exit 0', async () => {
    const run = await runCaptured(['check-config', '-c', exampleFile]);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout.startsWith(`# effective configuration of ${exampleFile} (defaults filled in)\n`)).toBe(
      true,
    );
    const effective = parseYaml(run.stdout) as Record<string, unknown>;
    expect(effective['heartbeat']).toMatchObject({ port: 7790, interval: '200ms', deadtime: '2s' });
    // The printed configuration is itself valid and means the same.
    const again = parseConfigText(run.stdout, 'effective.yaml');
    const original = parseConfigText(exampleWithSecret(tmp.secret), 'example.yaml');
    expect(again.ok && original.ok && again.value.config).toEqual(original.ok && original.value.config);
    const warnings = run.stderr.trimEnd().split('\n');
    expect(warnings.some((w) => /^.+:\d+:\d+: nodes: warning: a single heartbeat link/.test(w))).toBe(true);
    // check-config may run on a workstation: not being a node is only a warning.
    expect(warnings.some((w) => w.includes('nodes: warning: this host'))).toBe(true);
  });

  it('accepts -c before the command too, and --config', async () => {
    expect((await runCaptured(['-c', exampleFile, 'check-config', '--quiet'])).code).toBe(EXIT.OK);
    expect((await runCaptured(['check-config', '--config', exampleFile, '--quiet'])).code).toBe(EXIT.OK);
  });

  it('--quiet prints only the warnings', async () => {
    const run = await runCaptured(['check-config', '-c', exampleFile, '-q']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('warning:');
  });
});

describe('check-config --json', () => {
  it('valid: one JSON document with the effective config and the warnings', async () => {
    const run = await runCaptured(['check-config', '-c', exampleFile, '--json']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stderr).toBe('');
    const doc = JSON.parse(run.stdout) as {
      valid: boolean;
      file: string;
      warnings: { path: string; line: number; col: number; message: string }[];
      config: { resources: { name: string; mount: { point: string } }[] };
    };
    expect(doc.valid).toBe(true);
    expect(doc.file).toBe(exampleFile);
    expect(doc.config.resources[0]).toMatchObject({ name: 'r0', mount: { point: '/DRBD' } });
    expect(doc.warnings.map((w) => w.path)).toContain('nodes');
    expect(doc.warnings.every((w) => w.line >= 1 && w.col >= 1)).toBe(true);
  });

  it('invalid: the problems as JSON, exit 78', async () => {
    const fixture = readInvalidFixtures().find((f) => f.name === 'many-problems');
    if (!fixture) throw new Error('fixture many-problems is missing');
    const file = join(tmp.dir, 'json-invalid.yaml');
    writeFileSync(file, withSecret(fixture.text, tmp.secret));
    const run = await runCaptured(['check-config', '-c', file, '--json']);
    expect(run.code).toBe(EXIT.CONFIG);
    expect(run.stderr).toBe('');
    const doc = JSON.parse(run.stdout) as {
      valid: boolean;
      problems: { path: string; line: number; col: number }[];
    };
    expect(doc.valid).toBe(false);
    expect(doc.problems.map((p) => p.path).sort()).toEqual(fixture.expectations.map((e) => e.path).sort());
  });
});

describe('check-config on files that cannot be read', () => {
  it('a missing file: located line, exit 78', async () => {
    const file = join(tmp.dir, 'does-not-exist.yaml');
    const run = await runCaptured(['check-config', '-c', file]);
    expect(run.code).toBe(EXIT.CONFIG);
    expect(run.stderr.split('\n')[0]).toBe(
      `${file}:1:1: (file): cannot read the configuration file: it does not exist (choose another file with -c FILE)`,
    );
  });
  it('a directory: exit 78', async () => {
    const run = await runCaptured(['check-config', '-c', tmp.dir]);
    expect(run.code).toBe(EXIT.CONFIG);
    expect(run.stderr).toContain(': (file): cannot read the configuration file: it is a directory');
  });
  it('the default path is /etc/drbd-sentinel/config.yaml', async () => {
    const run = await runCaptured(['check-config', '--help']);
    expect(run.stdout).toContain('/etc/drbd-sentinel/config.yaml');
  });
});

describe('check-config --help', () => {
  it('documents the output format and exit codes', async () => {
    const run = await runCaptured(['check-config', '--help']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toContain('Usage: drbd-sentinel check-config [options]');
    expect(run.stdout).toContain('--json');
    expect(run.stdout).toContain('FILE:LINE:COL: key.path: message');
    expect(run.stdout).toMatch(/78 invalid/);
  });
});

describe('check-config on one of the nodes', () => {
  it('has no this-host warning when uname -n is a node name', async () => {
    const { Command } = await import('commander');
    const { registerCheckConfigCommand } = await import('../../../src/cli/check-config.js');
    const program = new Command('drbd-sentinel').option('-c, --config <file>').exitOverride();
    registerCheckConfigCommand(program, { hostname: () => 'DRBD01' });
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(['node', 'drbd-sentinel', 'check-config', '-q', '-c', exampleFile]);
    } finally {
      spy.mockRestore();
    }
    expect(stderr).not.toContain('this host');
    expect(stderr).toContain('nodes: warning: a single heartbeat link');
  });
});

describe('check-config --no-secret-check', () => {
  it('validates a file whose secret is absent (workstation, CI), with a warning instead', async () => {
    const absent = join(tmp.dir, 'absent-secret');
    const file = join(tmp.dir, 'no-secret.yaml');
    writeFileSync(file, exampleWithSecret(absent));
    const strict = await runCaptured(['check-config', '-q', '-c', file]);
    expect(strict.code).toBe(EXIT.CONFIG);
    expect(strict.stderr).toContain(`cluster.secret-file: secret file ${absent} does not exist`);
    const relaxed = await runCaptured(['check-config', '-q', '--no-secret-check', '-c', file]);
    expect(relaxed.code, relaxed.stderr).toBe(EXIT.OK);
    expect(relaxed.stderr).toMatch(
      /:\d+:\d+: cluster\.secret-file: warning: not checked \(--no-secret-check\)/,
    );
  });
});
