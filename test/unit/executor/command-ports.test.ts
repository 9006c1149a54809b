/**
 * The runCommand-based ports against real shell scripts standing in for drbdadm, mount, umount,
 * fuser, systemctl, ip, fsck and arping, with real holder processes for the busy umount.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/common/clock.js';
import { RELEASE_SEQUENCE, TAKEOVER_SEQUENCE, type Action } from '../../../src/engine/plan.js';
import type { ExecutorContext } from '../../../src/executor/context.js';
import { createCommandDrbdPort } from '../../../src/executor/drbd-port.js';
import { DEFAULT_TIMEOUTS, type ResourceExecConfig } from '../../../src/executor/resource-config.js';
import { runAction, runPlan } from '../../../src/executor/run-plan.js';
import { createCommandSystemPort, type SystemCommands } from '../../../src/executor/system-port.js';
import { FakeWorld } from './fakes.js';

let dir: string;
let state: string;
let children: ChildProcess[] = [];

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nS='${state}'\necho "${name} $*" >> "$S/calls.log"\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const alive = `alive() { [ -d /proc/$1 ] && ! grep -q ') Z' /proc/$1/stat 2>/dev/null; }`;

function writeShims(): { drbdadm: string; commands: SystemCommands } {
  const drbdadm = script(
    'drbdadm',
    `case "$1" in
  role) cat "$S/role" ;;
  dstate) cat "$S/dstate" ;;
  cstate) cat "$S/cstate" ;;
  primary)
    if [ ! -f "$S/refuse-primary" ] && grep -q '^UpToDate' "$S/dstate"; then echo Primary/Unknown > "$S/role"; exit 0; fi
    echo "1: State change failed: (-2) Need access to UpToDate data" >&2
    echo "Command 'drbdsetup-84 primary 1' terminated with exit code 17" >&2
    exit 17 ;;
  secondary)
    if grep -q '^/dev/drbd1 ' "$S/mounts"; then
      echo "1: State change failed: (-12) Device is held open by someone" >&2
      echo "Command 'drbdsetup-84 secondary 1' terminated with exit code 11" >&2
      exit 11
    fi
    echo Secondary/Unknown > "$S/role" ;;
  outdate) echo Outdated/DUnknown > "$S/dstate" ;;
  connect) echo WFConnection > "$S/cstate" ;;
  *) echo "unknown command $1" >&2; exit 20 ;;
esac`,
  );
  const mount = script(
    'mount',
    `# mount -t FSTYPE [-o OPTS] DEVICE POINT
fstype=$2; shift 2
opts=rw
if [ "$1" = "-o" ]; then opts=$2; shift 2; fi
echo "$1 $2 $fstype $opts 0 0" >> "$S/mounts"`,
  );
  const umount = script(
    'umount',
    `${alive}
if ! grep -q " $1 " "$S/mounts"; then echo "umount: $1: not mounted." >&2; exit 32; fi
for pid in $(cat "$S/holders" 2>/dev/null); do
  if alive "$pid"; then echo "umount: $1: target is busy." >&2; exit 32; fi
done
grep -v " $1 " "$S/mounts" > "$S/mounts.new"; mv "$S/mounts.new" "$S/mounts"`,
  );
  // psmisc's real -v format: PIDs on stdout, the table (without the PID column) on stderr.
  const fuser = script(
    'fuser',
    `${alive}
found=1
printf '%21s%-11s%4s %-6s %s\\n' '' USER PID ACCESS COMMAND >&2
printf '%-21s%-11s%-6s %s\\n' "$2:" root mount "$2" >&2
printf ' kernel'
for pid in $(cat "$S/holders" 2>/dev/null); do
  if alive "$pid"; then
    printf '%6d' "$pid"
    printf '%21s%-11s%-6s %s\\n' '' root ..c.. "$(cat /proc/$pid/comm)" >&2
    found=0
  fi
done
exit $found`,
  );
  const systemctl = script(
    'systemctl',
    `case "$1" in
  is-active) [ -f "$S/svc.$3" ] ;;
  start) touch "$S/svc.$2" ;;
  stop) rm -f "$S/svc.$2" ;;
esac`,
  );
  const ip = script(
    'ip',
    `if [ "$1" = "-o" ]; then
  while read -r a; do echo "2: $5    inet $a brd 10.0.0.255 scope global secondary $5\\       valid_lft forever preferred_lft forever"; done < "$S/addrs"
  exit 0
fi
case "$2" in
  add) if grep -qx "$3" "$S/addrs"; then echo "RTNETLINK answers: File exists" >&2; exit 2; fi; echo "$3" >> "$S/addrs" ;;
  del) if ! grep -qx "$3" "$S/addrs"; then echo "RTNETLINK answers: Cannot assign requested address" >&2; exit 2; fi
       grep -vx "$3" "$S/addrs" > "$S/addrs.new"; mv "$S/addrs.new" "$S/addrs" ;;
esac`,
  );
  const fsck = script('fsck', `exit $(cat "$S/fsck.rc")`);
  const arping = script('arping', 'exit 0');
  return { drbdadm, commands: { mount, umount, fuser, systemctl, ip, fsck, arping } };
}

function setState(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(state, name), text);
}
const readState = (name: string): string => readFileSync(join(state, name), 'utf8');
const calls = (): string[] => readState('calls.log').trim().split('\n');

function resource(overrides: Partial<ResourceExecConfig> = {}): ResourceExecConfig {
  return {
    name: 'r0',
    device: '/dev/drbd1',
    mount: { point: '/srv/r0', fstype: 'ext4', options: ['noatime', 'nodev'], fsck: true },
    services: ['db.service', 'web.service'],
    addresses: [{ address: '10.0.0.50', prefix: 24, device: 'eth0' }],
    timeouts: { ...DEFAULT_TIMEOUTS, umountMs: 10_000 },
    onBusyUmount: 'kill',
    killGraceMs: 300,
    onDemoteFailure: null,
    ...overrides,
  };
}

function ctx(res: ResourceExecConfig = resource()): ExecutorContext {
  const { drbdadm, commands } = writeShims();
  const world = new FakeWorld(); // only for the ports these tests do not exercise
  return {
    resources: new Map([[res.name, res]]),
    drbd: createCommandDrbdPort({ drbdadm }),
    system: createCommandSystemPort({ commands, mountsFile: join(state, 'mounts') }),
    peer: world.peerPort(),
    fence: world.fencePort(),
    notifier: world.notifier(),
    clock: systemClock,
    fenceTimeoutMs: 10_000,
  };
}

/** Starts a real process that holds "the mount point"; `ignoreTerm` makes it survive SIGTERM. */
function holder(ignoreTerm: boolean): { child: ChildProcess; exited: Promise<NodeJS.Signals | null> } {
  const child = ignoreTerm
    ? spawn('/bin/sh', ['-c', 'trap "" TERM; exec sleep 1000'], { stdio: 'ignore' })
    : spawn('sleep', ['1000'], { stdio: 'ignore' });
  children.push(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  return { child, exited };
}

/** Waits (polling /proc) until `child` runs `sleep`, i.e. its shell has exec'd. */
async function execDone(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      if (readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim() === 'sleep') return;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('holder did not exec sleep');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-exec-'));
  state = join(dir, 'state');
  rmSync(state, { recursive: true, force: true });
  mkdirSync(state);
  setState({
    'calls.log': '',
    role: 'Secondary/Unknown\n',
    dstate: 'UpToDate/DUnknown\n',
    cstate: 'WFConnection\n',
    mounts: 'proc /proc proc rw 0 0\n',
    addrs: '',
    holders: '',
    'fsck.rc': '0',
  });
});

afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  rmSync(dir, { recursive: true, force: true });
});

const plan = (kinds: readonly Action['kind'][]): Action[] =>
  kinds.map((kind) => ({ kind, resource: 'r0' }) as Action);

describe('command ports against shims', () => {
  it('runs a takeover and a release end to end, idempotently', async () => {
    const c = ctx();
    const up = await runPlan(plan(TAKEOVER_SEQUENCE), c);
    expect(up.map((r) => `${r.action.kind}:${r.status}`)).toEqual(TAKEOVER_SEQUENCE.map((k) => `${k}:ok`));
    expect(readState('role')).toBe('Primary/Unknown\n');
    expect(readState('mounts')).toContain('/dev/drbd1 /srv/r0 ext4 noatime,nodev 0 0');
    expect(readState('addrs')).toBe('10.0.0.50/24\n');
    expect(calls()).toContain('fsck -T -t ext4 -p /dev/drbd1');
    expect(calls()).toContain('arping -U -c 3 -I eth0 10.0.0.50');
    expect(calls().filter((l) => /^systemctl (start|stop)/.test(l))).toEqual([
      'systemctl start db.service',
      'systemctl start web.service',
    ]);

    setState({ 'calls.log': '' });
    const again = await runPlan(plan(TAKEOVER_SEQUENCE), c);
    expect(again.every((r) => r.status === 'ok')).toBe(true);
    // Only queries the second time.
    expect(
      calls().filter((l) => /^(drbdadm (primary|secondary)|mount |systemctl start|ip addr add|fsck)/.test(l)),
    ).toEqual([]);

    setState({ 'calls.log': '' });
    const down = await runPlan(plan(RELEASE_SEQUENCE), c);
    expect(down.map((r) => `${r.action.kind}:${r.status}`)).toEqual(RELEASE_SEQUENCE.map((k) => `${k}:ok`));
    expect(calls().filter((l) => /^(ip addr|systemctl stop|umount|drbdadm secondary)/.test(l))).toEqual([
      'ip addr del 10.0.0.50/24 dev eth0',
      'systemctl stop web.service',
      'systemctl stop db.service',
      'umount /srv/r0',
      'drbdadm secondary r0',
    ]);
    expect(readState('role')).toBe('Secondary/Unknown\n');
    expect(readState('mounts')).not.toContain('/srv/r0');
  });

  it('classifies DRBD refusals from their real messages', async () => {
    setState({ dstate: 'Outdated/DUnknown\n' });
    const drbd = createCommandDrbdPort({ drbdadm: writeShims().drbdadm });
    const r = await drbd.primary('r0', { timeoutMs: 5000 });
    // retrySafe is the command layer's: re-running cannot succeed until something else changes.
    expect(r).toMatchObject({ status: 'failed', errorKind: 'need-uptodate', retrySafe: false });
    expect(r.detail).toContain('(-2) Need access to UpToDate data');

    setState({ role: 'Primary/Unknown\n', mounts: '/dev/drbd1 /srv/r0 ext4 rw 0 0\n' });
    const s = await drbd.secondary('r0', { timeoutMs: 5000 });
    expect(s).toMatchObject({ status: 'failed', errorKind: 'held-open', retrySafe: false });

    const st = await drbd.status('r0', { timeoutMs: 5000 });
    expect(st).toEqual({
      ok: true,
      value: {
        role: 'Primary',
        peerRole: 'Unknown',
        disks: ['Outdated'],
        peerDisks: ['DUnknown'],
        cstate: 'WFConnection',
      },
    });
  });

  it('a promote DRBD refuses is reported with its kind and never retried with --force', async () => {
    // DRBD's view changes between the executor's check and the command: DRBD's refusal is the answer.
    setState({ 'refuse-primary': '' });
    const results = await runPlan(plan(TAKEOVER_SEQUENCE), ctx());
    expect(results).toEqual([
      expect.objectContaining({ status: 'failed', errorKind: 'need-uptodate', retrySafe: false }),
    ]);
    expect(calls().filter((l) => l.startsWith('drbdadm primary'))).toEqual(['drbdadm primary r0']);
    expect(calls().filter((l) => /--force|discard|overwrite/.test(l))).toEqual([]);
  });

  it('fsck: exit 1 (corrected) is ok, exit 4 (errors left) fails and is not retry-safe', async () => {
    setState({ role: 'Primary/Unknown\n', 'fsck.rc': '1' });
    const c = ctx();
    expect((await runAction({ kind: 'fsck', resource: 'r0' }, c)).status).toBe('ok');
    setState({ 'fsck.rc': '4' });
    const r = await runAction({ kind: 'fsck', resource: 'r0' }, c);
    expect(r).toMatchObject({ status: 'failed', errorKind: 'fsck-errors-left', retrySafe: false });
  });

  it('busy umount (kill): a holder ignoring SIGTERM gets SIGKILL after the grace period, then the umount succeeds', async () => {
    setState({ role: 'Primary/Unknown\n', mounts: '/dev/drbd1 /srv/r0 ext4 rw 0 0\n' });
    const polite = holder(false);
    const stubborn = holder(true);
    // The stubborn one's shell must have installed its trap and exec'd sleep before it is signalled.
    await execDone(stubborn.child);
    setState({ holders: `${polite.child.pid}\n${stubborn.child.pid}\n` });

    const r = await runAction({ kind: 'umount', resource: 'r0' }, ctx());
    expect(r.status).toBe('ok');
    expect(await polite.exited).toBe('SIGTERM');
    expect(await stubborn.exited).toBe('SIGKILL');
    expect(r.holders?.map((h) => h.pid)).toEqual([polite.child.pid, stubborn.child.pid]);
    expect(r.holders?.map((h) => h.command)).toEqual(['sleep', 'sleep']);
    expect(r.detail).toContain(`${polite.child.pid} sleep (root, ..c..)`);
    expect(r.detail).toContain(`SIGTERM to ${polite.child.pid}, ${stubborn.child.pid}`);
    expect(r.detail).toContain(`SIGKILL to ${stubborn.child.pid} after 300 ms`);
    expect(readState('mounts')).not.toContain('/srv/r0');
  });

  it('busy umount (refuse): fails as busy, names the holder, leaves it running', async () => {
    setState({ role: 'Primary/Unknown\n', mounts: '/dev/drbd1 /srv/r0 ext4 rw 0 0\n' });
    const h = holder(false);
    setState({ holders: `${h.child.pid}\n` });
    const r = await runAction({ kind: 'umount', resource: 'r0' }, ctx(resource({ onBusyUmount: 'refuse' })));
    expect(r).toMatchObject({ status: 'failed', errorKind: 'busy', retrySafe: true });
    expect(r.detail).toContain(`${h.child.pid} sleep`);
    expect(h.child.exitCode).toBeNull();
    expect(h.child.signalCode).toBeNull();
  });

  it('addresses: adding an address that is there and removing one that is gone are no-ops', async () => {
    setState({ role: 'Primary/Unknown\n', addrs: '10.0.0.50/24\n' });
    const c = ctx();
    const add = await runAction({ kind: 'add-addresses', resource: 'r0' }, c);
    expect(add).toMatchObject({ status: 'ok', detail: '10.0.0.50 already on eth0' });
    setState({ addrs: '' });
    expect((await runAction({ kind: 'remove-addresses', resource: 'r0' }, c)).status).toBe('ok');
    expect(calls().filter((l) => l.startsWith('ip addr'))).toEqual([]);
  });

  it('a missing arping does not fail the takeover', async () => {
    setState({ role: 'Primary/Unknown\n' });
    const { drbdadm, commands } = writeShims();
    const c: ExecutorContext = {
      ...ctx(),
      drbd: createCommandDrbdPort({ drbdadm }),
      system: createCommandSystemPort({
        commands: { ...commands, arping: join(dir, 'no-such-arping') },
        mountsFile: join(state, 'mounts'),
      }),
    };
    const r = await runAction({ kind: 'add-addresses', resource: 'r0' }, c);
    expect(r.status).toBe('ok');
    expect(r.detail).toContain('gratuitous ARP for 10.0.0.50 not sent');
  });
});
