import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDrbdCommands, type DrbdCommands } from '../../../src/drbd/runner.js';
import { makeFakeDrbd, type FakeDrbd } from './fake-tools.js';
import { fixturePath, parseCapture, readFixture } from './fixtures.js';

let fake: FakeDrbd;
let drbd: DrbdCommands;

beforeEach(() => {
  fake = makeFakeDrbd();
  const mounted = parseCapture(readFixture('real-8.4.11', 'refuse-secondary-while-mounted.txt'));
  fake.writeProc(mounted.stderr); // reused as a data file: the real stderr of a refused `secondary`
  const drbdadm = fake.script(
    'drbdadm',
    `echo "$@" >> "${join(fake.dir, 'calls.log')}"
case "$1" in
  role) echo "Primary/Secondary" ;;
  cstate) echo "Connecting" ;;
  dstate) echo "UpToDate/DUnknown" ;;
  primary) printf '%s\\n' "1: State change failed: (-2) Need access to UpToDate data" "Command 'drbdsetup-84 primary 1' terminated with exit code 17" >&2; exit 17 ;;
  secondary) cat "${fake.procPath}" >&2; exit 11 ;;
  connect) exit 0 ;;
  disconnect) exec sleep 30 ;;
  dump-xml) grep -v '^#' "${fixturePath('dump-xml', 'dump-xml-84-r0-sentinel.txt')}" ;;
  adjust) echo "garbage" ;;
  verify) echo "no resources defined!" >&2; exit 1 ;;
esac`,
  );
  drbd = createDrbdCommands({ drbdadm });
});

afterEach(() => fake.cleanup());

describe('createDrbdCommands with a fake drbdadm', () => {
  it('runs argv without a shell and returns output', async () => {
    const r = await drbd.run({ op: 'connect', resource: 'r0' });
    expect(r.ok).toBe(true);
    expect(readFileSync(join(fake.dir, 'calls.log'), 'utf8')).toBe('connect r0\n');
  });

  it('parses the queries', async () => {
    expect(await drbd.role('r0')).toEqual({ ok: true, value: { role: 'Primary', peerRole: 'Secondary' } });
    expect(await drbd.cstate('r0')).toEqual({ ok: true, value: ['WFConnection'] });
    expect(await drbd.dstate('r0')).toEqual({
      ok: true,
      value: [{ disk: 'UpToDate', peerDisk: 'DUnknown' }],
    });
    const x = await drbd.dumpXml('r0');
    expect(x.ok && x.value.resources[0]?.fencing).toBe('resource-only');
  });

  it('classifies refusals from their real messages', async () => {
    expect(await drbd.run({ op: 'primary', resource: 'r0' })).toMatchObject({
      ok: false,
      error: { kind: 'need-uptodate', retrySafe: false, exitCode: 17, op: 'primary', drbdCode: -2 },
    });
    expect(await drbd.run({ op: 'secondary', resource: 'r0' })).toMatchObject({
      ok: false,
      error: { kind: 'held-open', exitCode: 11 },
    });
    expect(await drbd.run({ op: 'verify', resource: 'r0' })).toMatchObject({
      ok: false,
      error: { kind: 'no-resource', exitCode: 1 },
    });
  });

  it('kills a command at its timeout and reports it retry-safe', async () => {
    const r = await drbd.run({ op: 'disconnect', resource: 'r0' }, { timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'timeout', retrySafe: true, op: 'disconnect' } });
  });

  it('honours an AbortSignal', async () => {
    const ac = new AbortController();
    const p = drbd.run({ op: 'disconnect', resource: 'r0' }, { signal: ac.signal, timeoutMs: 20_000 });
    setTimeout(() => ac.abort(), 100);
    expect(await p).toMatchObject({ ok: false, error: { kind: 'aborted', retrySafe: false } });
  });

  it('reports unparseable query output and a missing drbdadm', async () => {
    const bad = createDrbdCommands({ drbdadm: fake.script('drbdadm-bad', 'echo "what?"') });
    expect(await bad.role('r0')).toMatchObject({ ok: false, error: { kind: 'unknown', op: 'role' } });
    const none = createDrbdCommands({ drbdadm: join(fake.dir, 'missing') });
    expect(await none.run({ op: 'role', resource: 'r0' })).toMatchObject({
      ok: false,
      error: { kind: 'spawn-error' },
    });
  });

  it('refuses an unsafe resource name without running anything', async () => {
    expect(await drbd.run({ op: 'primary', resource: '--force' })).toMatchObject({
      ok: false,
      error: { kind: 'no-resource', argv: [] },
    });
  });

  it('puts an argv prefix in front (lab wrappers)', async () => {
    const wrapper = fake.script('wrap', `echo "wrapped $*" >> "${join(fake.dir, 'calls.log')}"; exec "$@"`);
    const wrapped = createDrbdCommands({ drbdadm: join(fake.dir, 'drbdadm'), argvPrefix: [wrapper] });
    expect((await wrapped.run({ op: 'connect', resource: 'r1' })).ok).toBe(true);
    expect(readFileSync(join(fake.dir, 'calls.log'), 'utf8')).toBe(
      `wrapped ${join(fake.dir, 'drbdadm')} connect r1\nconnect r1\n`,
    );
  });
});
