import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/common/errors.js';
import { REPO, requireBuild, run } from './built-cli.js';

const INSTALL = join(REPO, 'scripts/install.sh');
const root = mkdtempSync(join(tmpdir(), 'sentinel-install-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => requireBuild());

const prefixArgs = (t: string) => [
  '--prefix',
  `${t}/usr`,
  '--sysconfdir',
  `${t}/etc`,
  '--unitdir',
  `${t}/unit`,
  '--no-reload',
];

/** Parses a unit file into key -> values (keys may repeat). */
function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) keys.set(m[1] as string, [...(keys.get(m[1] as string) ?? []), m[2] as string]);
  }
  return keys;
}

describe('scripts/install.sh into a prefix', () => {
  const t = join(root, 'prefix');
  let first: ReturnType<typeof run>;
  beforeAll(() => {
    first = run('bash', [INSTALL, ...prefixArgs(t)]);
  }, 120_000);

  it('installs the program, the wrapper, the unit, the docs and the example config', () => {
    expect(first.code, first.stderr).toBe(0);
    for (const p of [
      'usr/lib/drbd-sentinel/dist/cli.js',
      'usr/lib/drbd-sentinel/package.json',
      'usr/lib/drbd-sentinel/node_modules/zod/package.json',
      'usr/lib/drbd-sentinel/node_modules/yaml/package.json',
      'usr/lib/drbd-sentinel/node_modules/commander/package.json',
      'usr/lib/drbd-sentinel/config/drbd-sentinel.yaml',
      'usr/share/doc/drbd-sentinel/README.md',
      'unit/drbd-sentinel.service',
      'etc/drbd-sentinel/config.yaml',
    ]) {
      expect(existsSync(join(t, p)), p).toBe(true);
    }
    // Production dependencies only.
    for (const dev of ['typescript', 'vitest', 'eslint', 'prettier']) {
      expect(existsSync(join(t, 'usr/lib/drbd-sentinel/node_modules', dev)), dev).toBe(false);
    }
    expect(statSync(join(t, 'usr/sbin/drbd-sentinel')).mode & 0o777).toBe(0o755);
  });

  it('never creates the secret, and says how to create the same one on both nodes', () => {
    expect(existsSync(join(t, 'etc/drbd-sentinel/secret'))).toBe(false);
    expect(first.stdout).toContain('umask 077; head -c 32 /dev/urandom | base64 >');
    expect(first.stdout).toContain('scp -p');
  });

  it('the installed command runs and validates the installed config once a secret exists', () => {
    const cmd = join(t, 'usr/sbin/drbd-sentinel');
    expect(run(cmd, ['--version']).code).toBe(0);
    const conf = join(t, 'etc/drbd-sentinel/config.yaml');
    // Without the secret: a located error, exit 78.
    const noSecret = run(cmd, ['check-config', '-q', '-c', conf]);
    expect(noSecret.code).toBe(EXIT.CONFIG);
    expect(noSecret.stderr).toContain('cluster.secret-file: secret file');
    writeFileSync(join(t, 'etc/drbd-sentinel/secret'), 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0\n', {
      mode: 0o600,
    });
    const ok = run(cmd, ['check-config', '-q', '-c', conf]);
    expect(ok.code, ok.stderr).toBe(EXIT.OK);
  }, 60_000);

  it('the unit points at the installed paths and is accepted by systemd-analyze verify', () => {
    const unitFile = join(t, 'unit/drbd-sentinel.service');
    const keys = unitKeys(readFileSync(unitFile, 'utf8'));
    expect(keys.get('ExecStart')).toEqual([
      `${t}/usr/sbin/drbd-sentinel run -c ${t}/etc/drbd-sentinel/config.yaml`,
    ]);
    const which = run('sh', ['-c', 'command -v systemd-analyze']);
    if (which.code !== 0) throw new Error('systemd-analyze is missing: install the Debian package systemd');
    const verify = run('systemd-analyze', ['verify', unitFile]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
  }, 60_000);

  it('is idempotent and never overwrites an existing configuration', () => {
    const conf = join(t, 'etc/drbd-sentinel/config.yaml');
    writeFileSync(conf, '# my own configuration\n');
    chmodSync(join(t, 'etc/drbd-sentinel/secret'), 0o644);
    const again = run('bash', [INSTALL, ...prefixArgs(t)]);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(conf, 'utf8')).toBe('# my own configuration\n');
    expect(again.stdout).toContain('kept the existing');
    expect(again.stderr).toContain('readable or writable by group or others');
    expect(run(join(t, 'usr/sbin/drbd-sentinel'), ['--version']).code).toBe(0);
    // No staging leftovers.
    expect(run('sh', ['-c', `ls -d ${t}/usr/lib/drbd-sentinel.* 2>/dev/null || true`]).stdout).toBe('');
  }, 120_000);
});

describe('scripts/install.sh with DESTDIR', () => {
  it('stages every file under DESTDIR with the final paths inside', () => {
    const d = join(root, 'destdir');
    const r = run('bash', [INSTALL, '--no-reload'], { ...process.env, DESTDIR: d });
    expect(r.code, r.stderr).toBe(0);
    const wrapper = readFileSync(join(d, 'usr/sbin/drbd-sentinel'), 'utf8');
    expect(wrapper).toContain(' /usr/lib/drbd-sentinel/dist/cli.js "$@"');
    const unit = unitKeys(readFileSync(join(d, 'usr/lib/systemd/system/drbd-sentinel.service'), 'utf8'));
    expect(unit.get('ExecStart')).toEqual(['/usr/sbin/drbd-sentinel run -c /etc/drbd-sentinel/config.yaml']);
    expect(existsSync(join(d, 'etc/drbd-sentinel/config.yaml'))).toBe(true);
  }, 120_000);

  it('rejects unknown arguments', () => {
    const r = run('bash', [INSTALL, '--bogus']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown argument: --bogus');
  });
});

describe('systemd/drbd-sentinel.service', () => {
  const keys = unitKeys(readFileSync(join(REPO, 'systemd/drbd-sentinel.service'), 'utf8'));
  it.each([
    ['Type', 'notify'],
    ['NotifyAccess', 'main'],
    ['Restart', 'on-failure'],
    ['RestartPreventExitStatus', '78'],
    ['KillMode', 'mixed'],
    ['ExecStart', '/usr/sbin/drbd-sentinel run -c /etc/drbd-sentinel/config.yaml'],
  ])('%s=%s', (key, value) => {
    expect(keys.get(key)).toEqual([value]);
  });
  it('has a watchdog and is ordered after the network and DRBD', () => {
    expect(keys.get('WatchdogSec')?.[0]).toMatch(/^\d+s$/);
    expect(keys.get('After')).toEqual(expect.arrayContaining(['network-online.target', 'drbd.service']));
    expect(keys.get('Wants')).toContain('network-online.target');
  });
  it('does not give the daemon a private mount namespace (its mounts must be visible to all)', () => {
    for (const k of [
      'ProtectSystem',
      'ProtectHome',
      'PrivateTmp',
      'PrivateDevices',
      'ReadWritePaths',
      'ReadOnlyPaths',
      'MountFlags',
      'PrivateMounts',
      'TemporaryFileSystem',
    ]) {
      expect(keys.has(k), k).toBe(false);
    }
  });
});
