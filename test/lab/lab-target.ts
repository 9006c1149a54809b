import { assertNever } from '../../src/common/result.js';
import type { CaptureExtras } from '../scenarios/scenario.js';
import type { CommandCapture, Fault, LabNode, ScenarioTarget } from '../scenarios/target.js';
import { LAB_NODES, shellQuote, type Lab } from './lab.js';

const EVENTS_LOG = '/tmp/events2.log';
const EVENTS_PID = '/tmp/events2.pid';
const VIEWS_LOG = '/tmp/views.jsonl';
const VIEWS_PID = '/tmp/views.pid';
/** Where the project's DRBD event source runs in the guest (needs `npm run build`: /shared/dist). */
const WATCHER = '/shared/test/lab/guest/watch-drbd.mjs';
export const EVENTS2_COMMAND = 'drbdsetup events2 --timestamps --statistics all';

/**
 * The lab as a ScenarioTarget (and CaptureExtras): commands run through the VMs' command channel,
 * faults go to QEMU (monitor, SIGKILL) or to the guest's device-mapper disk.
 * Before a power-kill it saves what the doomed node's event stream and kernel log hold so far.
 */
export class LabTarget implements ScenarioTarget, CaptureExtras {
  private capturing = false;
  private segments: Record<LabNode, Segments> = fresh();

  /**
   * `watchers`: while capturing, also run the project's DrbdEventSource in each guest
   * (test/lab/guest/watch-drbd.mjs, needs the 9p share and a built dist/) and collect its views.
   */
  constructor(
    readonly lab: Lab,
    private readonly options: { watchers?: boolean } = {},
  ) {}

  async run(
    node: LabNode,
    argv: readonly string[],
    options?: { timeoutMs?: number },
  ): Promise<CommandCapture> {
    const r = await this.lab.sh(node, shellQuote(argv), Math.ceil((options?.timeoutMs ?? 60_000) / 1000));
    return {
      stdout: r.stdout,
      stderr: r.stderr,
      exitCode: r.exitCode,
      timedOut: r.timedOut,
      durationMs: r.durationMs,
    };
  }

  async fault(fault: Fault): Promise<void> {
    switch (fault.kind) {
      case 'cut-link':
        return this.lab.cutLink();
      case 'restore-link':
        return this.lab.restoreLink();
      case 'power-kill':
        if (this.capturing) await this.saveSegment(fault.node);
        return this.lab.vm(fault.node).powerKill();
      case 'power-on':
        await this.lab.vm(fault.node).boot();
        if (this.capturing) await this.startStream(fault.node);
        return;
      case 'freeze':
        await this.lab.vm(fault.node).freeze();
        return;
      case 'thaw':
        await this.lab.vm(fault.node).thaw();
        return;
      case 'fail-disk':
        return this.lab.failDisk(fault.node);
      default:
        assertNever(fault);
    }
  }

  procDrbd(node: LabNode): Promise<string> {
    return this.lab.procDrbd(node);
  }

  async waitFor(node: LabNode, predicate: (procDrbd: string) => boolean, timeoutMs: number): Promise<void> {
    await this.lab.waitFor(node, predicate, timeoutMs);
  }

  reset(): Promise<void> {
    return this.lab.resetDrbd();
  }

  async beginCapture(): Promise<void> {
    this.segments = fresh();
    this.capturing = true;
    for (const n of LAB_NODES) await this.startStream(n);
  }

  async endCapture(): Promise<Record<LabNode, Segments>> {
    for (const n of LAB_NODES) if (this.lab.vm(n).running) await this.saveSegment(n);
    this.capturing = false;
    for (const n of LAB_NODES) if (this.lab.vm(n).running) await this.lab.sh(n, STOP_JOBS, 15);
    return this.segments;
  }

  private async startStream(node: LabNode): Promise<void> {
    const watcher = this.options.watchers
      ? `rm -f ${VIEWS_LOG}; setsid node ${WATCHER} >${VIEWS_LOG} 2>&1 </dev/null & echo $! >${VIEWS_PID}`
      : ':';
    await this.lab.must(
      node,
      [
        STOP_JOBS,
        `dmesg -c >/dev/null; rm -f ${EVENTS_LOG}`,
        `setsid ${EVENTS2_COMMAND} >${EVENTS_LOG} 2>&1 </dev/null & echo $! >${EVENTS_PID}`,
        watcher,
        // Until the event source has printed its first view (node starts slowly under TCG).
        this.options.watchers
          ? `i=0; while [ ! -s ${VIEWS_LOG} ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done`
          : ':',
        'sleep 0.5',
      ].join('\n'),
    );
  }

  /** Appends the node's event stream, kernel log and views so far (the node must answer). */
  private async saveSegment(node: LabNode): Promise<void> {
    // Give the streams a moment to flush the last transitions.
    const ev = await this.lab.must(node, `sleep 1; cat ${EVENTS_LOG}`);
    const km = await this.lab.must(node, 'dmesg');
    const seg = this.segments[node];
    seg.events2.push(ev);
    seg.kernel.push(km);
    if (this.options.watchers) seg.views.push(await this.lab.must(node, `cat ${VIEWS_LOG}`));
  }
}

/** Stops the capture's background jobs by pid (never by name: the daemon's own events2 must live). */
const STOP_JOBS = [EVENTS_PID, VIEWS_PID]
  .map((f) => `[ -f ${f} ] && kill $(cat ${f}) 2>/dev/null; rm -f ${f}`)
  .join('; ')
  .concat('; true');

type Segments = { events2: string[]; kernel: string[]; views: string[] };

function fresh(): Record<LabNode, Segments> {
  return { alpha: { events2: [], kernel: [], views: [] }, bravo: { events2: [], kernel: [], views: [] } };
}
