/**
 * Configuration files that never end or attack the parser, through the real CLI (dist/cli.js in a child
 * process, with a timeout): each must end promptly with exit 78 and one located, readable problem.
 */
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/common/errors.js';
import { firstInvalidUtf8, parseConfigText } from '../../../src/config/index.js';
import { exampleWithSecret, makeSecretDir } from '../../fixtures/config/invalid-fixtures.js';
import { BUILT_CLI, requireBuild } from '../cli/built-cli.js';

const tmp = makeSecretDir();
beforeAll(() => requireBuild());
afterAll(() => tmp.cleanup());

const LINE_RE = /^(.+):(\d+):(\d+): (\S+): (.+)$/;

/** Runs the built CLI; a hang shows up as a killed child (status null), which fails the test. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BUILT_CLI, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function mkfifo(name: string): string {
  const path = join(tmp.dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

function file(name: string, content: string | Buffer): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, content);
  return path;
}

/** The problem lines of a failed check-config: all located, none a stack trace. */
function expectRefused(r: ReturnType<typeof cli>, message: RegExp): string[] {
  expect(r.signal, 'the CLI hung and was killed').toBeNull();
  expect(r.code).toBe(EXIT.CONFIG);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  const lines = r.stderr.trimEnd().split('\n');
  const problems = lines.filter((l) => LINE_RE.test(l));
  expect(problems.length).toBeGreaterThan(0);
  expect(problems.join('\n')).toMatch(message);
  for (const l of lines) expect(l.length).toBeLessThan(2000);
  return problems;
}

describe('configuration files that never end', () => {
  it('check-config -c FIFO (nobody writes): exit 78 at once', () => {
    const fifo = mkfifo('config-fifo');
    const r = cli('check-config', '-c', fifo);
    const [line] = expectRefused(r, /it is a FIFO \(named pipe\), not a regular file/);
    expect(line).toBe(
      `${fifo}:1:1: (file): cannot read the configuration file: it is a FIFO (named pipe), not a regular file`,
    );
  });

  it('check-config -c /dev/zero: exit 78 at once', () => {
    expectRefused(cli('check-config', '-c', '/dev/zero'), /\/dev\/zero:1:1: \(file\): .*character device/);
  });

  it('run -c FIFO and run -c /dev/zero: exit 78 before starting anything', () => {
    expectRefused(cli('run', '-c', mkfifo('run-fifo')), /FIFO/);
    expectRefused(cli('run', '-c', '/dev/zero'), /character device/);
  });

  it('status -c FIFO does not hang reading the socket path (falls back to the default socket)', () => {
    const r = cli('status', '--socket', '', '-c', mkfifo('status-fifo'));
    expect(r.signal).toBeNull();
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.stderr).toContain('/run/drbd-sentinel/control.sock');
  });

  it('cluster.secret-file pointing at a FIFO or /dev/zero: exit 78, located at the key', () => {
    const fifo = mkfifo('secret-fifo');
    for (const secret of [fifo, '/dev/zero']) {
      const config = file('secret-elsewhere.yaml', exampleWithSecret(secret));
      const problems = expectRefused(cli('check-config', '-c', config), /is not a regular file/);
      expect(problems.some((l) => l.includes(': cluster.secret-file: secret file'))).toBe(true);
    }
  });

  it('a secret file over 64 KiB is refused', () => {
    const big = join(tmp.dir, 'big-secret');
    writeFileSync(big, 'x'.repeat(70 * 1024), { mode: 0o600 });
    const config = file('big-secret.yaml', exampleWithSecret(big));
    expectRefused(cli('check-config', '-c', config), /larger than the limit of 64 KiB/);
  });
});

describe('configuration files that attack the parser', () => {
  it('a file over 1 MiB', () => {
    const big = file('huge.yaml', `# ${'x'.repeat(1024 * 1024)}\n`);
    expectRefused(cli('check-config', '-c', big), /larger than the limit of 1 MiB: is it the right file\?/);
  });

  it('a YAML alias bomb ("billion laughs")', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i++)
      text += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    expectRefused(cli('check-config', '-c', file('bomb.yaml', text)), /too many alias expansions/);
  });

  it('deeply nested flow collections, block mappings and nesting just past the limit', () => {
    const flow = `cluster: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`;
    let block = '';
    for (let i = 0; i < 1200; i++) block += `${' '.repeat(i)}k:\n`;
    const moderate = `cluster: ${'{a: '.repeat(40)}1${'}'.repeat(40)}\n`;
    for (const [name, text] of [
      ['deep-flow.yaml', flow],
      ['deep-block.yaml', block],
      ['deep-40.yaml', moderate],
    ] as const) {
      const problems = expectRefused(cli('check-config', '-c', file(name, text)), /nested too deeply/);
      expect(problems).toHaveLength(1);
    }
  });

  it('a huge string value is quoted by its start and length, not whole', () => {
    const text = exampleWithSecret(tmp.secret).replace(/^( {2}level: )\S+/m, `$1"${'y'.repeat(500_000)}"`);
    expect(text).toContain('yyyy');
    const problems = expectRefused(
      cli('check-config', '-c', file('huge-string.yaml', text)),
      /log\.level: .*"y{40}\.\.\." \(500000 characters\)/,
    );
    expect(problems).toHaveLength(1);
  });

  it('huge numbers', () => {
    const text = exampleWithSecret(tmp.secret).replace(/^( {2}port: )\S+/m, `$1${'9'.repeat(5000)}`);
    expectRefused(cli('check-config', '-c', file('huge-number.yaml', text)), /port: .*1\.\.65535/);
  });

  it('duplicate keys', () => {
    const text = `${exampleWithSecret(tmp.secret)}\ncluster:\n  name: again\n`;
    expectRefused(
      cli('check-config', '-c', file('dup.yaml', text)),
      /\(yaml\): YAML syntax error: Map keys must be unique/,
    );
  });

  it('bytes that are not UTF-8: located at the first bad byte', () => {
    const good = Buffer.from('cluster:\n  name: ab');
    const bytes = Buffer.concat([good, Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
    const problems = expectRefused(cli('check-config', '-c', file('latin1.yaml', bytes)), /not valid UTF-8/);
    expect(problems[0]).toMatch(
      /:2:11: \(file\): the configuration file is not valid UTF-8 \(byte 0xff at offset 19\)/,
    );
  });
});

describe('firstInvalidUtf8', () => {
  it('accepts well-formed UTF-8 and finds the first malformed sequence', () => {
    expect(firstInvalidUtf8(Buffer.from('plain ascii, é, €, 𝄞'))).toBeNull();
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // a UTF-16 surrogate
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).toBe(2); // cut short
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // above U+10FFFF
  });
});

describe('parseConfigText on a stack-exhausting document', () => {
  it('is one problem, not one per nesting level', () => {
    const r = parseConfigText(`cluster: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}`, 'x.yaml', {
      secretFileCheck: false,
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.map((p) => p.message)).toEqual([expect.stringContaining('nested too deeply')]);
  });
});
