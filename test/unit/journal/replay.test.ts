import { describe, expect, it } from 'vitest';
import {
  digestDecision,
  renderReplayReport,
  replayEntries,
  type JournalEntry,
  type NumberedEntry,
} from '../../../src/journal/index.js';

const numbered = (line: number, observation: unknown, decision: unknown): NumberedEntry => ({
  line,
  entry: {
    v: 1,
    time: `T${line}`,
    monoMs: line,
    node: 'alpha',
    seq: line,
    observation,
    memory: {},
    policy: {},
    decision,
  } as JournalEntry,
});

// A toy engine: promote when the peer is silent, else nothing.
const decide = (e: JournalEntry) => {
  const o = e.observation as { peerSilent: boolean; boom?: boolean };
  if (o.boom === true) throw new Error('invariant broken');
  return o.peerSilent
    ? {
        reason: 'TAKEOVER_FENCED',
        plan: [{ kind: 'fence-peer' }, { kind: 'promote', resource: 'r0' }],
        resources: [{ resource: 'r0', reason: 'TAKEOVER_FENCED' }],
      }
    : { reason: 'ALL_GOOD', plan: [], resources: [{ resource: 'r0', reason: 'ALL_GOOD' }] };
};

describe('digestDecision', () => {
  it('reads reason, plan kinds and resource reasons, and rejects other shapes', () => {
    expect(digestDecision(decide(numbered(1, { peerSilent: true }, null).entry))).toEqual({
      ok: true,
      value: {
        reason: 'TAKEOVER_FENCED',
        kinds: ['fence-peer', 'promote'],
        resources: [{ resource: 'r0', reason: 'TAKEOVER_FENCED' }],
      },
    });
    expect(digestDecision(null).ok).toBe(false);
    expect(digestDecision({ reason: 'X' }).ok).toBe(false);
    expect(digestDecision({ reason: 'X', plan: [{}] }).ok).toBe(false);
    expect(digestDecision({ reason: 'X', plan: [] })).toEqual({
      ok: true,
      value: { reason: 'X', kinds: [], resources: [] },
    });
  });
});

describe('replayEntries', () => {
  it('finds where today’s engine decides differently, and survives a throwing engine', () => {
    const entries = [
      numbered(
        1,
        { peerSilent: false },
        { reason: 'ALL_GOOD', plan: [], resources: [{ resource: 'r0', reason: 'ALL_GOOD' }] },
      ),
      // Recorded by an older engine that waited instead of fencing:
      numbered(
        2,
        { peerSilent: true },
        {
          reason: 'WAIT_PEER',
          plan: [{ kind: 'notify' }],
          resources: [{ resource: 'r0', reason: 'WAIT_PEER' }],
        },
      ),
      numbered(3, { peerSilent: false, boom: true }, { reason: 'ALL_GOOD', plan: [], resources: [] }),
      numbered(4, { peerSilent: true }, { reason: 'nope' }),
    ];
    const report = replayEntries(entries, decide);
    expect(report).toMatchObject({ same: 1, different: 1, errors: 2 });
    expect(renderReplayReport(report)).toBe(
      [
        'line 2 T2: DIFFERENT',
        '  recorded:   WAIT_PEER: notify [r0=WAIT_PEER]',
        '  recomputed: TAKEOVER_FENCED: fence-peer, promote [r0=TAKEOVER_FENCED]',
        'line 3 T3: ERROR engine threw: invariant broken',
        'line 4 T4: ERROR recorded decision has no plan',
        '4 decision(s) replayed: 1 same, 1 different, 2 error(s)',
        '',
      ].join('\n'),
    );
    expect(renderReplayReport(report, { verbose: true })).toContain(
      'line 1 T1: same      ALL_GOOD: no action [r0=ALL_GOOD]',
    );
  });
});
