import type { Clock, VirtualClock } from '../../src/common/clock.js';
import type { Transport } from '../../src/membership/transport.js';

/**
 * A view of a VirtualClock for one simulated process that can be stalled (event loop blocked, SIGSTOP):
 * while stalled its timers and incoming datagrams wait; when the stall ends, overdue timers run first
 * and queued datagrams after them, as in Node's event loop (timers phase before the poll phase). That
 * order is the worst case for a failure detector, which is what the stall guard is for.
 */
export class StallableClock implements Clock {
  private stalledUntilMs = Number.NEGATIVE_INFINITY;
  private queuedTimers: (() => void)[] = [];
  private queuedIo: (() => void)[] = [];

  constructor(private readonly vc: VirtualClock) {}

  nowMs(): number {
    return this.vc.nowMs();
  }

  get stalled(): boolean {
    return this.vc.nowMs() < this.stalledUntilMs;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    let cancelled = false;
    const cancel = this.vc.setTimer(delayMs, () => {
      if (cancelled) return;
      if (this.stalled) this.queuedTimers.push(() => !cancelled && fn());
      else fn();
    });
    return () => {
      cancelled = true;
      cancel();
    };
  }

  /** Stalls this process for `ms` from now. */
  stall(ms: number): void {
    this.stalledUntilMs = this.vc.nowMs() + ms;
    this.vc.setTimer(ms, () => {
      this.stalledUntilMs = Number.NEGATIVE_INFINITY;
      for (const t of this.queuedTimers.splice(0)) t();
      for (const io of this.queuedIo.splice(0)) io();
    });
  }

  /** Wraps a transport so datagrams to this process wait while it is stalled. */
  wrap(transport: Transport): Transport {
    return {
      open: (index, link, handlers) =>
        transport.open(index, link, {
          ...handlers,
          onDatagram: (d) => {
            if (this.stalled) this.queuedIo.push(() => handlers.onDatagram(d));
            else handlers.onDatagram(d);
          },
        }),
    };
  }
}
