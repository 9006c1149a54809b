import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrbdCrossCheckProvider } from '../../../src/cli/drbd-crosscheck.js';
import { EXIT } from '../../../src/common/errors.js';
import { parseConfigText } from '../../../src/config/load.js';
import { registerConfigWarningProvider } from '../../../src/config/warning-providers.js';
import { exampleWithSecret, makeSecretDir } from '../../fixtures/config/invalid-fixtures.js';
import { readFixture, withoutHeader } from '../drbd/fixtures.js';
import { runCaptured } from './run-captured.js';

const tmp = makeSecretDir();
afterAll(() => tmp.cleanup());

// check-config's registry, as src/cli/program.ts wires it (registering the same name replaces).
beforeAll(() => registerConfigWarningProvider(createDrbdCrossCheckProvider()));

/** A fake drbdadm that records its arguments and prints a real-format dump-xml sample. */
function fakeDrbdadm(name: string, fixture: string): { path: string; argsFile: string } {
  const xml = join(tmp.dir, `${name}.xml`);
  writeFileSync(xml, withoutHeader(readFixture('dump-xml', fixture)));
  const argsFile = join(tmp.dir, `${name}.args`);
  const path = join(tmp.dir, `${name}-drbdadm`);
  writeFileSync(path, `#!/bin/sh\necho "$@" > '${argsFile}'\ncat '${xml}'\n`);
  chmodSync(path, 0o755);
  return { path, argsFile };
}

/** The example configuration using `drbdadm`, pinned to DRBD 8.4 (no /proc/drbd read), node names replaced. */
function configFile(name: string, drbdadm: string, nodes?: readonly [string, string]): string {
  let text = exampleWithSecret(tmp.secret)
    .replace(/^( {2}drbdadm: )\S+/m, `$1${drbdadm}`)
    .replace(/^( {2}version: )auto/m, `$1'8.4'`);
  if (nodes) text = text.replaceAll('DRBD01', nodes[0]).replaceAll('DRBD02', nodes[1]);
  const file = join(tmp.dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** 1-based line of the first line of `file` matching `re`. */
function lineOf(file: string, re: RegExp): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => re.test(l)) + 1
  );
}

const WARNING_RE = /^(.+):(\d+):(\d+): (\S+): warning: (.*)$/;

/** check-config's warning lines, parsed (the snippet continues on the lines after its warning). */
function warnings(stderr: string): { line: number; path: string; message: string }[] {
  return stderr.split('\n').flatMap((l) => {
    const m = WARNING_RE.exec(l);
    return m ? [{ line: Number(m[2]), path: m[4] ?? '', message: m[5] ?? '' }] : [];
  });
}

describe('check-config cross-checks DRBD through drbdadm dump-xml', () => {
  it('warns at the resource and node keys where DRBD differs, with the snippet to add; still exit 0', async () => {
    const fake = fakeDrbdadm('nofence', 'dump-xml-84-default-no-fencing.txt');
    const file = configFile('nofence', fake.path);
    const run = await runCaptured(['check-config', '-c', file, '--quiet']);
    expect(run.code).toBe(EXIT.OK);
    expect(readFileSync(fake.argsFile, 'utf8').trim()).toBe('dump-xml');
    const ws = warnings(run.stderr);
    const fencing = ws.find((w) => w.path === 'resources[0].name' && /fencing/.test(w.message));
    expect(fencing, run.stderr).toBeDefined();
    expect(fencing?.line).toBe(lineOf(file, /^ {2}- name: r0/));
    // The snippet follows its warning verbatim, ready to paste into the resource's DRBD config.
    expect(run.stderr).toContain('fence-peer "/usr/sbin/drbd-sentinel fence-peer";');
    expect(run.stderr).toMatch(/fencing resource-(only|and-stonith);/);
    // DRBD's `on HOST` names (node1/node2) are not the configured node names.
    expect(ws.some((w) => w.path === 'nodes[0].name' && w.message.includes('DRBD01'))).toBe(true);
    expect(ws.some((w) => w.path === 'resources[0].device')).toBe(true);
    expect(ws.some((w) => /cross-check skipped/.test(w.message))).toBe(false);
  });

  it('says nothing about DRBD when its configuration is set up for drbd-sentinel', async () => {
    const fake = fakeDrbdadm('sentinel', 'dump-xml-84-r0-sentinel-stonith.txt');
    const file = configFile('sentinel', fake.path, ['alpha', 'bravo']);
    const run = await runCaptured(['check-config', '-c', file, '--quiet']);
    expect(run.code).toBe(EXIT.OK);
    const drbd = warnings(run.stderr).filter(
      (w) => w.path.startsWith('resources[') || w.path.endsWith('.name') || w.path.startsWith('drbd.'),
    );
    expect(drbd, run.stderr).toEqual([]);
  });

  it('without drbdadm: one informational warning at drbd.drbdadm saying it was skipped and why; exit 0', async () => {
    const missing = join(tmp.dir, 'no-such-drbdadm');
    const file = configFile('missing', missing);
    const run = await runCaptured(['check-config', '-c', file, '--quiet']);
    expect(run.code).toBe(EXIT.OK);
    const skipped = warnings(run.stderr).filter((w) => w.path === 'drbd.drbdadm');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.message).toContain('DRBD cross-check skipped');
    expect(skipped[0]?.message).toContain(`${missing} dump-xml`);
    expect(skipped[0]?.message).toContain('ENOENT');
    expect(skipped[0]?.line).toBe(lineOf(file, /^ {2}drbdadm: /));
  });

  it('--json carries the same warnings', async () => {
    const file = configFile('missing-json', join(tmp.dir, 'no-such-drbdadm'));
    const run = await runCaptured(['check-config', '-c', file, '--json']);
    expect(run.code).toBe(EXIT.OK);
    const doc = JSON.parse(run.stdout) as { valid: boolean; warnings: { path: string; message: string }[] };
    expect(doc.valid).toBe(true);
    expect(doc.warnings.filter((w) => w.path === 'drbd.drbdadm').map((w) => w.message)).toEqual([
      expect.stringContaining('DRBD cross-check skipped'),
    ]);
  });
});

describe('createDrbdCrossCheckProvider', () => {
  const loaded = parseConfigText(
    exampleWithSecret(tmp.secret).replace(/^( {2}version: )auto/m, `$1'8.4'`),
    'config.yaml',
    { secretFileCheck: false },
  );
  if (!loaded.ok) throw new Error(loaded.error.map((p) => p.message).join('\n'));
  const ctx = { config: loaded.value.config, source: loaded.value.source, hostname: 'DRBD01' };

  it('passes drbdadm failures other than a missing binary through unchanged (no "skipped" line)', async () => {
    const p = createDrbdCrossCheckProvider({
      run: async () => ({
        status: 'failed',
        exitCode: 1,
        signal: null,
        stdout: '',
        stderr: 'no resources defined!\n',
        durationMs: 1,
      }),
    });
    const problems = await p.provide(ctx);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).not.toContain('skipped');
    expect(problems[0]?.message).toContain('no resources defined!');
  });

  it('a spawn error becomes exactly one "skipped" warning', async () => {
    const p = createDrbdCrossCheckProvider({
      run: async () => ({ status: 'spawn-error', message: 'spawn drbdadm EACCES', durationMs: 0 }),
    });
    const problems = await p.provide(ctx);
    expect(problems.map((x) => x.path)).toEqual(['drbd.drbdadm']);
    expect(problems[0]?.message).toContain('EACCES');
  });
});
