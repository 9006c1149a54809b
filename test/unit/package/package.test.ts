import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/index.js';
import { REPO_ROOT } from '../../support/membership-harness.js';
import { requireTools, sh, shAsync } from './tools.js';
import { dumpXmlText, GUIDE_FSTAB } from '../init/support.js';

// `npm run package` once (about 30 s on a loaded 2-core machine), then checks of both packages.
const out = mkdtempSync(join(tmpdir(), 'sentinel-package-'));
const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const deb = join(out, `drbd-sentinel_${version}-1_all.deb`);
const rpm = join(out, `drbd-sentinel-${version}-1.noarch.rpm`);
const root = join(out, 'root');
const ctrl = join(out, 'control');
afterAll(() => rmSync(out, { recursive: true, force: true }));

const EXPECTED_FILES = [
  '/etc/drbd-sentinel/config.yaml',
  '/usr/bin/drbd-sentinel',
  '/usr/sbin/drbd-sentinel',
  '/usr/lib/drbd-sentinel/dist/bundle/drbd-sentinel.mjs',
  '/usr/lib/drbd-sentinel/package.json',
  '/usr/lib/drbd-sentinel/config/drbd-sentinel.yaml',
  '/usr/lib/systemd/system/drbd-sentinel.service',
  '/usr/share/man/man8/drbd-sentinel.8.gz',
  '/usr/share/bash-completion/completions/drbd-sentinel',
  '/usr/share/doc/drbd-sentinel/copyright',
  '/usr/share/doc/drbd-sentinel/README.md',
  '/usr/share/doc/drbd-sentinel/configuration.md',
  '/usr/share/doc/drbd-sentinel/packaging.md',
  '/usr/share/drbd-sentinel/prometheus/drbd-sentinel-rules.yml',
  '/usr/share/drbd-sentinel/grafana/drbd-sentinel-dashboard.json',
];

beforeAll(async () => {
  requireTools('dpkg-deb', 'rpmbuild', 'rpm', 'lintian');
  const built = await shAsync('bash', [join(REPO_ROOT, 'scripts/package/build.sh'), out]);
  expect(built.code, built.stderr).toBe(0);
  expect(sh('dpkg-deb', ['-x', deb, root]).code).toBe(0);
  expect(sh('dpkg-deb', ['-e', deb, ctrl]).code).toBe(0);
}, 180_000);

describe('the .deb', () => {
  it('has the control fields the issue names', () => {
    const f = (field: string) => sh('dpkg-deb', ['-f', deb, field]).stdout.trim();
    expect(f('Package')).toBe('drbd-sentinel');
    expect(f('Version')).toBe(`${version}-1`);
    expect(f('Architecture')).toBe('all');
    expect(f('Depends')).toBe('nodejs (>= 20), drbd-utils');
    expect(Number(f('Installed-Size'))).toBeGreaterThan(100);
  });

  it('lists the program, unit, conffile, docs, man page, completion and observability files', () => {
    const listed = sh('dpkg-deb', ['-c', deb])
      .stdout.split('\n')
      .filter((l) => l !== '')
      .map((l) => (l.split(/\s+/)[5] ?? '').replace(/^\./, ''));
    for (const f of [...EXPECTED_FILES, '/usr/share/doc/drbd-sentinel/changelog.Debian.gz'])
      expect(listed, f).toContain(f);
    // One bundled file: no node_modules, no sources, no tests.
    expect(listed.filter((f) => /node_modules|\/src\/|\.ts$|\/test\//.test(f))).toEqual([]);
    expect(readlinkSync(join(root, 'usr/bin/drbd-sentinel'))).toBe('../sbin/drbd-sentinel');
    expect(statSync(join(root, 'usr/sbin/drbd-sentinel')).mode & 0o777).toBe(0o755);
  });

  it('flags the configuration as a conffile and checksums every other file', () => {
    expect(readFileSync(join(ctrl, 'conffiles'), 'utf8')).toBe('/etc/drbd-sentinel/config.yaml\n');
    const sums = readFileSync(join(ctrl, 'md5sums'), 'utf8').trim().split('\n');
    expect(sums.some((l) => l.endsWith(' etc/drbd-sentinel/config.yaml'))).toBe(false);
    for (const line of sums) {
      const [sum, path] = line.split(/ {2}/) as [string, string];
      expect(
        createHash('md5')
          .update(readFileSync(join(root, path)))
          .digest('hex'),
        path,
      ).toBe(sum);
    }
    expect(sums.length).toBeGreaterThan(20);
  });

  it('has maintainer scripts that never start on first install, try-restart on upgrade, purge the state', () => {
    const postinst = readFileSync(join(ctrl, 'postinst'), 'utf8');
    expect(postinst).toContain('install -d -m 0700 /var/lib/drbd-sentinel');
    expect(postinst).toContain('systemctl daemon-reload');
    expect(postinst).not.toMatch(/systemctl (start|enable|restart)/);
    expect(postinst).toMatch(/if \[ -n "\$2" \]; then\s+systemctl try-restart drbd-sentinel\.service/);
    expect(readFileSync(join(ctrl, 'prerm'), 'utf8')).toMatch(
      /remove \| deconfigure\)[\s\S]*systemctl stop drbd-sentinel\.service/,
    );
    expect(readFileSync(join(ctrl, 'postrm'), 'utf8')).toMatch(/purge\)\s+rm -rf \/var\/lib\/drbd-sentinel/);
    for (const s of ['postinst', 'prerm', 'postrm']) {
      expect(statSync(join(ctrl, s)).mode & 0o777, s).toBe(0o755);
      expect(sh('sh', ['-n', join(ctrl, s)]).code, s).toBe(0);
    }
  });

  it('runs --version and check-config from the installed files alone (no source tree, no node_modules)', () => {
    // The wrapper runs /usr/lib/drbd-sentinel/...; here the same file under the scratch root, from /.
    expect(readFileSync(join(root, 'usr/sbin/drbd-sentinel'), 'utf8')).toContain(
      'exec /usr/bin/node /usr/lib/drbd-sentinel/dist/bundle/drbd-sentinel.mjs "$@"',
    );
    const bundle = join(root, 'usr/lib/drbd-sentinel/dist/bundle/drbd-sentinel.mjs');
    const env = { PATH: '/usr/bin:/bin', HOME: out };
    const v = sh(process.execPath, [bundle, '--version'], { cwd: '/', env });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const conf = join(root, 'etc/drbd-sentinel/config.yaml');
    const c = sh(process.execPath, [bundle, 'check-config', '-q', '--no-secret-check', '-c', conf], {
      cwd: '/',
      env,
    });
    expect(c.code, c.stderr).toBe(0);
    // The shipped example is a valid configuration by the project's own schema.
    expect(loadConfigFile(conf, { secretFileCheck: false }).ok).toBe(true);
  });

  it('the other subcommands run from the bundle: run --help, status, fence-peer', () => {
    const bundle = join(root, 'usr/lib/drbd-sentinel/dist/bundle/drbd-sentinel.mjs');
    const cli = (...args: string[]) =>
      sh(process.execPath, [bundle, ...args], { cwd: '/', env: { PATH: '/usr/bin:/bin' } });
    const help = cli('run', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: drbd-sentinel run');
    const sock = join(out, 'no-daemon.sock');
    const status = cli('status', '--socket', sock);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`the daemon is not running (nothing listens on ${sock})`);
    const fence = sh(process.execPath, [bundle, 'fence-peer', '--socket', sock], {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin', DRBD_RESOURCE: 'r0' },
    });
    expect(fence.code).toBe(1);
    expect(fence.stderr).toContain('fence-peer r0: exit 1: daemon not reachable');
  });

  it('init from the installed files replaces the packaged example conffile without --force', () => {
    const bundle = join(root, 'usr/lib/drbd-sentinel/dist/bundle/drbd-sentinel.mjs');
    const conf = join(root, 'etc/drbd-sentinel/config.yaml');
    const dump = join(out, 'dump.xml');
    const fstab = join(out, 'fstab');
    writeFileSync(dump, dumpXmlText('dump-xml-84-r0-sentinel.txt'));
    writeFileSync(fstab, GUIDE_FSTAB);
    const args = ['init', '-c', conf, '--node', 'bravo', '--dump-xml', dump, '--fstab', fstab];
    const r = sh(process.execPath, [bundle, ...args, '--secret-file', join(out, 'secret')], {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin', HOME: out },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('scp -p');
    const loaded = loadConfigFile(conf);
    expect(loaded.ok && loaded.value.config.nodes.map((n) => n.name)).toEqual(['alpha', 'bravo']);
  });

  it('passes lintian without errors', async () => {
    const l = await shAsync('lintian', ['--tag-display-limit', '0', deb]);
    const errors = l.stdout.split('\n').filter((x) => x.startsWith('E: '));
    expect(errors).toEqual([]);
    expect(l.code, l.stdout + l.stderr).toBe(0);
  }, 120_000);
});

describe('the .rpm', () => {
  it('lists the same files, with the configuration as %config(noreplace) and Node.js >= 20 required', () => {
    const files = sh('rpm', ['-qlp', rpm]).stdout.split('\n');
    for (const f of [...EXPECTED_FILES, '/var/lib/drbd-sentinel']) expect(files, f).toContain(f);
    expect(sh('rpm', ['-qp', '--configfiles', rpm]).stdout.trim()).toBe('/etc/drbd-sentinel/config.yaml');
    const requires = sh('rpm', ['-qp', '--requires', rpm]).stdout;
    expect(requires).toContain('nodejs >= 1:20');
    expect(requires).toContain('(drbd-utils or drbd84-utils or drbd9x-utils or drbd90-utils)');
    expect(sh('rpm', ['-qp', '--queryformat', '%{ARCH}', rpm]).stdout).toBe('noarch');
  });
});
