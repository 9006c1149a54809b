import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CliExit } from '../../../src/cli/program-exit.js';
import { registerReplayCommand } from '../../../src/cli/replay.js';
import { decide } from '../../../src/engine/index.js';
import { memory, observation, policy, SILENT_PEER } from '../../engine/builders.js';
import { JournalWriter, type JournalEntry, type Recompute } from '../../../src/journal/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-replay-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

const recompute: Recompute = (e) => {
  const o = e.observation as { peerSilent: boolean };
  return o.peerSilent
    ? { reason: 'TAKEOVER', plan: [{ kind: 'promote' }] }
    : { reason: 'ALL_GOOD', plan: [] };
};

function journal(decisions: Array<[boolean, unknown]>): string {
  const path = join(dir, 'journal.jsonl');
  const w = JournalWriter.open({ path, maxBytes: 1_000_000, keep: 1, syncIntervalMs: null });
  if (!w.ok) throw new Error(w.error.message);
  decisions.forEach(([peerSilent, decision], i) => {
    const e: JournalEntry = {
      v: 1,
      time: `T${i + 1}`,
      monoMs: i,
      node: 'alpha',
      seq: i,
      observation: { peerSilent },
      memory: {},
      policy: {},
      decision,
    };
    w.value.append(e);
  });
  w.value.close();
  return path;
}

async function cli(...args: string[]) {
  return cliWith({ recompute }, ...args);
}

async function cliWith(deps: { recompute: Recompute } | undefined, ...args: string[]) {
  const program = new Command('drbd-sentinel').exitOverride();
  registerReplayCommand(program, deps);
  let out = '';
  let errOut = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(
    (c: string | Uint8Array) => ((out += String(c)), true),
  );
  vi.spyOn(process.stderr, 'write').mockImplementation(
    (c: string | Uint8Array) => ((errOut += String(c)), true),
  );
  try {
    await program.parseAsync(['node', 'drbd-sentinel', ...args]);
    return { code: 0, out, errOut, message: '' };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, out, errOut, message: e.message };
    throw e;
  } finally {
    vi.restoreAllMocks();
  }
}

describe('drbd-sentinel replay', () => {
  it('exits 0 when today’s engine agrees with every recorded decision', async () => {
    const path = journal([
      [false, { reason: 'ALL_GOOD', plan: [] }],
      [true, { reason: 'TAKEOVER', plan: [{ kind: 'promote', resource: 'r0' }] }],
    ]);
    expect(await cli('replay', path)).toEqual({
      code: 0,
      out: '2 decision(s) replayed: 2 same, 0 different, 0 error(s)\n',
      errOut: '',
      message: '',
    });
  });

  it('prints differences and exits 1; tolerates a truncated last line', async () => {
    const path = journal([
      [false, { reason: 'ALL_GOOD', plan: [] }],
      [true, { reason: 'WAIT_PEER', plan: [] }],
    ]);
    appendFileSync(path, '{"v":1,"time":"T3","obs');
    const r = await cli('replay', path);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      'line 2 T2: DIFFERENT\n  recorded:   WAIT_PEER: no action\n  recomputed: TAKEOVER: promote\n2 decision(s) replayed: 1 same, 1 different, 0 error(s)\n',
    );
    expect(r.errOut).toContain('last line is truncated');
    const json = await cli('replay', path, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ truncatedTail: true, same: 1, different: 1, errors: 0 });
  });

  it('exits 2 on a missing file', async () => {
    expect(await cli('replay', join(dir, 'missing.jsonl'))).toMatchObject({
      code: 2,
      message: expect.stringContaining('no such file'),
    });
  });
});

describe('drbd-sentinel replay with the real engine', () => {
  it('recomputes journaled engine decisions identically after the JSON round trip, and flags an altered one', async () => {
    const path = join(dir, 'engine.jsonl');
    const w = JournalWriter.open({ path, maxBytes: 1_000_000, keep: 1, syncIntervalMs: null });
    if (!w.ok) throw new Error(w.error.message);
    const inputs = [
      { observation: observation(), memory: memory(), policy: policy() },
      { observation: observation({ peer: SILENT_PEER }), memory: memory(), policy: policy() },
    ];
    inputs.forEach((input, seq) => {
      const { decision } = decide(input.observation, input.memory, input.policy);
      w.value.append({
        v: 1,
        time: `T${seq + 1}`,
        monoMs: input.observation.nowMs,
        node: 'alpha',
        seq,
        ...input,
        decision,
      });
    });
    // An entry recorded by a (hypothetical) older engine that decided otherwise:
    const altered = decide(inputs[0]!.observation, inputs[0]!.memory, inputs[0]!.policy).decision;
    w.value.append({
      v: 1,
      time: 'T3',
      monoMs: 0,
      node: 'alpha',
      seq: 2,
      ...inputs[0]!,
      decision: { ...altered, reason: 'OLD_REASON' },
    });
    w.value.close();

    const r = await cliWith(undefined, 'replay', path);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^line 3 T3: DIFFERENT\n {2}recorded: {3}OLD_REASON: /);
    expect(r.out).toContain('3 decision(s) replayed: 2 same, 1 different, 0 error(s)');
  });
});
