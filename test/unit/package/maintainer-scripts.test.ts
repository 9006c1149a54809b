import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/membership-harness.js';
import { requireTools, sh } from './tools.js';

// The .deb's maintainer scripts, run for real in a private mount namespace: /run, /var/lib and /etc
// are fresh tmpfs there (the host's stay untouched), /run/systemd/system says "systemd is running",
// and a systemctl first in PATH records what it was asked.
const DEBIAN = join(REPO_ROOT, 'scripts/package/debian');
const bin = mkdtempSync(join(tmpdir(), 'sentinel-mscripts-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
writeFileSync(join(bin, 'systemctl'), '#!/bin/sh\necho "systemctl $*" >>/run/systemctl.log\n');
chmodSync(join(bin, 'systemctl'), 0o755);

/** Runs `steps` (shell, the scripts as $POSTINST, $PRERM, $POSTRM) in the namespace; returns its output. */
function inNamespace(steps: string, systemd = true): string {
  requireTools('unshare');
  const script = [
    'set -e',
    'mount -t tmpfs none /run && mount -t tmpfs none /var/lib && mount -t tmpfs none /etc',
    systemd ? 'mkdir -p /run/systemd/system' : ':',
    'touch /run/systemctl.log',
    `export PATH=${bin}:/usr/sbin:/usr/bin:/sbin:/bin POSTINST=${DEBIAN}/postinst PRERM=${DEBIAN}/prerm POSTRM=${DEBIAN}/postrm`,
    steps,
  ].join('\n');
  const r = sh('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script]);
  if (r.code !== 0) throw new Error(`namespace run failed (${r.code}; root needed): ${r.stderr}`);
  return r.stdout;
}

describe('.deb maintainer scripts', () => {
  it('first install: state directory 0700 and daemon-reload, never start or enable', () => {
    const out = inNamespace(
      'sh $POSTINST configure ""\nstat -c "%a %F" /var/lib/drbd-sentinel\ncat /run/systemctl.log',
    );
    expect(out).toBe('700 directory\nsystemctl daemon-reload\n');
  });

  it('upgrade: the old prerm leaves the daemon running, the new postinst try-restarts it (only if running)', () => {
    const out = inNamespace(
      'sh $PRERM upgrade 0.2.0\necho ---\nsh $POSTINST configure 0.1.0\ncat /run/systemctl.log',
    );
    expect(out).toBe('---\nsystemctl daemon-reload\nsystemctl try-restart drbd-sentinel.service\n');
  });

  it('remove: stops the daemon and keeps state and secret; purge removes them and the enablement', () => {
    const out = inNamespace(
      [
        'sh $POSTINST configure ""',
        'echo journal >/var/lib/drbd-sentinel/journal.jsonl',
        'mkdir -p /etc/drbd-sentinel /etc/systemd/system/multi-user.target.wants',
        'echo key >/etc/drbd-sentinel/secret',
        'ln -s /usr/lib/systemd/system/drbd-sentinel.service /etc/systemd/system/multi-user.target.wants/drbd-sentinel.service',
        ': >/run/systemctl.log',
        'sh $PRERM remove && sh $POSTRM remove',
        'ls /var/lib/drbd-sentinel /etc/drbd-sentinel',
        'echo ---',
        'sh $POSTRM purge',
        'ls -A /var/lib /etc/systemd/system/multi-user.target.wants; test ! -e /etc/drbd-sentinel && echo "no /etc/drbd-sentinel"',
        'cat /run/systemctl.log',
      ].join('\n'),
    );
    expect(out).toBe(
      [
        '/etc/drbd-sentinel:',
        'secret',
        '',
        '/var/lib/drbd-sentinel:',
        'journal.jsonl',
        '---',
        // ls lists its arguments sorted; both are empty now.
        '/etc/systemd/system/multi-user.target.wants:',
        '',
        '/var/lib:',
        'no /etc/drbd-sentinel',
        'systemctl stop drbd-sentinel.service',
        'systemctl daemon-reload',
        'systemctl daemon-reload',
        '',
      ].join('\n'),
    );
  });

  it('without systemd running (a chroot, a container): no systemctl call at all', () => {
    const out = inNamespace(
      'sh $POSTINST configure 0.1.0 && sh $PRERM remove && sh $POSTRM purge\ncat /run/systemctl.log\necho done',
      false,
    );
    expect(out).toBe('done\n');
  });
});
