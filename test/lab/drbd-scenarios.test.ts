import { describe, expect, it } from 'vitest';
import type { CommandOutcome } from '../../src/common/exec.js';
import {
  classifyDrbdFailure,
  inspectEvents2Text,
  inspectProcDrbdText,
  type DrbdFailureKind,
  type DrbdView,
} from '../../src/drbd/index.js';
import { DRBD_SCENARIOS } from '../scenarios/drbd-scenarios.js';
import { runScenario, type StepRecord } from '../scenarios/scenario.js';
import type { CommandCapture, LabNode } from '../scenarios/target.js';
import { LAB_NODES } from './lab.js';
import { useLab } from './lab-fixture.js';
import { LabTarget } from './lab-target.js';

// Every capture scenario against real DRBD 8.4, with the project's own DrbdEventSource running in
// each guest: real DRBD behaves as the scenario says, each refusal gets the right error kind, the
// event source follows every state the scenario observed, and inspect (events2 and /proc/drbd)
// agrees with the live state at the end.

/** The error kind the command layer must give each refusal the scenarios capture. */
const REFUSAL_KINDS: Readonly<Record<string, DrbdFailureKind>> = {
  'refuse-primary-inconsistent': 'need-uptodate',
  'refuse-primary-sync-target': 'multiple-primaries',
  'refuse-primary-peer-is-primary': 'multiple-primaries',
  'refuse-secondary-while-mounted': 'held-open',
  'refuse-primary-outdated': 'need-uptodate',
  'refuse-outdate-primary': 'need-uptodate',
  'refuse-disconnect-blocking-link-cut': 'timeout',
  'refuse-primary-consistent-alone': 'need-uptodate',
};

type Tuple = string; // "cstate role/peerRole disk/peerDisk"

function tupleOf(d: {
  cstate: string;
  role: string;
  peerRole: string;
  disk: string;
  peerDisk: string;
}): Tuple {
  return `${d.cstate} ${d.role}/${d.peerRole} ${d.disk}/${d.peerDisk}`;
}

function procTuple(proc: string): Tuple | null {
  const r = inspectProcDrbdText(proc);
  if (!r.ok) throw new Error(`inspect of live /proc/drbd failed: ${r.error}\n${proc}`);
  const d = r.value.devices.find((x) => x.minor === 1);
  return d && d.cstate !== 'Unconfigured' ? tupleOf(d) : null;
}

function outcomeOf(c: CommandCapture): CommandOutcome {
  if (c.timedOut)
    return { status: 'timeout', stdout: c.stdout, stderr: c.stderr, durationMs: c.durationMs ?? 0 };
  return c.exitCode === 0
    ? { status: 'ok', exitCode: 0, stdout: c.stdout, stderr: c.stderr, durationMs: c.durationMs ?? 0 }
    : {
        status: 'failed',
        exitCode: c.exitCode,
        signal: null,
        stdout: c.stdout,
        stderr: c.stderr,
        durationMs: c.durationMs ?? 0,
      };
}

function dedupe(xs: readonly Tuple[]): Tuple[] {
  return xs.filter((x, i) => i === 0 || xs[i - 1] !== x);
}

/** Index past the end of `needles` as a subsequence of `hay`, or the index of the first needle not found. */
function missingFromSubsequence(hay: readonly Tuple[], needles: readonly Tuple[]): number | null {
  let i = 0;
  for (const [k, n] of needles.entries()) {
    while (i < hay.length && hay[i] !== n) i++;
    if (i === hay.length) return k;
  }
  return null;
}

function viewTuples(jsonLines: readonly string[]): Tuple[] {
  const out: Tuple[] = [];
  for (const text of jsonLines)
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      const { view } = JSON.parse(line) as { view: DrbdView };
      const d = view.devices.find((x) => x.minor === 1);
      if (d) out.push(tupleOf(d));
    }
  return out;
}

describe('lab: DRBD scenarios against real DRBD 8.4, followed by the event source', () => {
  const lab = useLab({ needsBuild: true });

  for (const scenario of DRBD_SCENARIOS) {
    it(`${scenario.name}: ${scenario.description}`, async () => {
      const target = new LabTarget(lab(), { watchers: true });
      const record = await runScenario(target, scenario, target);
      const finalProc: Partial<Record<LabNode, string>> = {};
      for (const n of LAB_NODES) finalProc[n] = await target.procDrbd(n);

      // 1. Real DRBD did what the scenario says.
      const problems = record.steps.flatMap((s) =>
        s.problems.map((p) => `step ${s.index} '${s.label}': ${p}`),
      );
      expect(problems).toEqual([]);

      // 2. The command layer's classification of every refusal.
      for (const step of record.steps) {
        const want = step.fixture ? REFUSAL_KINDS[step.fixture.name] : undefined;
        if (want === undefined || !step.result) continue;
        expect(classifyDrbdFailure(outcomeOf(step.result))?.kind ?? 'ok', step.label).toBe(want);
      }

      const extras = record.extras;
      if (!extras) throw new Error('the lab target returned no capture extras');
      for (const n of LAB_NODES) {
        // 3. The event source followed every state the scenario saw in /proc/drbd, in order.
        const observed = dedupe(
          record.steps
            .map((s: StepRecord) => s.procDrbd[n])
            .filter((p): p is string => p !== undefined)
            .map(procTuple)
            .filter((t): t is Tuple => t !== null),
        );
        const seen = dedupe(viewTuples(extras[n].views ?? []));
        const missing = missingFromSubsequence(seen, observed);
        expect(
          missing,
          `${n}: the event source never showed '${missing === null ? '' : observed[missing]}' (in order).\n` +
            `observed via /proc/drbd:\n  ${observed.join('\n  ')}\nevent source views:\n  ${seen.join('\n  ')}\n` +
            `raw watcher output (last boot):\n${(extras[n].views ?? []).at(-1)?.slice(-2000) ?? ''}`,
        ).toBeNull();

        // 4. inspect of the live events2 stream and of the live /proc/drbd agree with the final state.
        const live = procTuple(finalProc[n] ?? '');
        const stream = inspectEvents2Text(extras[n].events2.at(-1) ?? '');
        expect(stream.ok, stream.ok ? '' : stream.error).toBe(true);
        if (stream.ok && live !== null) {
          const d = stream.value.devices.find((x) => x.minor === 1);
          expect(d && tupleOf(d), `${n}: inspect of the events2 stream vs live /proc/drbd`).toBe(live);
          expect(seen.at(-1), `${n}: the event source's last view vs live /proc/drbd`).toBe(live);
        }
      }
    });
  }
});
