import { assertNever } from '../../src/common/result.js';
import type { CommandCapture, Fault, LabNode, ScenarioTarget } from './target.js';

/**
 * Data-driven scenarios: a scenario is a list of steps run against any ScenarioTarget (the lab VMs
 * or the simulator). Running one yields a CaptureRecord: per step the command output and exit code
 * and the /proc/drbd text of every reachable node afterwards. The lab's records are the reference
 * the simulator's records are compared with (fidelity test).
 */

/** What a step's command is expected to do; a mismatch is recorded, not thrown. */
export interface Expect {
  readonly exitCode?: number;
  readonly nonZero?: boolean;
  readonly stderrIncludes?: string;
  readonly stdoutIncludes?: string;
}

/** Names a fixture file the lab's capture writes for this step (test/fixtures/real/). */
export interface FixtureNote {
  /** File stem: a run step writes `<name>.txt`, an observe step `proc-<name>-<node>.txt`. */
  readonly name: string;
  /** The state the capture shows, for the file's `# ` header. */
  readonly state: string;
}

export type Step =
  | {
      readonly kind: 'run';
      readonly label: string;
      readonly node: LabNode;
      readonly argv: readonly string[];
      readonly timeoutMs?: number;
      readonly expect?: Expect;
      readonly fixture?: FixtureNote;
    }
  | { readonly kind: 'fault'; readonly label: string; readonly fault: Fault }
  | {
      readonly kind: 'wait';
      readonly label: string;
      readonly node: LabNode;
      /** A regular expression (source text) that the node's /proc/drbd must match. */
      readonly pattern: string;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'observe';
      readonly label: string;
      readonly nodes?: readonly LabNode[];
      readonly fixture?: FixtureNote;
    };

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** `reset`: the target's reset() first (alpha Primary, bravo Secondary, both UpToDate, fresh ext4). */
  readonly setup: 'reset';
  readonly steps: readonly Step[];
}

export interface StepRecord {
  readonly index: number;
  readonly label: string;
  readonly kind: Step['kind'];
  readonly node?: LabNode;
  readonly argv?: readonly string[];
  readonly fault?: Fault;
  readonly result?: CommandCapture;
  /** /proc/drbd after the step, of every node that was reachable (not powered off or frozen). */
  readonly procDrbd: Partial<Record<LabNode, string>>;
  /** Expectation mismatches and wait failures; empty when the step behaved as written. */
  readonly problems: readonly string[];
  readonly fixture?: FixtureNote;
  readonly at: string;
}

export interface CaptureRecord {
  readonly scenario: string;
  readonly description: string;
  readonly steps: readonly StepRecord[];
  /** True when every step behaved as written. */
  readonly ok: boolean;
}

/**
 * Optional target capabilities the lab offers for captures (event streams, kernel messages);
 * the simulator may implement them too.
 */
export interface CaptureExtras {
  /** Starts a `drbdsetup events2 --timestamps --statistics all` stream and clears the kernel log on both nodes. */
  beginCapture(): Promise<void>;
  /**
   * Stops the streams; returns per node the event stream segments (one per boot), kernel messages
   * and, where the target runs the project's event source, its views (JSON lines).
   */
  endCapture(): Promise<Record<LabNode, { events2: string[]; kernel: string[]; views?: string[] }>>;
}

/** Checks a command result against the step's expectation. Pure. */
export function checkExpect(expect: Expect | undefined, r: CommandCapture): string[] {
  if (!expect) return [];
  const problems: string[] = [];
  if (expect.exitCode !== undefined && r.exitCode !== expect.exitCode)
    problems.push(`exit code ${r.exitCode}, expected ${expect.exitCode}`);
  if (expect.nonZero && r.exitCode === 0) problems.push('exit code 0, expected a failure');
  if (expect.stderrIncludes !== undefined && !r.stderr.includes(expect.stderrIncludes))
    problems.push(`stderr lacks '${expect.stderrIncludes}'`);
  if (expect.stdoutIncludes !== undefined && !r.stdout.includes(expect.stdoutIncludes))
    problems.push(`stdout lacks '${expect.stdoutIncludes}'`);
  return problems;
}

const NODES: readonly LabNode[] = ['alpha', 'bravo'];

/** Which nodes answer after `fault`, given which answered before. Pure. */
export function reachableAfter(reachable: ReadonlySet<LabNode>, fault: Fault): Set<LabNode> {
  const next = new Set(reachable);
  switch (fault.kind) {
    case 'power-kill':
    case 'freeze':
      next.delete(fault.node);
      break;
    case 'power-on':
    case 'thaw':
      next.add(fault.node);
      break;
    case 'cut-link':
    case 'restore-link':
    case 'fail-disk':
      break;
  }
  return next;
}

/**
 * Runs a scenario against a target and records what happened. A failing command or a mismatched
 * expectation is recorded and the scenario goes on; a wait that times out is recorded and ends it
 * (later steps assume the awaited state).
 */
export async function runScenario(
  target: ScenarioTarget,
  scenario: Scenario,
  extras?: CaptureExtras,
): Promise<CaptureRecord & { extras?: Awaited<ReturnType<CaptureExtras['endCapture']>> }> {
  await target.reset();
  await extras?.beginCapture();
  let reachable = new Set<LabNode>(NODES);
  const steps: StepRecord[] = [];
  const observeAll = async (only?: readonly LabNode[]): Promise<Partial<Record<LabNode, string>>> => {
    const out: Partial<Record<LabNode, string>> = {};
    for (const n of only ?? NODES) if (reachable.has(n)) out[n] = await target.procDrbd(n);
    return out;
  };
  for (const [index, step] of scenario.steps.entries()) {
    const at = new Date().toISOString();
    const base = { index, label: step.label, kind: step.kind, at };
    switch (step.kind) {
      case 'run': {
        const opts = step.timeoutMs === undefined ? undefined : { timeoutMs: step.timeoutMs };
        const result = await target.run(step.node, step.argv, opts);
        steps.push({
          ...base,
          node: step.node,
          argv: step.argv,
          result,
          procDrbd: await observeAll(),
          problems: checkExpect(step.expect, result),
          ...(step.fixture ? { fixture: step.fixture } : {}),
        });
        break;
      }
      case 'fault':
        await target.fault(step.fault);
        reachable = reachableAfter(reachable, step.fault);
        steps.push({ ...base, fault: step.fault, procDrbd: await observeAll(), problems: [] });
        break;
      case 'wait': {
        let problem: string | null = null;
        try {
          await target.waitFor(step.node, (p) => new RegExp(step.pattern).test(p), step.timeoutMs);
        } catch (e) {
          problem = `wait for /${step.pattern}/ on ${step.node}: ${e instanceof Error ? e.message : String(e)}`;
        }
        steps.push({
          ...base,
          node: step.node,
          procDrbd: await observeAll(),
          problems: problem ? [problem] : [],
        });
        if (problem) return finish(scenario, steps, await extras?.endCapture());
        break;
      }
      case 'observe':
        steps.push({
          ...base,
          procDrbd: await observeAll(step.nodes),
          problems: [],
          ...(step.fixture ? { fixture: step.fixture } : {}),
        });
        break;
      default:
        assertNever(step);
    }
  }
  return finish(scenario, steps, await extras?.endCapture());
}

function finish(
  scenario: Scenario,
  steps: StepRecord[],
  extras: Awaited<ReturnType<CaptureExtras['endCapture']>> | undefined,
): CaptureRecord & { extras?: Awaited<ReturnType<CaptureExtras['endCapture']>> } {
  const ok = steps.every((s) => s.problems.length === 0) && steps.length > 0;
  return {
    scenario: scenario.name,
    description: scenario.description,
    steps,
    ok,
    ...(extras ? { extras } : {}),
  };
}
