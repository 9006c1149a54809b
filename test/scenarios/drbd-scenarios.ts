import type { Scenario, Step } from './scenario.js';
import type { LabNode } from './target.js';

/**
 * The DRBD states and refusals that matter to a failover daemon, as scenarios (issue 4, item 3).
 * The lab runs them to capture test/fixtures/real/; the simulator runs the very same steps for the
 * fidelity test. Resource r0, /dev/drbd1, alpha starts Primary with a fresh ext4, bravo Secondary.
 */

const run = (
  node: LabNode,
  label: string,
  argv: readonly string[],
  extra: Omit<Extract<Step, { kind: 'run' }>, 'kind' | 'node' | 'label' | 'argv'> = {},
): Step => ({ kind: 'run', node, label, argv, ...extra });
const sh = (node: LabNode, label: string, script: string, extra: Parameters<typeof run>[3] = {}): Step =>
  run(node, label, ['sh', '-c', script], extra);
const wait = (node: LabNode, pattern: string, timeoutMs = 60_000): Step => ({
  kind: 'wait',
  label: `wait ${node} /${pattern}/`,
  node,
  pattern,
  timeoutMs,
});
const observe = (label: string, fixture?: { name: string; state: string }, nodes?: LabNode[]): Step => ({
  kind: 'observe',
  label,
  ...(fixture ? { fixture } : {}),
  ...(nodes ? { nodes } : {}),
});
const fault = (label: string, f: Extract<Step, { kind: 'fault' }>['fault']): Step => ({
  kind: 'fault',
  label,
  fault: f,
});

const MOUNT_AND_WRITE = 'mount /dev/drbd1 /mnt/r0 && echo hello >/mnt/r0/hello && sync';
const NEED_UPTODATE = 'Need access to UpToDate data';

export const initialSync: Scenario = {
  name: 'initial-sync',
  description:
    'fresh metadata on both nodes, promote refused on Inconsistent data, forced promote, full sync with progress',
  setup: 'reset',
  steps: [
    ...(['alpha', 'bravo'] as const).map((n) =>
      sh(n, 'fresh metadata', 'drbdadm down r0 && drbdadm create-md --force r0 && drbdadm up r0', {
        expect: { exitCode: 0 },
      }),
    ),
    wait('alpha', 'cs:Connected.*ds:Inconsistent/Inconsistent'),
    observe('connected, both Inconsistent', {
      name: 'connected-inconsistent-before-initial-sync',
      state:
        'Connected Secondary/Secondary Inconsistent/Inconsistent, fresh metadata, before the initial sync',
    }),
    run('alpha', 'promote on Inconsistent data', ['drbdadm', 'primary', 'r0'], {
      expect: { nonZero: true, stderrIncludes: NEED_UPTODATE },
      fixture: {
        name: 'refuse-primary-inconsistent',
        state:
          'REFUSAL: drbdadm primary r0 on alpha, Connected Secondary/Secondary Inconsistent/Inconsistent',
      },
    }),
    run('alpha', 'operator forces the initial sync', ['drbdadm', 'primary', '--force', 'r0'], {
      expect: { exitCode: 0 },
    }),
    wait('alpha', "sync'ed:"),
    observe('initial sync in progress', {
      name: 'initial-sync-progress',
      state: 'initial full sync in progress: alpha SyncSource Primary, bravo SyncTarget (resync-rate 8M)',
    }),
    run('bravo', 'promote a SyncTarget', ['drbdadm', 'primary', 'r0'], {
      expect: { nonZero: true },
      fixture: {
        name: 'refuse-primary-sync-target',
        state:
          'REFUSAL: drbdadm primary r0 on bravo while it is SyncTarget (Inconsistent) and alpha is Primary',
      },
    }),
    wait('bravo', 'cs:Connected.*ds:UpToDate/UpToDate', 180_000),
    observe('initial sync done', {
      name: 'initial-sync-done',
      state: 'after the initial sync: Connected Primary/Secondary UpToDate/UpToDate',
    }),
  ],
};

export const connectedPrimarySecondary: Scenario = {
  name: 'connected-primary-secondary',
  description: 'Connected Primary/Secondary with the device mounted: state views, refusals, clean switchover',
  setup: 'reset',
  steps: [
    sh('alpha', 'mount and write', MOUNT_AND_WRITE, { expect: { exitCode: 0 } }),
    observe('connected primary/secondary', {
      name: 'primary-secondary-connected',
      state: 'Connected Primary/Secondary UpToDate/UpToDate, /dev/drbd1 mounted on alpha',
    }),
    run('alpha', 'events2 snapshot', ['drbdsetup', 'events2', '--now', 'all'], {
      expect: { exitCode: 0 },
      fixture: {
        name: 'events2-now-primary-connected',
        state: 'drbdsetup events2 --now on alpha: Connected Primary/Secondary UpToDate/UpToDate, mounted',
      },
    }),
    run(
      'alpha',
      'events2 snapshot with statistics',
      ['drbdsetup', 'events2', '--now', '--timestamps', '--statistics', 'all'],
      {
        expect: { exitCode: 0 },
        fixture: {
          name: 'events2-now-statistics-primary-connected',
          state:
            'drbdsetup events2 --now --timestamps --statistics on alpha: Connected Primary/Secondary, mounted',
        },
      },
    ),
    run('bravo', 'events2 snapshot on the secondary', ['drbdsetup', 'events2', '--now', 'all'], {
      expect: { exitCode: 0 },
      fixture: {
        name: 'events2-now-secondary-connected',
        state: 'drbdsetup events2 --now on bravo: Connected Secondary/Primary UpToDate/UpToDate',
      },
    }),
    ...(['role', 'cstate', 'dstate'] as const).map((c) =>
      run('alpha', `drbdadm ${c}`, ['drbdadm', c, 'r0'], {
        expect: { exitCode: 0 },
        fixture: {
          name: `cmd-${c}-primary-connected`,
          state: `drbdadm ${c} r0 on alpha, Connected Primary/Secondary UpToDate/UpToDate`,
        },
      }),
    ),
    run('alpha', 'demote while mounted', ['drbdadm', 'secondary', 'r0'], {
      expect: { nonZero: true, stderrIncludes: 'held open' },
      fixture: {
        name: 'refuse-secondary-while-mounted',
        state: 'REFUSAL: drbdadm secondary r0 on alpha (Primary) while /dev/drbd1 is mounted',
      },
    }),
    run('bravo', 'promote while the peer is Primary', ['drbdadm', 'primary', 'r0'], {
      expect: { nonZero: true },
      fixture: {
        name: 'refuse-primary-peer-is-primary',
        state:
          'REFUSAL: drbdadm primary r0 on bravo while alpha is Primary and Connected (no allow-two-primaries)',
      },
    }),
    run('alpha', 'unmount', ['umount', '/mnt/r0'], { expect: { exitCode: 0 } }),
    run('alpha', 'demote', ['drbdadm', 'secondary', 'r0'], { expect: { exitCode: 0 } }),
    observe('both secondary', {
      name: 'secondary-secondary-connected',
      state: 'Connected Secondary/Secondary UpToDate/UpToDate (between demote and promote of a switchover)',
    }),
    run('bravo', 'promote the other node', ['drbdadm', 'primary', 'r0'], { expect: { exitCode: 0 } }),
    sh('bravo', 'mount on the new primary', 'mount /dev/drbd1 /mnt/r0 && cat /mnt/r0/hello', {
      expect: { exitCode: 0, stdoutIncludes: 'hello' },
    }),
    observe('switched over', {
      name: 'switched-over-connected',
      state:
        'after a clean switchover: bravo Primary (mounted), alpha Secondary, Connected UpToDate/UpToDate',
    }),
  ],
};

export const linkCut: Scenario = {
  name: 'link-cut',
  description:
    'replication link cut: WFConnection on both sides, outdate the secondary, promote refused on Outdated, reconnect',
  setup: 'reset',
  steps: [
    sh('alpha', 'mount and write', MOUNT_AND_WRITE, { expect: { exitCode: 0 } }),
    fault('cut the link', { kind: 'cut-link' }),
    wait('alpha', 'cs:WFConnection'),
    wait('bravo', 'cs:WFConnection'),
    observe('both WFConnection', {
      name: 'link-cut-wfconnection',
      state:
        'replication link cut: WFConnection on both sides, alpha Primary, bravo Secondary (still UpToDate, no fencing)',
    }),
    run('bravo', 'outdate the disconnected secondary', ['drbdadm', 'outdate', 'r0'], {
      expect: { exitCode: 0 },
      fixture: {
        name: 'cmd-outdate-secondary-wfconnection',
        state: 'drbdadm outdate r0 on bravo (Secondary, WFConnection, UpToDate)',
      },
    }),
    observe('secondary outdated', {
      name: 'secondary-outdated-wfconnection',
      state: 'link cut, bravo Secondary Outdated after drbdadm outdate, WFConnection',
    }),
    run('bravo', 'promote on Outdated data', ['drbdadm', 'primary', 'r0'], {
      expect: { nonZero: true, stderrIncludes: NEED_UPTODATE },
      fixture: {
        name: 'refuse-primary-outdated',
        state:
          'REFUSAL: drbdadm primary r0 on bravo with Outdated disk (WFConnection Secondary/Unknown Outdated/DUnknown)',
      },
    }),
    run('alpha', 'outdate a primary', ['drbdadm', 'outdate', 'r0'], {
      expect: { nonZero: true },
      fixture: {
        name: 'refuse-outdate-primary',
        state: 'REFUSAL: drbdadm outdate r0 on alpha (Primary, WFConnection)',
      },
    }),
    fault('restore the link', { kind: 'restore-link' }),
    wait('bravo', 'cs:Connected.*ds:UpToDate/UpToDate'),
    observe('reconnected', {
      name: 'reconnected-after-link-cut',
      state: 'link restored: Connected again, bravo resynced to UpToDate',
    }),
  ],
};

export const blockingDisconnect: Scenario = {
  name: 'blocking-disconnect',
  description:
    'drbdadm disconnect blocks while DRBD still believes a dead peer is connected (slow 8.4-like ping-int)',
  setup: 'reset',
  steps: [
    ...(['alpha', 'bravo'] as const).map((n) =>
      run(
        n,
        'disconnect to switch to slow timing',
        ['drbdadm', '-c', '/etc/drbd-slow.conf', 'disconnect', 'r0'],
        {
          expect: { exitCode: 0 },
        },
      ),
    ),
    ...(['alpha', 'bravo'] as const).map((n) =>
      run(n, 'connect with ping-int 15', ['drbdadm', '-c', '/etc/drbd-slow.conf', 'connect', 'r0'], {
        expect: { exitCode: 0 },
      }),
    ),
    wait('alpha', 'cs:Connected.*ds:UpToDate/UpToDate'),
    // A write right before the cut restarts alpha's meta-socket receive timer (ping-int 15 s).
    sh('alpha', 'write', 'dd if=/dev/zero of=/dev/drbd1 bs=4k count=1 seek=4096 oflag=direct 2>/dev/null', {
      expect: { exitCode: 0 },
    }),
    fault('cut the link', { kind: 'cut-link' }),
    run(
      'alpha',
      'disconnect while DRBD still believes the peer is connected',
      ['drbdadm', 'disconnect', 'r0'],
      {
        timeoutMs: 30_000,
        expect: { nonZero: true, stderrIncludes: 'did not terminate within 5 seconds' },
        fixture: {
          name: 'refuse-disconnect-blocking-link-cut',
          state:
            'BLOCKING: drbdadm disconnect r0 on alpha (Primary) right after the link was cut, DRBD still Connected (ping-int 15 s)',
        },
      },
    ),
    observe(
      'still connected after the blocked disconnect',
      {
        name: 'connected-after-blocked-disconnect',
        state:
          'right after drbdadm disconnect gave up: DRBD on alpha still believes the (cut) peer is connected',
      },
      ['alpha'],
    ),
    wait('alpha', 'cs:(StandAlone|WFConnection)', 60_000),
    observe(
      'peer loss noticed',
      {
        name: 'after-blocked-disconnect-completed',
        state: 'after the ping timeout: the disconnect requested before has completed on alpha',
      },
      ['alpha'],
    ),
    fault('restore the link', { kind: 'restore-link' }),
  ],
};

export const splitBrain: Scenario = {
  name: 'split-brain',
  description:
    'both sides write while disconnected; reconnect detects split-brain (StandAlone); manual recovery',
  setup: 'reset',
  steps: [
    fault('cut the link', { kind: 'cut-link' }),
    wait('alpha', 'cs:WFConnection'),
    wait('bravo', 'cs:WFConnection'),
    run('bravo', 'promote the disconnected (UpToDate, unfenced) secondary', ['drbdadm', 'primary', 'r0'], {
      expect: { exitCode: 0 },
    }),
    ...(['alpha', 'bravo'] as const).map((n) =>
      sh(
        n,
        'write while disconnected',
        'dd if=/dev/urandom of=/dev/drbd1 bs=4k count=16 seek=2048 oflag=direct 2>/dev/null',
        {
          expect: { exitCode: 0 },
        },
      ),
    ),
    observe('two primaries, disconnected', {
      name: 'two-primaries-disconnected',
      state:
        'link cut, both nodes Primary (bravo promoted while disconnected), both wrote: split-brain in the making',
    }),
    fault('restore the link', { kind: 'restore-link' }),
    wait('alpha', 'cs:StandAlone'),
    wait('bravo', 'cs:(StandAlone|WFConnection)'),
    observe('split-brain detected', {
      name: 'split-brain-standalone',
      state: 'after reconnect: split-brain detected but unresolved, connection dropped',
    }),
    run('bravo', 'victim demotes', ['drbdadm', 'secondary', 'r0'], { expect: { exitCode: 0 } }),
    run('bravo', 'victim discards its data', ['drbdadm', 'connect', '--discard-my-data', 'r0'], {
      expect: { exitCode: 0 },
      fixture: {
        name: 'cmd-connect-discard-my-data',
        state: 'split-brain recovery: drbdadm connect --discard-my-data r0 on bravo (victim, Secondary)',
      },
    }),
    run('alpha', 'survivor reconnects', ['drbdadm', 'connect', 'r0'], {
      expect: { exitCode: 0 },
      fixture: {
        name: 'cmd-connect-survivor',
        state: 'split-brain recovery: drbdadm connect r0 on alpha (survivor, StandAlone Primary)',
      },
    }),
    wait('bravo', 'cs:Connected.*ds:UpToDate/UpToDate'),
    observe('split-brain resolved', {
      name: 'split-brain-recovered',
      state: 'after manual split-brain recovery: Connected Primary/Secondary UpToDate/UpToDate',
    }),
  ],
};

export const powerLoss: Scenario = {
  name: 'power-loss',
  description:
    'power loss of the Primary while writing; the survivor waits; the rejoin resyncs the activity-log extents',
  setup: 'reset',
  steps: [
    sh(
      'alpha',
      'write into a few activity-log extents (al-extents 7, 4 MiB each), keep writing',
      'for i in 1 2 3; do dd if=/dev/urandom of=/dev/drbd1 bs=4k count=4 seek=$((i * 1024)) oflag=direct 2>/dev/null; done; ' +
        '(dd if=/dev/urandom of=/dev/drbd1 bs=4k count=1000 seek=1024 oflag=direct >/dev/null 2>&1 &); sleep 1',
      { expect: { exitCode: 0 } },
    ),
    fault('power loss of the primary', { kind: 'power-kill', node: 'alpha' }),
    wait('bravo', 'cs:WFConnection'),
    observe(
      'survivor after peer power loss',
      {
        name: 'peer-power-lost-wfconnection',
        state: 'alpha (Primary) lost power: bravo Secondary UpToDate, WFConnection, peer DUnknown',
      },
      ['bravo'],
    ),
    fault('power on', { kind: 'power-on', node: 'alpha' }),
    observe(
      'rebooted, DRBD down',
      {
        name: 'unconfigured-after-reboot',
        state: 'alpha rebooted after power loss, DRBD not yet up (module loaded, resource unconfigured)',
      },
      ['alpha'],
    ),
    run('alpha', 'bring the resource up', ['drbdadm', 'up', 'r0'], {
      expect: { exitCode: 0 },
      fixture: {
        name: 'cmd-up-after-power-loss',
        state: 'drbdadm up r0 on alpha after its power loss (it was Primary)',
      },
    }),
    wait('alpha', 'cs:(SyncSource|SyncTarget|Connected)'),
    observe('rejoined', {
      name: 'rejoin-after-power-loss',
      state:
        'alpha rejoined after power loss as Secondary: resync of the activity-log extents (apply-al marked the whole 64 MiB device here)',
    }),
    wait('bravo', 'cs:Connected.*ds:UpToDate/UpToDate'),
    observe('in sync again', {
      name: 'rejoined-uptodate',
      state: 'after the activity-log resync: Connected Secondary/Secondary UpToDate/UpToDate',
    }),
  ],
};

export const onlineVerify: Scenario = {
  name: 'online-verify',
  description: 'online verify from the Primary: VerifyS/VerifyT, then Connected',
  setup: 'reset',
  steps: [
    run('alpha', 'start online verify', ['drbdadm', 'verify', 'r0'], {
      expect: { exitCode: 0 },
      fixture: {
        name: 'cmd-verify',
        state: 'drbdadm verify r0 on alpha (Primary, Connected UpToDate/UpToDate)',
      },
    }),
    wait('alpha', 'cs:VerifyS'),
    observe('verify running', {
      name: 'online-verify-running',
      state: 'online verify running: alpha VerifyS, bravo VerifyT',
    }),
    wait('alpha', 'cs:Connected', 180_000),
    observe('verify done', {
      name: 'online-verify-done',
      state: 'after online verify: Connected UpToDate/UpToDate',
    }),
  ],
};

export const diskFailure: Scenario = {
  name: 'disk-failure',
  description:
    "the Primary's backing disk fails (device-mapper error table): DRBD detaches, Primary Diskless",
  setup: 'reset',
  steps: [
    fault('fail the disk', { kind: 'fail-disk', node: 'alpha' }),
    sh(
      'alpha',
      'write (hits the failed disk)',
      'dd if=/dev/zero of=/dev/drbd1 bs=4k count=8 oflag=direct 2>&1; sync',
    ),
    wait('alpha', 'ds:Diskless'),
    observe('primary diskless', {
      name: 'primary-diskless-after-disk-failure',
      state:
        "alpha's backing disk returns I/O errors: on-io-error detach, alpha Primary Diskless, bravo UpToDate",
    }),
    run(
      'alpha',
      'read through the diskless primary',
      ['dd', 'if=/dev/drbd1', 'of=/dev/null', 'bs=4k', 'count=4', 'iflag=direct'],
      {
        expect: { exitCode: 0 },
      },
    ),
    run('alpha', 'attach the failed disk', ['drbdadm', 'attach', 'r0'], {
      expect: { nonZero: true },
      fixture: {
        name: 'refuse-attach-failed-disk',
        state: 'REFUSAL: drbdadm attach r0 on alpha while its backing disk returns I/O errors',
      },
    }),
  ],
};

const FENCING_CONF = ['-c', '/etc/drbd-fencing.conf'] as const;

export const bothPowerLoss: Scenario = {
  name: 'both-power-loss',
  description:
    'fencing resource-only: the Primary loses power, then the Secondary; each comes back alone Consistent; the rejoin makes both UpToDate',
  setup: 'reset',
  steps: [
    ...(['alpha', 'bravo'] as const).map((n) =>
      run(n, 'switch on resource-level fencing', ['drbdadm', ...FENCING_CONF, 'adjust', 'r0'], {
        expect: { exitCode: 0 },
      }),
    ),
    sh(
      'alpha',
      'write into a few activity-log extents',
      'for i in 1 2 3; do dd if=/dev/urandom of=/dev/drbd1 bs=4k count=4 seek=$((i * 1024)) oflag=direct 2>/dev/null; done',
      { expect: { exitCode: 0 } },
    ),
    fault('power loss of the primary', { kind: 'power-kill', node: 'alpha' }),
    wait('bravo', 'cs:WFConnection'),
    fault('power loss of the secondary', { kind: 'power-kill', node: 'bravo' }),
    fault('power on the former primary', { kind: 'power-on', node: 'alpha' }),
    run('alpha', 'bring the resource up alone', ['drbdadm', ...FENCING_CONF, 'up', 'r0'], {
      expect: { exitCode: 0 },
    }),
    wait('alpha', 'cs:WFConnection'),
    observe(
      'alone after both lost power',
      {
        name: 'consistent-alone-after-both-power-loss',
        state:
          'both nodes lost power in turn (alpha Primary first), alpha up alone with fencing resource-only: Consistent, WFConnection',
      },
      ['alpha'],
    ),
    run('alpha', 'promote a Consistent node alone', ['drbdadm', 'primary', 'r0'], {
      expect: { nonZero: true, stderrIncludes: NEED_UPTODATE },
      fixture: {
        name: 'refuse-primary-consistent-alone',
        state:
          'REFUSAL: drbdadm primary r0 on alpha, up alone (Consistent, WFConnection) after both nodes lost power; fencing resource-only, fence-peer handler not defined',
      },
    }),
    fault('power on the former secondary', { kind: 'power-on', node: 'bravo' }),
    run('bravo', 'bring the resource up', ['drbdadm', ...FENCING_CONF, 'up', 'r0'], {
      expect: { exitCode: 0 },
    }),
    wait('alpha', 'cs:(SyncSource|SyncTarget)'),
    observe('resync after both lost power', {
      name: 'resync-after-both-power-loss',
      state:
        'bravo up again: the former primary (crashed, activity log marked out of sync) resyncs to the other node',
    }),
    wait('bravo', 'cs:Connected.*ds:UpToDate/UpToDate', 120_000),
    wait('alpha', 'cs:Connected.*ds:UpToDate/UpToDate'),
    observe('in sync again', {
      name: 'uptodate-after-both-power-loss',
      state:
        'both rejoined after both lost power (fencing resource-only): Connected Secondary/Secondary UpToDate/UpToDate',
    }),
  ],
};

const STONITH_CONF = ['-c', '/etc/drbd-stonith.conf'] as const;

export const stonithFreeze: Scenario = {
  name: 'stonith-freeze',
  description:
    'fencing resource-and-stonith, fence-peer handler not defined (exit 0, "broken"): a link cut freezes the Primary\'s I/O until resume-io; a second cut stays frozen until the link is back',
  setup: 'reset',
  steps: [
    ...(['alpha', 'bravo'] as const).map((n) =>
      run(n, 'switch on fencing resource-and-stonith', ['drbdadm', ...STONITH_CONF, 'adjust', 'r0'], {
        expect: { exitCode: 0 },
      }),
    ),
    fault('cut the link', { kind: 'cut-link' }),
    wait('alpha', 'cs:WFConnection'),
    wait('bravo', 'cs:WFConnection'),
    observe(
      'primary frozen after the broken handler',
      {
        name: 'io-frozen-fence-peer-broken',
        state:
          'link cut, fencing resource-and-stonith, fence-peer "broken" (exit 0): alpha Primary with I/O suspended (s flag)',
      },
      ['alpha'],
    ),
    run('alpha', 'resume I/O', ['drbdadm', 'resume-io', 'r0'], {
      expect: { exitCode: 0 },
      fixture: {
        name: 'cmd-resume-io-frozen-primary',
        state: 'drbdadm resume-io r0 on alpha (Primary, WFConnection, I/O frozen by fencing)',
      },
    }),
    observe(
      'primary resumed',
      {
        name: 'io-resumed-after-resume-io',
        state: 'after drbdadm resume-io: alpha Primary WFConnection, I/O running, peer DUnknown',
      },
      ['alpha'],
    ),
    fault('restore the link', { kind: 'restore-link' }),
    wait('bravo', 'cs:Connected.*ds:UpToDate/UpToDate'),
    wait('alpha', 'cs:Connected.*ds:UpToDate/UpToDate'),
    fault('cut the link again', { kind: 'cut-link' }),
    wait('alpha', 'cs:WFConnection'),
    wait('bravo', 'cs:WFConnection'),
    observe('frozen again', undefined, ['alpha']),
    fault('restore the link', { kind: 'restore-link' }),
    wait('bravo', 'cs:Connected.*ds:UpToDate/UpToDate'),
    wait('alpha', 'cs:Connected.*ds:UpToDate/UpToDate'),
    observe('reconnected, resumed', {
      name: 'io-resumed-after-reconnect',
      state:
        'the link is back after a fencing freeze: Connected Primary/Secondary UpToDate/UpToDate, I/O running on alpha',
    }),
  ],
};

/** Every capture scenario, in the order the capture runs them. */
export const DRBD_SCENARIOS: readonly Scenario[] = [
  initialSync,
  connectedPrimarySecondary,
  linkCut,
  blockingDisconnect,
  splitBrain,
  powerLoss,
  onlineVerify,
  diskFailure,
  bothPowerLoss,
  stonithFreeze,
];
