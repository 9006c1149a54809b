import { afterEach, describe, expect, it } from 'vitest';
import { err, ok, type Result } from '../../../src/common/result.js';
import {
  Scheduler,
  verifyCandidates,
  type SchedulerPorts,
  type VerifyCandidateState,
} from '../../../src/scheduler/index.js';

const primary: VerifyCandidateState = {
  name: 'r0',
  role: 'Primary',
  cstate: 'Connected',
  disk: 'UpToDate',
  peerDisk: 'UpToDate',
};
const states: VerifyCandidateState[] = [
  primary,
  { ...primary, name: 'r1', role: 'Secondary' },
  { ...primary, name: 'r2', cstate: 'SyncSource', peerDisk: 'Inconsistent' },
  { ...primary, name: 'r3', cstate: 'WFConnection', peerDisk: 'DUnknown' },
  { ...primary, name: 'r4' },
];

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

function ports(overrides: Partial<SchedulerPorts> = {}): SchedulerPorts & { verified: string[] } {
  const verified: string[] = [];
  return {
    verified,
    resources: () => states,
    maintenance: () => false,
    startVerify: (r): Promise<Result<void, string>> => {
      verified.push(r);
      return Promise.resolve(r === 'r4' ? err('drbdadm verify r4: exit 10') : ok(undefined));
    },
    remindOpenAlerts: () => Promise.resolve(2),
    ...overrides,
  };
}

function create(
  p: SchedulerPorts,
  verifyCron: string | null = '0 3 * * 0',
  remindersCron: string | null = '0 */4 * * *',
) {
  const r = Scheduler.create({ verifyCron, remindersCron, ports: p, timezone: 'UTC' });
  if (!r.ok) throw new Error(r.error);
  scheduler = r.value;
  return r.value;
}

describe('verifyCandidates', () => {
  it('selects only connected resources this node is Primary of with both disks UpToDate', () => {
    expect(verifyCandidates(states)).toEqual(['r0', 'r4']);
  });
});

describe('Scheduler', () => {
  it('rejects invalid cron expressions with the key name', () => {
    expect(Scheduler.create({ verifyCron: 'every sunday', remindersCron: null, ports: ports() })).toEqual({
      ok: false,
      error: 'schedule.verify: "every sunday" is not a valid cron expression',
    });
    expect(Scheduler.create({ verifyCron: null, remindersCron: '61 * * * *', ports: ports() }).ok).toBe(
      false,
    );
  });

  it('schedules the jobs at the configured times', () => {
    const s = create(ports());
    s.start();
    const verify = s.nextRun('verify');
    expect(verify?.getUTCDay()).toBe(0);
    expect(verify?.getUTCHours()).toBe(3);
    expect(verify?.getUTCMinutes()).toBe(0);
    expect((s.nextRun('reminders')?.getUTCHours() ?? -1) % 4).toBe(0);
  });

  it('verify runs drbdadm verify on the Primary only and reports failures without throwing', async () => {
    const p = ports();
    const s = create(p);
    expect(await s.runNow('verify')).toEqual({
      job: 'verify',
      started: ['r0'],
      failed: [{ resource: 'r4', error: 'drbdadm verify r4: exit 10' }],
      skipped: null,
    });
    expect(p.verified).toEqual(['r0', 'r4']);
  });

  it('verify is skipped in maintenance; reminders still run', async () => {
    const p = ports({ maintenance: () => true });
    const s = create(p);
    expect(await s.runNow('verify')).toEqual({
      job: 'verify',
      started: [],
      failed: [],
      skipped: 'maintenance',
    });
    expect(p.verified).toEqual([]);
    expect(await s.runNow('reminders')).toEqual({ job: 'reminders', sent: 2, error: null });
  });

  it('survives throwing ports', async () => {
    const s = create(
      ports({
        resources: () => {
          throw new Error('no view yet');
        },
        remindOpenAlerts: () => Promise.reject(new Error('notify closed')),
      }),
    );
    expect(await s.runNow('verify')).toMatchObject({ started: [], failed: [{ resource: '*' }] });
    expect(await s.runNow('reminders')).toEqual({ job: 'reminders', sent: 0, error: 'Error: notify closed' });
  });

  it('a job set to null is off', async () => {
    const s = create(ports(), null, null);
    s.start();
    expect(s.nextRun('verify')).toBeNull();
    expect(await s.runNow('reminders')).toBeNull();
  });
});
