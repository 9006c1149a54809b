import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvents2Line, parseEvents2Text, type Events2Event } from '../../../src/drbd/events2.js';
import { parseProcDrbd, type ProcDrbdSnapshot } from '../../../src/drbd/proc-drbd.js';
import {
  INITIAL_DRBD_STATE,
  reduceDrbd,
  reduceDrbdAll,
  type DrbdInput,
  type DrbdReducerState,
} from '../../../src/drbd/reducer.js';
import { PROGRESS_STATES } from '../../../src/drbd/state-names.js';
import { readFixture } from './fixtures.js';

function ev(line: string): DrbdInput {
  const p = parseEvents2Line(line);
  if (!p.ok) throw new Error(p.error.message);
  return { type: 'events2', event: p.value };
}

function proc(text: string): ProcDrbdSnapshot {
  const p = parseProcDrbd(text);
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
}

const DUMP_84 = [
  'exists resource name:r0 role:Secondary suspended:no',
  'exists connection name:r0 peer-node-id:0 conn-name:peer connection:Connected role:Primary',
  'exists device name:r0 volume:0 minor:1 disk:UpToDate',
  'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:UpToDate resync-suspended:no',
  'exists -',
];

function fold(lines: readonly string[], from: DrbdReducerState = INITIAL_DRBD_STATE) {
  return reduceDrbdAll(from, lines.map(ev));
}

describe('reduceDrbd with events2', () => {
  it('publishes nothing before the initial dump ends, then the whole dump at once', () => {
    let s = INITIAL_DRBD_STATE;
    for (const line of DUMP_84.slice(0, -1)) {
      const r = reduceDrbd(s, ev(line));
      expect(r.changes).toEqual([]);
      s = r.state;
    }
    const r = reduceDrbd(s, ev('exists -'));
    expect(r.changes.map((c) => c.kind)).toEqual(['availability', 'source', 'device-added']);
    expect(r.state.view).toMatchObject({ source: 'events2', availability: 'ok' });
    expect(r.state.view.devices[0]).toMatchObject({ minor: 1, cstate: 'Connected', role: 'Secondary' });
  });

  it('reports each change old -> new', () => {
    const s = fold(DUMP_84).state;
    const r = fold(
      [
        'change connection name:r0 peer-node-id:0 conn-name:peer connection:NetworkFailure role:Unknown',
        'change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Off peer-disk:DUnknown',
      ],
      s,
    );
    expect(r.changes).toEqual([
      {
        kind: 'device-changed',
        minor: 1,
        resource: 'r0',
        field: 'cstate',
        from: 'Connected',
        to: 'NetworkFailure',
      },
      { kind: 'device-changed', minor: 1, resource: 'r0', field: 'peerRole', from: 'Primary', to: 'Unknown' },
      {
        kind: 'device-changed',
        minor: 1,
        resource: 'r0',
        field: 'peerDisk',
        from: 'UpToDate',
        to: 'DUnknown',
      },
    ]);
  });

  it('asks for a restart on "- skipped N" and drops the stale picture on restart', () => {
    const s = fold(DUMP_84).state;
    const skipped = reduceDrbd(s, ev('- skipped 2'));
    expect(skipped.resyncNeeded).toBe(true);
    const restarted = reduceDrbd(skipped.state, { type: 'events2-restart' });
    expect(restarted.state.view).toMatchObject({ availability: 'unknown', devices: [] });
    expect(restarted.changes.map((c) => c.kind)).toEqual(['availability', 'device-removed']);
    // The new child's dump brings the device back.
    const again = fold(DUMP_84, restarted.state);
    expect(again.state.view.availability).toBe('ok');
    expect(again.state.view.devices).toHaveLength(1);
  });

  it('keeps split-brain evidence across an events2 restart until the link is up again', () => {
    const sb = fold([
      ...DUMP_84,
      'change connection name:r0 peer-node-id:0 conn-name:peer connection:NetworkFailure role:Unknown',
      'change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Off peer-disk:DUnknown',
      'change connection name:r0 peer-node-id:0 conn-name:peer connection:Connecting',
      'change connection name:r0 peer-node-id:0 conn-name:peer connection:Connected',
      'call helper name:r0 peer-node-id:0 conn-name:peer volume:0 minor:1 helper:split-brain',
      'change connection name:r0 peer-node-id:0 conn-name:peer connection:StandAlone',
      'destroy peer-device name:r0 peer-node-id:0 conn-name:peer volume:0',
      'destroy connection name:r0 peer-node-id:0 conn-name:peer',
    ]);
    expect(sb.state.view.devices[0]).toMatchObject({ cstate: 'StandAlone', splitBrain: { kind: 'helper' } });
    expect(sb.changes).toContainEqual(
      expect.objectContaining({ kind: 'helper', helper: 'split-brain', phase: 'call', minor: 1 }),
    );
    const restarted = reduceDrbd(sb.state, { type: 'events2-restart' }).state;
    const redump = fold(
      [
        'exists resource name:r0 role:Secondary suspended:no',
        'exists device name:r0 volume:0 minor:1 disk:UpToDate',
        'exists -',
      ],
      restarted,
    );
    expect(redump.state.view.devices[0]).toMatchObject({
      cstate: 'StandAlone',
      splitBrain: { kind: 'helper' },
    });
    const resolved = fold(
      [
        'create connection name:r0 peer-node-id:0 conn-name:peer connection:Connected role:Secondary',
        'create peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:UpToDate',
      ],
      redump.state,
    );
    expect(resolved.state.view.devices[0]?.splitBrain).toBeNull();
  });

  it('flags and clears split-brain along the real 8.4.11 stream', () => {
    const p = parseEvents2Text(readFixture('real-8.4.11', 'events2-stream-timestamps-statistics-alpha.log'));
    if (!p.ok) throw new Error(p.error.message);
    const r = reduceDrbdAll(
      INITIAL_DRBD_STATE,
      p.value.map((event: Events2Event) => ({ type: 'events2' as const, event })),
    );
    const sb = r.changes.filter((c) => c.kind === 'device-changed' && c.field === 'splitBrain');
    expect(sb).toEqual([
      expect.objectContaining({
        from: null,
        to: { kind: 'helper', atIso: '2026-11-24T17:27:57.300101+00:00' },
      }),
      expect.objectContaining({ from: expect.objectContaining({ kind: 'helper' }), to: null }),
    ]);
    const suspended = r.changes.filter((c) => c.kind === 'device-changed' && c.field === 'suspended');
    expect(suspended.map((c) => (c.kind === 'device-changed' ? c.to : null))).toEqual([true, false]);
    const fence = r.changes.filter((c) => c.kind === 'helper' && c.helper === 'fence-peer');
    expect(fence).toEqual([
      expect.objectContaining({ phase: 'call', status: null }),
      expect.objectContaining({ phase: 'response', status: 1792 }),
    ]);
  });

  it('takes 8.4 resync progress, protocol and I/O flags from a /proc/drbd supplement', () => {
    const s = fold([
      'exists resource name:r0 role:Primary suspended:no',
      'exists connection name:r0 peer-node-id:0 conn-name:peer connection:Connected role:Secondary',
      'exists device name:r0 volume:0 minor:1 disk:UpToDate',
      'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:SyncSource peer-disk:Inconsistent out-of-sync:245876',
      'exists -',
    ]).state;
    expect(s.view.devices[0]).toMatchObject({ syncPercent: null, protocol: null });
    const snap = proc(readFixture('real-8.4.11', 'proc-initial-sync-syncsource-2-alpha.txt'));
    const r = reduceDrbd(s, { type: 'proc-supplement', snapshot: snap });
    expect(r.state.view.devices[0]).toMatchObject({
      cstate: 'SyncSource',
      protocol: 'C',
      ioFlags: 'r-----',
      syncPercent: 6.3,
      syncEtaSeconds: 119,
      outOfSyncKiB: 245876,
    });
    expect(r.state.view.version).toBe('8.4.11');
    // The resync ends in events2: progress disappears even though the supplement still has it.
    const done = fold(
      [
        'change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:UpToDate',
      ],
      r.state,
    );
    expect(done.state.view.devices[0]).toMatchObject({
      cstate: 'Connected',
      syncPercent: null,
      syncEtaSeconds: null,
    });
  });

  it('clears everything when the module goes away', () => {
    const s = fold(DUMP_84).state;
    const r = reduceDrbd(s, { type: 'unavailable', availability: 'module-not-loaded' });
    expect(r.state.view).toMatchObject({ availability: 'module-not-loaded', devices: [] });
    expect(r.changes.map((c) => c.kind)).toEqual(['availability', 'device-removed']);
  });
});

describe('reduceDrbd with /proc/drbd polling', () => {
  const V = 'version: 8.4.11 (api:1/proto:86-101)\n';
  const snap = (cs: string) =>
    proc(
      `${V} 1: cs:${cs} ro:Primary/Unknown ds:UpToDate/DUnknown ${cs === 'StandAlone' ? ' ' : 'C'} r-----\n`,
    );

  it('suspects split-brain when a connection attempt ends StandAlone', () => {
    const r = reduceDrbdAll(INITIAL_DRBD_STATE, [
      { type: 'proc', snapshot: snap('WFConnection') },
      { type: 'proc', snapshot: snap('StandAlone') },
    ]);
    expect(r.state.view.devices[0]?.splitBrain).toEqual({
      kind: 'standalone-after-connect',
      from: 'WFConnection',
      atIso: null,
    });
    const cleared = reduceDrbd(r.state, { type: 'proc', snapshot: snap('Connected') });
    expect(cleared.state.view.devices[0]?.splitBrain).toBeNull();
  });

  it('does not suspect split-brain when an established link is disconnected', () => {
    const r = reduceDrbdAll(INITIAL_DRBD_STATE, [
      { type: 'proc', snapshot: snap('Connected') },
      { type: 'proc', snapshot: snap('Disconnecting') },
      { type: 'proc', snapshot: snap('StandAlone') },
    ]);
    expect(r.state.view.devices[0]?.splitBrain).toBeNull();
  });

  it('names minors when told their resources', () => {
    const r = reduceDrbd(INITIAL_DRBD_STATE, {
      type: 'proc',
      snapshot: snap('Connected'),
      names: new Map([[1, { resource: 'r0', volume: 0 }]]),
    });
    expect(r.state.view.devices[0]).toMatchObject({ resource: 'r0', volume: 0 });
  });
});

describe('reduceDrbd invariants over random input sequences', () => {
  const lines = [
    ...DUMP_84,
    'change resource name:r0 role:Primary',
    'change resource name:r0 suspended:fencing',
    'change connection name:r0 peer-node-id:0 conn-name:peer connection:Connecting role:Unknown',
    'change connection name:r0 peer-node-id:0 conn-name:peer connection:StandAlone',
    'change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:SyncTarget done:50.00 eta:3',
    'change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Off',
    'change device name:r0 volume:0 minor:1 disk:Diskless',
    'create device name:r0 volume:1 minor:2 disk:Inconsistent',
    'destroy device name:r0 volume:0',
    'destroy connection name:r0 peer-node-id:0 conn-name:peer',
    'destroy resource name:r0',
    'rename resource name:r0 new_name:r1',
    'call helper name:r0 volume:0 minor:1 helper:split-brain',
    '- skipped 1',
  ];
  const inputs: DrbdInput[] = [
    ...lines.map(ev),
    { type: 'events2-restart' },
    { type: 'unavailable', availability: 'module-not-loaded' },
    { type: 'proc', snapshot: proc(readFixture('real-8.4.11', 'proc-standalone-split-brain-alpha.txt')) },
    {
      type: 'proc-supplement',
      snapshot: proc(readFixture('real-8.4.11', 'proc-initial-sync-syncsource-2-alpha.txt')),
    },
    { type: 'version', version: '8.4.11' },
  ];

  it('never throws; devices stay sorted and unique; progress only while syncing; diff matches', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...inputs), { maxLength: 40 }), (seq) => {
        let s = INITIAL_DRBD_STATE;
        for (const i of seq) {
          const r = reduceDrbd(s, i);
          const minors = r.state.view.devices.map((d) => d.minor);
          expect([...minors].sort((a, b) => a - b)).toEqual(minors);
          expect(new Set(minors).size).toBe(minors.length);
          for (const d of r.state.view.devices) {
            if (!PROGRESS_STATES.has(d.cstate)) expect(d.syncPercent).toBeNull();
          }
          if (r.changes.length === 0) expect(r.state.view).toEqual(s.view);
          s = r.state;
        }
      }),
      { numRuns: 1500 },
    );
  });
});
