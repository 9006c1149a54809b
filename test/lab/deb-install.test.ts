import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabNode } from '../scenarios/target.js';
import { sleep } from './command-channel.js';
import { DaemonPair } from './daemon-pair.js';
import { LAB_NODES, PROJECT_ROOT } from './lab.js';
import { useLab } from './lab-fixture.js';
import { ensureReplicationAddress } from './systemd-nic.js';

// Issue 16 item 3: the .deb installed like any Debian service in the systemd VMs (Debian 12 with the
// NodeSource nodejs 20 package, real DRBD 8.4), set up with `drbd-sentinel init` only, then on the
// running pair: an upgrade, a power-kill of the Primary, and a removal. The daemon runs from the
// installed files alone; the 9p share only carries the package files in and the host's fence answers.
// Order (one boot, no reboot): install -> init -> enable --now -> upgrade (both connected) ->
// apt-get remove on the Primary (connected) -> reinstall and start -> power-kill of the Primary.

const lab = useLab({ image: 'systemd' });
const VERSION = '0.1.0';
const MOUNT = '/mnt/r0';
const FENCE_AGENT = '/usr/local/sbin/lab-fence-via-host';
const APT = 'DEBIAN_FRONTEND=noninteractive apt-get install -y';
/** What the conffile edit adds (heartbeats slow enough for an emulated CPU); must survive the upgrade. */
const EDIT = [
  '# lab edit: heartbeats for an emulated CPU (TCG); must survive the package upgrade',
  'heartbeat: { interval: 500ms, warntime: 2s, deadtime: 4s }',
  '',
].join('\n');

let pair: DaemonPair;
let packages = '';
let fenceDirGuest = '';
const timings: Record<string, number> = {};
const t0 = Date.now();
const mark = (step: string): void => void (timings[step] = Math.round((Date.now() - t0) / 1000));

const debFile = (revision: number): string => `drbd-sentinel_${VERSION}-${revision}_all.deb`;
const guestPath = (hostPath: string): string => `/shared/${path.relative(PROJECT_ROOT, hostPath)}`;

/** `npm run package` (scripts/package/build.sh) into OUTDIR with a package revision. */
function buildPackage(outDir: string, revision: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(PROJECT_ROOT, 'scripts/package/build.sh'), outDir], {
      env: { ...process.env, DEB_REVISION: String(revision) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`package build (revision ${revision}) failed: exit ${code}`)),
    );
  });
}

const unit = (node: LabNode) =>
  lab().show(node, 'drbd-sentinel', ['ActiveState', 'SubState', 'MainPID', 'NRestarts', 'UnitFileState']);

const journal = (n: LabNode, grep: string): Promise<string> =>
  lab()
    .sh(n, `journalctl -u drbd-sentinel -o cat --no-pager | grep -c '${grep}'`, 60)
    .then((r) => r.stdout.trim());

/** Polls a guest condition (exit 0) every second; on timeout throws with the unit's journal tail. */
async function waitGuest(n: LabNode, what: string, condition: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await lab().sh(n, condition, 30);
    if (r.exitCode === 0 && !r.timedOut) return;
    if (Date.now() > deadline) {
      const tail = await lab().sh(n, 'journalctl -u drbd-sentinel -o cat --no-pager | tail -n 30', 30);
      throw new Error(`lab: ${n}: ${what}: not within ${timeoutMs} ms\n--- journal\n${tail.stdout}`);
    }
    await sleep(1000);
  }
}

/** The role/connection/disk line of /proc/drbd for minor 1, e.g. `cs:Connected ro:Primary/Secondary ds:...`. */
async function drbdState(n: LabNode): Promise<string> {
  const m = /cs:\S+ ro:\S+ ds:\S+/.exec(await lab().procDrbd(n));
  return m?.[0] ?? '';
}

/**
 * The daemon process runs from the installed files only: the packaged nodejs, the bundle under
 * /usr/lib/drbd-sentinel, and nothing of the project share (no file mapped or open under /shared).
 */
async function expectRunsFromPackage(n: LabNode, pid: string): Promise<void> {
  const out = await lab().must(
    n,
    [
      `readlink /proc/${pid}/exe`,
      `tr '\\0' ' ' </proc/${pid}/cmdline; echo`,
      `grep -c /shared /proc/${pid}/maps || true`,
      `ls -l /proc/${pid}/fd /proc/${pid}/cwd | grep -c /shared || true`,
    ].join('\n'),
  );
  expect(out, n).toBe(
    '/usr/bin/node\n/usr/bin/node /usr/lib/drbd-sentinel/dist/bundle/drbd-sentinel.mjs run -c /etc/drbd-sentinel/config.yaml \n0\n0\n',
  );
}

beforeAll(async () => {
  pair = new DaemonPair(lab());
  fenceDirGuest = guestPath(pair.fenceDir);
  const dir = path.join(lab().runDir, 'packages');
  mkdirSync(dir, { recursive: true });
  await buildPackage(path.join(dir, '1'), 1);
  await buildPackage(path.join(dir, '2'), 2);
  packages = guestPath(dir);
  mark('packages built');
}, 300_000);

afterAll(async () => {
  pair?.stopFenceResponder();
  console.info(`lab deb-install: step timings (s since the file started): ${JSON.stringify(timings)}`);
});

describe('the .deb on real systemd with real DRBD 8.4', () => {
  it('apt-get installs it against the nodejs 20 package; the service is neither enabled nor started', async () => {
    await Promise.all(
      LAB_NODES.map(async (n) => {
        await lab().sh(n, 'systemctl is-system-running --wait', 120);
        await ensureReplicationAddress(lab(), n);
        const r = await lab().sh(
          n,
          `cp ${packages}/1/${debFile(1)} ${packages}/2/${debFile(2)} /tmp/ && cd /tmp && ${APT} ./${debFile(1)}`,
          300,
        );
        expect(r.exitCode, `${n}: apt-get install:\n${r.stdout}${r.stderr}`).toBe(0);
      }),
    );
    mark('installed');
    for (const n of LAB_NODES) {
      expect(await lab().must(n, "dpkg-query -W -f='${Status} ${Version}\\n' drbd-sentinel nodejs")).toMatch(
        new RegExp(`^install ok installed ${VERSION}-1\\ninstall ok installed 20\\.`),
      );
      // Node is the package's, nowhere else on the PATH; the dependency is tracked by dpkg.
      expect(
        await lab().must(n, 'readlink -f "$(command -v node)"; dpkg -S /usr/bin/node; ls /usr/local/bin'),
      ).toBe('/usr/bin/node\nnodejs: /usr/bin/node\n');
      const removeNode = await lab().sh(n, 'dpkg --dry-run -r nodejs 2>&1');
      expect(removeNode.exitCode, n).not.toBe(0);
      expect(removeNode.stdout, n).toMatch(/drbd-sentinel depends on nodejs \(>= 20\)/);
      expect(await lab().must(n, 'drbd-sentinel --version')).toBe(`${VERSION}\n`);
      expect(await unit(n), n).toMatchObject({ ActiveState: 'inactive', UnitFileState: 'disabled' });
    }
  }, 420_000);

  it('init on both nodes, the secret copied, enable --now: alpha Primary and mounted, bravo Secondary', async () => {
    await Promise.all(
      LAB_NODES.map((n) =>
        lab().must(
          n,
          [
            'set -e',
            `printf '/dev/drbd1  ${MOUNT}  ext4  noauto  0  0\\n' >>/etc/fstab`,
            `install -m 0755 /shared/scripts/lab/guest/daemon/fence-via-host ${FENCE_AGENT}`,
            'cp /shared/scripts/lab/guest/deb/drbd.conf /etc/drbd.conf',
          ].join('\n'),
        ),
      ),
    );
    await lab().resetDrbd(); // alpha Primary, both UpToDate, a fresh ext4 on /dev/drbd1
    const initCmd = `drbd-sentinel init --fence-command '${FENCE_AGENT} ${fenceDirGuest}'`;
    const onAlpha = await lab().must('alpha', initCmd, 120);
    expect(onAlpha).toContain('created the shared secret /etc/drbd-sentinel/secret (mode 0600)');
    // The operator's scp, done by the host: the same secret on bravo before init runs there.
    const secret = (await lab().must('alpha', 'base64 -w0 /etc/drbd-sentinel/secret')).trim();
    await lab().must('bravo', `umask 077; echo ${secret} | base64 -d >/etc/drbd-sentinel/secret`);
    const onBravo = await lab().must('bravo', initCmd, 120);
    expect(onBravo).toContain('took the existing secret /etc/drbd-sentinel/secret');
    const sums = await Promise.all(
      LAB_NODES.map((n) =>
        lab().must(n, 'sha256sum </etc/drbd-sentinel/config.yaml; stat -c %a /etc/drbd-sentinel/secret'),
      ),
    );
    expect(sums[1], 'init writes the same file on both nodes; the secret is 0600').toBe(sums[0]);
    expect(sums[0]).toMatch(/\n600\n$/);

    // init's step 1: its DRBD snippet goes into the resource on both nodes, then `drbdadm adjust`.
    const snippet = /^resource r0 \{\n([\s\S]*?)^\}$/m.exec(onAlpha)?.[1] ?? '';
    expect(snippet).toContain('fencing resource-and-stonith;');
    expect(snippet).toContain('fence-peer "/usr/sbin/drbd-sentinel fence-peer";');
    const spliced = Buffer.from(snippet).toString('base64');
    for (const n of LAB_NODES) {
      await lab().must(
        n,
        [
          'set -e',
          `echo ${spliced} | base64 -d >/tmp/snippet`,
          "sed -i '/^resource r0 {$/r /tmp/snippet' /etc/drbd.conf",
          'drbdadm adjust r0',
          // The conffile edit (before the upgrade, which must keep it).
          `printf '%s' '${EDIT}' >>/etc/drbd-sentinel/config.yaml`,
        ].join('\n'),
        60,
      );
      expect(await lab().must(n, 'drbdsetup show r0')).toMatch(/fencing\s+resource-and-stonith/);
    }
    mark('init done');

    // init's step 3, verbatim, on both nodes at once.
    const start = 'drbd-sentinel check-config -q && systemctl enable --now drbd-sentinel';
    expect(onAlpha).toContain(start);
    pair.startFenceResponder();
    const started = await Promise.all(LAB_NODES.map((n) => lab().sh(n, start, 180)));
    for (const [i, r] of started.entries())
      expect(r.exitCode, `${LAB_NODES[i]}: ${r.stdout}${r.stderr}`).toBe(0);
    for (const n of LAB_NODES)
      await waitGuest(
        n,
        'the daemon ready and the peer heard',
        `journalctl -u drbd-sentinel -o cat --no-pager | grep -q '"kind":"peer-back"'`,
        120_000,
      );
    await waitGuest('alpha', 'r0 mounted by the daemon', `grep -q ' ${MOUNT} ' /proc/mounts`, 90_000);
    mark('pair serving');
    expect(await drbdState('alpha')).toBe('cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate');
    expect(await drbdState('bravo')).toBe('cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate');
    expect((await lab().sh('bravo', `grep -c ' ${MOUNT} ' /proc/mounts`)).stdout.trim()).toBe('0');
    for (const n of LAB_NODES) {
      const u = await unit(n);
      expect(u, n).toMatchObject({ ActiveState: 'active', SubState: 'running', UnitFileState: 'enabled' });
      await expectRunsFromPackage(n, u.MainPID ?? '');
    }
    await lab().must('alpha', `echo served-by-alpha >${MOUNT}/data && sync`);
    expect(pair.fenceRequests).toEqual([]);
  }, 420_000);

  it('an upgrade on the running pair restarts each daemon, changes no role and keeps the edited conffile', async () => {
    const before = await Promise.all(LAB_NODES.map((n) => unit(n)));
    const roleChanges = (n: LabNode) => lab().must(n, "dmesg | grep -c 'role( ' || true");
    const rolesBefore = await Promise.all(LAB_NODES.map(roleChanges));
    // The Secondary first, then the Primary (docs/packaging.md). No --force-confold: dpkg must keep
    // the edited conffile on its own, because the package's version of it did not change.
    for (const n of ['bravo', 'alpha'] as const) {
      const r = await lab().sh(n, `cd /tmp && ${APT} ./${debFile(2)}`, 300);
      expect(r.exitCode, `${n}: upgrade:\n${r.stdout}${r.stderr}`).toBe(0);
      // try-restart of a Type=notify unit returns after the new daemon's READY=1.
      expect(await journal(n, '"msg":"ready"'), n).toBe('2');
      mark(`${n} upgraded`);
    }
    for (const [i, n] of LAB_NODES.entries()) {
      expect(await lab().must(n, "dpkg-query -W -f='${Version}' drbd-sentinel")).toBe(`${VERSION}-2`);
      const u = await unit(n);
      expect(u, n).toMatchObject({ ActiveState: 'active', SubState: 'running', NRestarts: '0' });
      expect(u.MainPID, `${n}: a new daemon process`).not.toBe(before[i]?.MainPID);
      await expectRunsFromPackage(n, u.MainPID ?? '');
      expect(await lab().must(n, 'tail -c 200 /etc/drbd-sentinel/config.yaml')).toContain(EDIT);
      expect(await lab().must(n, 'ls /etc/drbd-sentinel')).toBe('config.yaml\nsecret\n');
    }
    for (const n of LAB_NODES)
      await waitGuest(
        n,
        'the peer heard again',
        `test "$(journalctl -u drbd-sentinel -o cat --no-pager | grep -c '"kind":"peer-back"')" -ge 2`,
        60_000,
      );
    expect(await drbdState('alpha')).toBe('cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate');
    expect(await drbdState('bravo')).toBe('cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate');
    expect(await lab().must('alpha', `cat ${MOUNT}/data`)).toBe('served-by-alpha\n');
    expect(await Promise.all(LAB_NODES.map(roleChanges)), 'no DRBD role change').toEqual(rolesBefore);
    expect(pair.fenceRequests).toEqual([]);
  }, 600_000);

  it('apt-get remove on the Primary of the connected pair stops its unit and leaves DRBD alone; the peer does nothing', async () => {
    const before = await Promise.all(LAB_NODES.map(drbdState));
    expect(before[0]).toBe('cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate');
    const peerEvents = await journal('bravo', '"kind":"peer-\\(back\\|restarted\\)"');
    const r = await lab().sh('alpha', 'DEBIAN_FRONTEND=noninteractive apt-get remove -y drbd-sentinel', 300);
    expect(r.exitCode, `remove:\n${r.stdout}${r.stderr}`).toBe(0);
    mark('alpha removed');
    expect(await lab().must('alpha', "dpkg-query -W -f='${Status}' drbd-sentinel")).toBe(
      'deinstall ok config-files',
    );
    expect(await unit('alpha')).toMatchObject({ ActiveState: 'inactive', MainPID: '0' });
    expect((await lab().sh('alpha', 'pgrep -fc drbd-sentinel.mjs')).stdout.trim()).toBe('0');
    // Configuration, secret and state stay for a reinstall (purge would remove them).
    expect(
      await lab().must('alpha', 'ls /etc/drbd-sentinel; test -d /var/lib/drbd-sentinel && echo state'),
    ).toBe('config.yaml\nsecret\nstate\n');
    // Longer than bravo's deadtime (4 s) plus its fencing delay (5 s): bravo saw a clean shutdown,
    // not a dead peer, and neither fences nor takes over.
    await sleep(12_000);
    expect(await Promise.all(LAB_NODES.map(drbdState)), 'DRBD untouched on both').toEqual(before);
    expect(await lab().must('alpha', `grep -c ' ${MOUNT} ' /proc/mounts; cat ${MOUNT}/data`)).toBe(
      '1\nserved-by-alpha\n',
    );
    expect((await lab().sh('bravo', `grep -c ' ${MOUNT} ' /proc/mounts`)).stdout.trim()).toBe('0');
    expect(pair.fenceRequests).toEqual([]);

    // Reinstalled, the package does not start the daemon (still enabled: remove kept the symlink).
    const again = await lab().sh('alpha', `cd /tmp && ${APT} ./${debFile(2)}`, 300);
    expect(again.exitCode, `reinstall:\n${again.stdout}${again.stderr}`).toBe(0);
    expect(await unit('alpha')).toMatchObject({ ActiveState: 'inactive', UnitFileState: 'enabled' });
    expect(await lab().must('alpha', 'tail -c 200 /etc/drbd-sentinel/config.yaml')).toContain(EDIT);
    await lab().must('alpha', 'systemctl start drbd-sentinel', 180);
    await waitGuest(
      'bravo',
      "alpha's new daemon heard",
      `test "$(journalctl -u drbd-sentinel -o cat --no-pager | grep -c '"kind":"peer-\\(back\\|restarted\\)"')" -gt ${peerEvents}`,
      90_000,
    );
    mark('alpha reinstalled');
    expect(await Promise.all(LAB_NODES.map(drbdState))).toEqual(before);
  }, 420_000);

  it('power-kill of the Primary: bravo fences it through the host, promotes and mounts', async () => {
    await lab().vm('alpha').powerKill();
    mark('alpha killed');
    await waitGuest('bravo', 'r0 mounted on the survivor', `grep -q ' ${MOUNT} ' /proc/mounts`, 120_000);
    mark('bravo serving');
    expect(await drbdState('bravo')).toMatch(
      /^cs:WFConnection ro:Primary\/Unknown ds:UpToDate\/(Outdated|DUnknown)$/,
    );
    expect(await lab().must('bravo', `cat ${MOUNT}/data`)).toBe('served-by-alpha\n');
    expect(pair.fenceRequests).toMatchObject([{ from: 'bravo', peer: 'alpha', answer: 'off' }]);
  }, 300_000);
});
