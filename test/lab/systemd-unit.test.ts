/**
 * The systemd unit under real systemd (issue 8 item 2): a debootstrapped Debian 12 booted with
 * systemd-nspawn, the program installed by scripts/install.sh (bind-mounted read-only), the host's
 * node, no DRBD module (the daemon observes `module-not-loaded` and still becomes ready).
 * Proves: `systemctl start` returns only after READY=1, STATUS= reaches `systemctl status`, a
 * frozen loop is killed by the watchdog (SIGABRT) and restarted, `systemctl stop` is clean, and an
 * invalid configuration fails with 78 and is not restarted.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { runCommand } from '../../src/common/exec.js';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSystemdTree,
  killOrphanedContainers,
  missingHostTools,
  sleep,
  SystemdContainer,
} from './systemd-container.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const UNIT = 'drbd-sentinel.service';
/** The node running this test; the installed wrapper runs it inside the container too. */
const NODE = realpathSync(process.execPath);
const HOSTNAME = 'sentinel-lab';
/** nspawn machine names are this plus the test process's PID (how leftovers are recognized). */
const MACHINE_PREFIX = 'sentinel-unit-';
const PROPS = ['ActiveState', 'SubState', 'Result', 'MainPID', 'NRestarts', 'StatusText', 'ExecMainStatus'];

/** A valid configuration for this container: it is node `sentinel-lab`; the peer never answers. */
const VALID_CONFIG = `cluster:
  name: lab-pair
nodes:
  - name: ${HOSTNAME}
    addresses: [127.0.0.1]
  - name: sentinel-peer
    addresses: [127.0.0.2]
resources:
  - name: r0
    device: /dev/drbd1
    mount:
      point: /srv/r0
      fstype: ext4
fencing:
  policy: resource-only
`;
// Everything else is the default: secret /etc/drbd-sentinel/secret, control socket in
// /run/drbd-sentinel (RuntimeDirectory=), state in /var/lib/drbd-sentinel (StateDirectory=).

/** Durations (ms) and the watchdog core size (bytes), written to .lab/logs/systemd-unit-measurements.json. */
const timings: Record<string, number> = {};
async function timed<T>(name: string, f: () => T | Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await f();
  } finally {
    timings[name] = Date.now() - t0;
  }
}

let runDir = '';
let confDir = '';
let container: SystemdContainer | null = null;

function ct(): SystemdContainer {
  if (container === null) throw new Error('the container did not boot (see beforeAll)');
  return container;
}

/** Polls `systemctl show` until `pred` holds; fails with the last state after `timeoutMs`. */
async function waitForUnit(
  pred: (s: Record<string, string>) => boolean,
  what: string,
  timeoutMs: number,
): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await ct().show(UNIT, PROPS);
    if (pred(s)) return s;
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached after ${timeoutMs} ms; unit: ${JSON.stringify(s)}
journal:
${await ct().journal(UNIT)}`);
    await sleep(250);
  }
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

beforeAll(async () => {
  const missing = missingHostTools();
  if (process.getuid?.() !== 0) missing.push('root (systemd-nspawn needs it)');
  if (!existsSync(path.join(ROOT, 'dist/cli.js'))) missing.push('dist/cli.js (run `npm run build`)');
  if (missing.length > 0)
    throw new Error(`systemd tier: missing ${missing.join(', ')}; run: bash scripts/install-deps.sh`);

  const orphans = await killOrphanedContainers(MACHINE_PREFIX);
  if (orphans.length > 0)
    console.log(`systemd-unit: stopped containers of dead test runs: ${orphans.join(' ')}`);
  const tree = await timed('treeMs', () => buildSystemdTree(ROOT));
  mkdirSync(path.join(ROOT, '.lab/run'), { recursive: true });
  // Run folders of dead test runs (the PID in the name is gone).
  for (const d of readdirSync(path.join(ROOT, '.lab/run'))) {
    const owner = /^systemd-unit-(\d+)-/.exec(d)?.[1];
    if (owner !== undefined && !existsSync(`/proc/${owner}`))
      rmSync(path.join(ROOT, '.lab/run', d), { recursive: true, force: true });
  }
  runDir = mkdtempSync(path.join(ROOT, `.lab/run/systemd-unit-${process.pid}-`));
  const stage = path.join(runDir, 'stage');
  await timed('installMs', async () => {
    const r = await runCommand(
      ['bash', path.join(ROOT, 'scripts/install.sh'), '--destdir', stage, '--no-reload', '--node', NODE],
      { timeoutMs: 120_000 },
    );
    if (r.status !== 'ok') throw new Error(`install.sh ${r.status}: ${'stderr' in r ? r.stderr : ''}`);
  });
  confDir = path.join(runDir, 'etc');
  mkdirSync(confDir, { mode: 0o700 });
  writeFileSync(path.join(confDir, 'config.yaml'), VALID_CONFIG);
  writeFileSync(path.join(confDir, 'secret'), 'c3lzdGVtZC11bml0LXRlc3Qtc2VjcmV0LTAxMjM0NTY3\n', {
    mode: 0o600,
  });
  chmodSync(path.join(confDir, 'secret'), 0o600);

  container = new SystemdContainer({
    tree,
    hostname: HOSTNAME,
    machine: `${MACHINE_PREFIX}${process.pid}`,
    consoleLog: path.join(runDir, 'console.log'),
    binds: [
      // The host's node at the same path (the tree has the C++ runtime it links against).
      { host: NODE, container: NODE, readOnly: true },
      { host: `${stage}/usr/lib/drbd-sentinel`, container: '/usr/lib/drbd-sentinel', readOnly: true },
      { host: `${stage}/usr/sbin/drbd-sentinel`, container: '/usr/sbin/drbd-sentinel', readOnly: true },
      {
        host: `${stage}/usr/lib/systemd/system/${UNIT}`,
        container: `/usr/lib/systemd/system/${UNIT}`,
        readOnly: true,
      },
      { host: confDir, container: '/etc/drbd-sentinel', readOnly: false },
    ],
  });
  await timed('bootMs', () => ct().boot());
});

afterAll(async () => {
  mkdirSync(path.join(ROOT, '.lab/logs'), { recursive: true });
  try {
    if (container !== null) {
      // Keep the evidence (the unit's journal) in the ignored log folder.
      const journal = await container.journal(UNIT).catch(() => '');
      writeFileSync(path.join(ROOT, '.lab/logs/systemd-unit-journal.txt'), journal);
      await timed('shutdownMs', () => container?.stop());
    }
  } finally {
    if (runDir !== '') rmSync(runDir, { recursive: true, force: true });
    writeFileSync(
      path.join(ROOT, '.lab/logs/systemd-unit-measurements.json'),
      `${JSON.stringify(timings, null, 2)}\n`,
    );
    console.log(`systemd-unit measurements (ms, bytes): ${JSON.stringify(timings)}`);
  }
});

describe('drbd-sentinel.service under real systemd (systemd-nspawn, Debian 12)', () => {
  it('systemd accepts the installed unit (systemd-analyze verify)', async () => {
    const r = await ct().exec(['systemd-analyze', 'verify', `/usr/lib/systemd/system/${UNIT}`]);
    expect(r.code, r.stderr).toBe(0);
    const s = await ct().show(UNIT, ['Type', 'NotifyAccess', 'ActiveState']);
    expect(s).toMatchObject({
      Type: 'notify',
      NotifyAccess: 'main',
      ActiveState: 'inactive',
    });
  });

  it('`systemctl start` returns once the daemon sent READY=1: active (running) with its STATUS line', async () => {
    const r = await timed('startMs', () => ct().exec(['systemctl', 'start', UNIT], 120_000));
    // Read right when start returned: Type=notify stays "activating" until READY=1.
    const s = await ct().show(UNIT, PROPS);
    expect(r.code, `${r.stderr}\n${await ct().journal(UNIT)}`).toBe(0);
    expect(s.ActiveState).toBe('active');
    expect(s.SubState).toBe('running');
    expect(Number(s.MainPID)).toBeGreaterThan(0);
    // The running service's watchdog is armed with the unit's WatchdogSec=.
    expect((await ct().show(UNIT, ['WatchdogUSec'])).WatchdogUSec).toBe('10s');
    // The daemon's one-line summary (Daemon.statusLine): no DRBD here, the peer never answers.
    expect(s.StatusText).toMatch(/^r0 Unknown\/DUnknown Unconfigured; peer unreachable; \S+/);
    const journal = await ct().journal(UNIT);
    expect(journal).toContain('"drbd":"module-not-loaded","msg":"ready"');
  });

  it('`systemctl status` shows the STATUS= text', async () => {
    const s = await ct().show(UNIT, PROPS);
    const r = await ct().exec(['systemctl', 'status', '--no-pager', '--lines=0', UNIT]);
    expect(r.code, r.stderr).toBe(0); // 0: active
    expect(r.stdout).toMatch(/Active: active \(running\)/);
    expect(r.stdout).toContain(`Status: "${s.StatusText}"`);
  });

  it('a frozen daemon is killed by the watchdog (SIGABRT) and restarted with a new main PID', async () => {
    const before = await ct().show(UNIT, PROPS);
    const oldPid = Number(before.MainPID);
    expect(before.NRestarts).toBe('0');
    // SIGSTOP freezes the whole process: no loop iteration, no WATCHDOG=1.
    const stop = await ct().exec(['kill', '-STOP', String(oldPid)]);
    expect(stop.code, stop.stderr).toBe(0);
    const after = await timed('watchdogRecoveryMs', () =>
      waitForUnit(
        (s) =>
          s.NRestarts === '1' &&
          s.ActiveState === 'active' &&
          s.SubState === 'running' &&
          Number(s.MainPID) > 0 &&
          Number(s.MainPID) !== oldPid,
        'watchdog restart',
        60_000,
      ),
    );
    expect(Number(after.MainPID)).not.toBe(oldPid);
    const journal = await ct().journal(UNIT);
    expect(journal).toMatch(/Watchdog timeout \(limit 10s\)!/);
    expect(journal).toMatch(new RegExp(`Killing process ${oldPid} \\(node\\) with signal SIGABRT`));
    expect(journal).toMatch(/Main process exited, code=dumped, status=6\/ABRT/);
    // The old process is gone, the new one became ready again (READY=1 gates "running" after a restart too).
    expect((await ct().exec(['kill', '-0', String(oldPid)])).code).not.toBe(0);
    expect(count(journal, '"msg":"ready"')).toBe(2);
    // Measured, not asserted: where the core goes depends on the host's kernel.core_pattern.
    const core = await ct().exec(['sh', '-c', 'stat -c %s /var/lib/drbd-sentinel/core* 2>/dev/null || true']);
    timings.coreDumpBytes = Number(core.stdout.trim().split('\n')[0] || 0);
  });

  it('`systemctl stop` stops it cleanly: exit 0, "daemon stopping" logged', async () => {
    const before = count(await ct().journal(UNIT), '"msg":"daemon stopping"');
    const r = await timed('stopMs', () => ct().exec(['systemctl', 'stop', UNIT], 120_000));
    expect(r.code, r.stderr).toBe(0);
    const s = await ct().show(UNIT, PROPS);
    expect(s).toMatchObject({ ActiveState: 'inactive', Result: 'success', ExecMainStatus: '0' });
    const journal = await ct().journal(UNIT);
    expect(count(journal, '"msg":"daemon stopping"')).toBe(before + 1);
    // What systemd logged for this stop (the watchdog kill before it did log a failure).
    const thisStop = journal.slice(journal.lastIndexOf('Stopping drbd-sentinel.service'));
    expect(thisStop).toContain('drbd-sentinel.service: Deactivated successfully.');
    expect(thisStop).not.toContain('Failed with result');
  });

  it('an invalid configuration fails with status 78 and is NOT restarted (RestartPreventExitStatus=78)', async () => {
    writeFileSync(
      path.join(confDir, 'config.yaml'),
      VALID_CONFIG.replace('cluster:', 'heartbeat:\n  port: 99999\ncluster:'),
    );
    const scheduledBefore = count(await ct().journal(UNIT), 'Scheduled restart job');
    const r = await ct().exec(['systemctl', 'start', UNIT], 120_000);
    expect(r.code).not.toBe(0); // the start job fails: the process exited before READY=1
    const s = await ct().show(UNIT, PROPS);
    expect(s).toMatchObject({
      ActiveState: 'failed',
      Result: 'exit-code',
      ExecMainStatus: '78',
      NRestarts: '0',
    });
    // Longer than RestartSec=2s: a restart would have been scheduled by now.
    await sleep(5_000);
    const later = await ct().show(UNIT, PROPS);
    expect(later).toMatchObject({ ActiveState: 'failed', ExecMainStatus: '78', NRestarts: '0' });
    const journal = await ct().journal(UNIT);
    expect(count(journal, 'Scheduled restart job')).toBe(scheduledBefore);
    expect(journal).toMatch(/Main process exited, code=exited, status=78\/CONFIG/);
    // The operator finds the located problem in the journal.
    expect(journal).toMatch(/\/etc\/drbd-sentinel\/config\.yaml:\d+:\d+: heartbeat\.port: /);
  });

  it('a host that is not one of the two nodes: status 78, not restarted', async () => {
    writeFileSync(
      path.join(confDir, 'config.yaml'),
      VALID_CONFIG.replace(`name: ${HOSTNAME}`, 'name: elsewhere'),
    );
    const r = await ct().exec(['systemctl', 'start', UNIT], 120_000);
    expect(r.code).not.toBe(0);
    const s = await ct().show(UNIT, PROPS);
    expect(s).toMatchObject({
      ActiveState: 'failed',
      Result: 'exit-code',
      ExecMainStatus: '78',
      NRestarts: '0',
    });
    expect(await ct().journal(UNIT)).toContain(
      'refusing to run: this host is not one of the configured nodes',
    );
  });
});
