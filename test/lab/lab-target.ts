import { assertNever } from '../../src/common/result.js';
import type { CaptureExtras } from '../scenarios/scenario.js';
import type { CommandCapture, Fault, LabNode, ScenarioTarget } from '../scenarios/target.js';
import { LAB_NODES, shellQuote, type Lab } from './lab.js';

const EVENTS_LOG = '/tmp/events2.log';
export const EVENTS2_COMMAND = 'drbdsetup events2 --timestamps --statistics all';

/**
 * The lab as a ScenarioTarget (and CaptureExtras): commands run through the VMs' command channel,
 * faults go to QEMU (monitor, SIGKILL) or to the guest's device-mapper disk.
 * Before a power-kill it saves what the doomed node's event stream and kernel log hold so far.
 */
export class LabTarget implements ScenarioTarget, CaptureExtras {
  private capturing = false;
  private segments: Record<LabNode, { events2: string[]; kernel: string[] }> = fresh();

  constructor(readonly lab: Lab) {}

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

  async endCapture(): Promise<Record<LabNode, { events2: string[]; kernel: string[] }>> {
    for (const n of LAB_NODES) if (this.lab.vm(n).running) await this.saveSegment(n);
    this.capturing = false;
    for (const n of LAB_NODES)
      if (this.lab.vm(n).running) await this.lab.sh(n, 'pkill -f "drbdsetup.*events2"; true', 10);
    return this.segments;
  }

  private async startStream(node: LabNode): Promise<void> {
    await this.lab.must(
      node,
      `pkill -f "drbdsetup.*events2"; dmesg -c >/dev/null; rm -f ${EVENTS_LOG}; (setsid ${EVENTS2_COMMAND} >${EVENTS_LOG} 2>&1 </dev/null &); sleep 0.5`,
    );
  }

  /** Appends the node's event stream and kernel log so far (the node must answer). */
  private async saveSegment(node: LabNode): Promise<void> {
    // Give the stream a moment to flush the last transitions.
    const ev = await this.lab.must(node, `sleep 0.5; cat ${EVENTS_LOG}`);
    const km = await this.lab.must(node, 'dmesg');
    this.segments[node].events2.push(ev);
    this.segments[node].kernel.push(km);
  }
}

function fresh(): Record<LabNode, { events2: string[]; kernel: string[] }> {
  return { alpha: { events2: [], kernel: [] }, bravo: { events2: [], kernel: [] } };
}
