import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/common/errors.js';
import {
  exampleWithSecret,
  makeSecretDir,
  readInvalidFixtures,
  withSecret,
} from '../../fixtures/config/invalid-fixtures.js';
import { BUILT_CLI, requireBuild, run } from './built-cli.js';

// The same behaviour as the in-process tests, through the real entry point a node runs.
const tmp = makeSecretDir();
afterAll(() => tmp.cleanup());
beforeAll(() => requireBuild());

const cli = (...args: string[]) => run(process.execPath, [BUILT_CLI, ...args]);

describe('node dist/cli.js', { timeout: 60_000 }, () => {
  it('--version, --help', () => {
    expect(cli('--version')).toMatchObject({
      code: EXIT.OK,
      stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/),
    });
    const help = cli('--help');
    expect(help.code).toBe(EXIT.OK);
    expect(help.stdout).toContain('check-config');
  });

  it('an unknown command exits 2', () => {
    const r = cli('no-such-command');
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain("unknown command 'no-such-command'");
  });

  it('accepts the example configuration (exit 0)', () => {
    const file = join(tmp.dir, 'example.yaml');
    writeFileSync(file, exampleWithSecret(tmp.secret));
    const r = cli('check-config', '-c', file);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toContain('name: r0');
  });

  it('rejects an invalid configuration with located lines and exit 78, no stack trace', () => {
    const f = readInvalidFixtures().find((x) => x.name === 'many-problems');
    if (!f) throw new Error('fixture many-problems is missing');
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(file, withSecret(f.text, tmp.secret));
    const r = cli('check-config', '-c', file);
    expect(r.code).toBe(EXIT.CONFIG);
    for (const e of f.expectations) expect(r.stderr).toContain(`${file}:${e.line}:${e.col}: ${e.path}: `);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('a missing file and a YAML syntax error exit 78 with a located line', () => {
    const missing = cli('check-config', '-c', join(tmp.dir, 'nope.yaml'));
    expect(missing.code).toBe(EXIT.CONFIG);
    expect(missing.stderr).toMatch(/nope\.yaml:1:1: \(file\): cannot read the configuration file/);
    const file = join(tmp.dir, 'syntax.yaml');
    writeFileSync(file, 'cluster:\n  name: [unclosed\n');
    const syntax = cli('check-config', '-c', file);
    expect(syntax.code).toBe(EXIT.CONFIG);
    expect(syntax.stderr).toMatch(/syntax\.yaml:\d+:\d+: \(yaml\): YAML syntax error/);
    expect(syntax.stderr).not.toMatch(/^\s+at /m);
  });

  it('config-schema prints JSON', () => {
    const r = cli('config-schema');
    expect(r.code).toBe(EXIT.OK);
    expect(JSON.parse(r.stdout)).toHaveProperty('properties.heartbeat');
  });
});
