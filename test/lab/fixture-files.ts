import type { CaptureRecord, CaptureExtras, StepRecord } from '../scenarios/scenario.js';
import { EVENTS2_COMMAND } from './lab-target.js';

type Extras = Awaited<ReturnType<CaptureExtras['endCapture']>>;

/** The fixture files (name and text) a capture record yields, with `# ` header lines. Pure. */
export function fixtureFiles(record: CaptureRecord & { extras?: Extras }): { name: string; text: string }[] {
  const files: { name: string; text: string }[] = [];
  for (const step of record.steps) {
    if (!step.fixture) continue;
    if (step.kind === 'run' && step.result && step.node && step.argv) {
      files.push({ name: `${step.fixture.name}.txt`, text: commandFile(record, step) });
    } else if (step.kind === 'observe') {
      for (const [node, proc] of Object.entries(step.procDrbd)) {
        files.push({
          name: `proc-${step.fixture.name}-${node}.txt`,
          text:
            header([
              `${step.fixture.state}`,
              `node: ${node}; command: cat /proc/drbd; scenario: ${record.scenario}, step ${step.index}; captured ${step.at}`,
            ]) + proc,
        });
      }
    }
  }
  if (record.extras) {
    for (const [node, x] of Object.entries(record.extras)) {
      x.events2.forEach((text, boot) => {
        const suffix = boot === 0 ? '' : `-boot${boot + 1}`;
        files.push({
          name: `events2-${record.scenario}-${node}${suffix}.log`,
          text:
            header([
              `events2 stream on ${node} during scenario '${record.scenario}'${boot > 0 ? ` (after power-on ${boot})` : ''}: ${record.description}`,
              `command (started in the background after the reset, before the first step): ${EVENTS2_COMMAND}`,
              `steps: ${record.steps.map((s) => s.label).join('; ')}`,
            ]) + text,
        });
      });
      x.kernel.forEach((text, boot) => {
        const suffix = boot === 0 ? '' : `-boot${boot + 1}`;
        files.push({
          name: `kernel-${record.scenario}-${node}${suffix}.log`,
          text:
            header([
              `kernel messages on ${node} during scenario '${record.scenario}'${boot > 0 ? ` (after power-on ${boot})` : ''}: ${record.description}`,
              'command: dmesg (cleared after the reset, read at the end of the scenario or right before a power-kill)',
            ]) + text,
        });
      });
    }
  }
  return files;
}

function commandFile(record: CaptureRecord, step: StepRecord): string {
  const r = step.result;
  if (!r || !step.node || !step.argv) return '';
  const timing = r.durationMs === undefined ? '' : `; wall time ${(r.durationMs / 1000).toFixed(2)} s`;
  return (
    header([
      step.fixture?.state ?? step.label,
      `node: ${step.node}; command: ${step.argv.join(' ')}`,
      `scenario: ${record.scenario}, step ${step.index}; captured ${step.at}${timing}${r.timedOut ? '; TIMED OUT' : ''}`,
      'sections: --- stdout / --- stderr / rc=N (exit code)',
    ]) + `--- stdout\n${withNewline(r.stdout)}--- stderr\n${withNewline(r.stderr)}rc=${r.exitCode}\n`
  );
}

function header(lines: string[]): string {
  return lines.map((l) => `# ${l.replace(/\n/g, ' ')}\n`).join('');
}

function withNewline(s: string): string {
  return s === '' || s.endsWith('\n') ? s : `${s}\n`;
}
