import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/common/errors.js';
import { loadConfigFile } from '../../../src/config/index.js';
import { REPO_ROOT } from '../../support/membership-harness.js';
import { GUIDE_FSTAB, NO_RESOURCES_DUMP, dumpXmlText } from '../init/support.js';
import { runCaptured } from './run-captured.js';

const top = mkdtempSync(join(tmpdir(), 'sentinel-init-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));
let dir = '';
let n = 0;
beforeEach(() => {
  dir = join(top, String(n++));
  writeFileSync(join(top, 'fstab'), GUIDE_FSTAB);
  rmSync(dir, { recursive: true, force: true });
});

const conf = () => join(dir, 'etc/config.yaml');
const secret = () => join(dir, 'etc/secret');
function dumpFile(text: string): string {
  const f = join(top, `dump-${n}.xml`);
  writeFileSync(f, text);
  return f;
}
/** A drbdadm that prints `stdout` and exits `code` (the real one needs root and DRBD's config). */
function fakeDrbdadm(stdout: string, code = 0, stderr = ''): string {
  const f = join(top, `drbdadm-${n}`);
  writeFileSync(join(top, `drbdadm-${n}.out`), stdout);
  writeFileSync(f, `#!/bin/sh\ncat '${f}.out'\necho '${stderr}' >&2\nexit ${code}\n`);
  chmodSync(f, 0o755);
  return f;
}
const init = (...args: string[]) =>
  runCaptured(['init', '-c', conf(), '--secret-file', secret(), '--fstab', join(top, 'fstab'), ...args]);
const nothingWritten = () => {
  expect(existsSync(conf())).toBe(false);
  expect(existsSync(secret())).toBe(false);
};

describe('drbd-sentinel init', () => {
  it('writes a valid configuration, creates the secret 0600, prints the snippet and the scp command', async () => {
    const drbdadm = fakeDrbdadm(dumpXmlText('dump-xml-84-r0-sentinel-stonith.txt'));
    const r = await init(
      '--drbdadm',
      drbdadm,
      '--node',
      'alpha',
      '--fence-command',
      '/usr/sbin/fence_ipmilan --ip=10.0.0.9 --action=off',
    );
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(statSync(secret()).mode & 0o777).toBe(0o600);
    expect(readFileSync(secret(), 'utf8').trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // Loaded back with the daemon's own validation, secret check included.
    const loaded = loadConfigFile(conf());
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    expect(loaded.value.config.fencing.policy).toBe('stonith');
    expect(loaded.value.config.resources[0]?.mount?.point).toBe('/DRBD');
    expect(r.stdout).toContain(
      `wrote ${conf()} for alpha (pair alpha + bravo, resources r0, fencing stonith)`,
    );
    expect(r.stdout).toContain('fencing resource-and-stonith;');
    expect(r.stdout).toContain(`scp -p ${secret()} root@10.77.0.2:${secret()}`);
  });

  it('takes an existing secret unchanged, on the second node', async () => {
    const s = secret();
    await runCaptured([
      'init',
      '-c',
      conf(),
      '--secret-file',
      s,
      '--fstab',
      join(top, 'fstab'),
      '--node',
      'alpha',
      '--dump-xml',
      dumpFile(dumpXmlText('dump-xml-84-r0-sentinel.txt')),
    ]);
    const key = readFileSync(s, 'utf8');
    rmSync(conf());
    const r = await init(
      '--node',
      'bravo',
      '--dump-xml',
      dumpFile(dumpXmlText('dump-xml-84-r0-sentinel.txt')),
    );
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(readFileSync(s, 'utf8')).toBe(key);
    expect(r.stdout).toContain(`took the existing secret ${s}`);
    expect(r.stdout).toContain('fencing resource-only;');
  });

  it('refuses to overwrite an existing configuration without --force; --force replaces it', async () => {
    const dump = dumpFile(dumpXmlText('dump-xml-84-r0-sentinel.txt'));
    expect((await init('--node', 'alpha', '--dump-xml', dump)).code).toBe(EXIT.OK);
    writeFileSync(conf(), '# mine\n');
    const refused = await init('--node', 'alpha', '--dump-xml', dump);
    expect(refused.code).toBe(EXIT.FAILURE);
    expect(refused.stderr).toContain(`init refused (config-exists): ${conf()} exists; pass --force`);
    expect(readFileSync(conf(), 'utf8')).toBe('# mine\n');
    expect((await init('--node', 'alpha', '--dump-xml', dump, '--force')).code).toBe(EXIT.OK);
    expect(readFileSync(conf(), 'utf8')).toContain('name: alpha-bravo');
  });

  it('replaces the packaged example without --force (the conffile a fresh install leaves)', async () => {
    const example = readFileSync(join(REPO_ROOT, 'config/drbd-sentinel.yaml'), 'utf8');
    const first = await init(
      '--node',
      'alpha',
      '--dump-xml',
      dumpFile(dumpXmlText('dump-xml-84-r0-sentinel.txt')),
    );
    expect(first.code).toBe(EXIT.OK);
    writeFileSync(conf(), example);
    const r = await init(
      '--node',
      'alpha',
      '--dump-xml',
      dumpFile(dumpXmlText('dump-xml-84-r0-sentinel.txt')),
    );
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(readFileSync(conf(), 'utf8')).not.toBe(example);
  });

  it('a host that is not in the DRBD config: exit 78, names it, nothing written', async () => {
    const r = await init(
      '--node',
      'charlie',
      '--dump-xml',
      dumpFile(dumpXmlText('dump-xml-84-r0-sentinel.txt')),
    );
    expect(r.code).toBe(EXIT.CONFIG);
    expect(r.stderr).toContain('init: nothing written: this host (charlie, from `uname -n`) is not in DRBD');
    nothingWritten();
  });

  it('no DRBD configuration (no resource, drbdadm failing or missing): exit 78, nothing written', async () => {
    const empty = await init('--node', 'alpha', '--drbdadm', fakeDrbdadm(NO_RESOURCES_DUMP));
    expect(empty.code).toBe(EXIT.CONFIG);
    expect(empty.stderr).toContain('defines no resource');
    nothingWritten();
    const failing = await init(
      '--node',
      'alpha',
      '--drbdadm',
      fakeDrbdadm('', 10, "'r0' not defined in your config"),
    );
    expect(failing.code).toBe(EXIT.CONFIG);
    expect(failing.stderr).toContain('no usable DRBD configuration');
    nothingWritten();
    const missing = await init('--node', 'alpha', '--drbdadm', join(top, 'no-such-drbdadm'));
    expect(missing.code).toBe(EXIT.CONFIG);
    expect(missing.stderr).toContain('cannot be run');
    expect(missing.stderr).toContain('install drbd-utils');
    nothingWritten();
  });

  it('unparseable dump-xml (from drbdadm or a file): exit 78, nothing written', async () => {
    const bad = '<config file="/etc/drbd.conf">\n    <resource name="r0"\n';
    const viaDrbdadm = await init('--node', 'alpha', '--drbdadm', fakeDrbdadm(bad));
    expect(viaDrbdadm.code).toBe(EXIT.CONFIG);
    expect(viaDrbdadm.stderr).toContain('unparseable dump-xml output');
    nothingWritten();
    const viaFile = await init('--node', 'alpha', '--dump-xml', dumpFile('drbd.conf: no such file\n'));
    expect(viaFile.code).toBe(EXIT.CONFIG);
    expect(viaFile.stderr).toContain('is not `drbdadm dump-xml` output');
    nothingWritten();
  });

  it('a secret readable by others is refused: exit 78, no configuration written', async () => {
    const s = secret();
    const dump = dumpFile(dumpXmlText('dump-xml-84-r0-sentinel.txt'));
    expect((await init('--node', 'alpha', '--dump-xml', dump)).code).toBe(EXIT.OK);
    rmSync(conf());
    chmodSync(s, 0o644);
    const r = await init('--node', 'alpha', '--dump-xml', dump);
    expect(r.code).toBe(EXIT.CONFIG);
    expect(r.stderr).toContain('chmod 600');
    expect(existsSync(conf())).toBe(false);
  });
});
