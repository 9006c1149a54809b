import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHolders, parseFuserOutput } from '../../../src/executor/fuser-output.js';
import { mountStateOf, parseMountTable } from '../../../src/executor/mount-table.js';
import { parseFloatingAddress } from '../../../src/executor/resource-config.js';
import { addressListed, fsckErrorKind } from '../../../src/executor/system-port.js';

describe('parseFuserOutput', () => {
  // Captured from psmisc 23.6 (`fuser -vm /tmp/fz` with a `sleep` in /tmp/fz), streams separated.
  const stdout = ' kernel  8764  8790';
  const stderr = [
    '                     USER        PID ACCESS COMMAND',
    '/tmp/fz:             root      mount /',
    '                     root      .rce. bash',
    '                     root      ..c.. sleep',
  ].join('\n');

  it('matches stdout PIDs with stderr rows (the real split shape), without the kernel entry', () => {
    expect(parseFuserOutput(stdout, stderr)).toEqual([
      { pid: 8764, user: 'root', access: '.rce.', command: 'bash' },
      { pid: 8790, user: 'root', access: '..c..', command: 'sleep' },
    ]);
  });

  it('reads the interleaved terminal shape too', () => {
    const combined = [
      '                     USER        PID ACCESS COMMAND',
      '/srv/r0:             root     kernel mount /srv/r0',
      '                     root       8764 ..c.. sleep',
      '                     www-data   9001 F.... nginx: worker',
    ].join('\n');
    expect(parseFuserOutput(combined, '')).toEqual([
      { pid: 8764, user: 'root', access: '..c..', command: 'sleep' },
      { pid: 9001, user: 'www-data', access: 'F....', command: 'nginx: worker' },
    ]);
  });

  it('returns no holders when only the mount itself is listed, and survives any input', () => {
    expect(
      parseFuserOutput(' kernel', '                     USER        PID ACCESS COMMAND\n/x:  root  mount /x'),
    ).toEqual([]);
    expect(parseFuserOutput('', '')).toEqual([]);
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const holders = parseFuserOutput(a, b);
        return holders.every((h) => Number.isSafeInteger(h.pid) && h.pid > 0);
      }),
    );
  });

  it('formats holders for logs and pages', () => {
    expect(formatHolders(parseFuserOutput(stdout, stderr))).toBe(
      '8764 bash (root, .rce.); 8790 sleep (root, ..c..)',
    );
  });
});

describe('mount table', () => {
  const table = [
    'proc /proc proc rw 0 0',
    '/dev/drbd1 /srv/my\\040data ext4 rw,noatime 0 0',
    '/dev/sdb1 /srv/r1 xfs rw 0 0',
  ].join('\n');

  it('unescapes octal escapes', () => {
    expect(parseMountTable(table)[1]).toEqual({
      source: '/dev/drbd1',
      target: '/srv/my data',
      fstype: 'ext4',
    });
  });

  it('tells mounted here, not mounted and conflicts apart', () => {
    const entries = parseMountTable(table);
    expect(mountStateOf(entries, '/dev/drbd1', '/srv/my data/')).toEqual({ kind: 'mounted-here' });
    expect(mountStateOf(entries, '/dev/drbd2', '/srv/r2')).toEqual({ kind: 'not-mounted' });
    expect(mountStateOf(entries, '/dev/drbd1', '/srv/other').kind).toBe('conflict');
    expect(mountStateOf(entries, '/dev/drbd3', '/srv/r1').kind).toBe('conflict');
    // Device symlinks (e.g. /dev/drbd/by-res/r0/0) are resolved before comparing.
    const byRes = parseMountTable('/dev/drbd/by-res/r0/0 /srv/r0 ext4 rw 0 0');
    expect(
      mountStateOf(byRes, '/dev/drbd1', '/srv/r0', (s) => (s === '/dev/drbd/by-res/r0/0' ? '/dev/drbd1' : s)),
    ).toEqual({ kind: 'mounted-here' });
  });
});

describe('small helpers', () => {
  it('parses floating addresses', () => {
    expect(parseFloatingAddress('192.168.110.20/24@eth0')).toEqual({
      ok: true,
      value: { address: '192.168.110.20', prefix: 24, device: 'eth0' },
    });
    expect(parseFloatingAddress('fd00::20/64@bond0.12').ok).toBe(true);
    for (const bad of ['192.168.110.20/24', '300.1.1.1/24@eth0', '10.0.0.1/33@eth0', '10.0.0.1/24@', 'x'])
      expect(parseFloatingAddress(bad).ok).toBe(false);
  });

  it('finds an address in `ip -o addr show` output', () => {
    const out =
      '2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever\n' +
      '2: eth0    inet 10.0.0.50/24 scope global secondary eth0\\       valid_lft forever\n';
    expect(addressListed(out, { address: '10.0.0.50', prefix: 24, device: 'eth0' })).toBe(true);
    expect(addressListed(out, { address: '10.0.0.5', prefix: 16, device: 'eth0' })).toBe(false);
    expect(addressListed(out, { address: '10.0.0.500', prefix: 24, device: 'eth0' })).toBe(false);
  });

  it('reads fsck exit codes', () => {
    expect([0, 1, 2, 3].map(fsckErrorKind)).toEqual([null, null, null, null]);
    expect(fsckErrorKind(4)).toBe('fsck-errors-left');
    expect(fsckErrorKind(8)).toBe('fsck-operational-error');
    expect(fsckErrorKind(null)).toBe('fsck-killed');
  });
});
