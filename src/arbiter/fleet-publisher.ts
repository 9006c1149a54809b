import type { Clock, WallClock } from '../common/clock.js';
import type { ArbiterPort, FleetStatusEntry } from './port.js';

/** What the daemon last decided over, in the compact form `fleet status` shows. */
export type FleetView = Omit<FleetStatusEntry, 'cluster' | 'node' | 'peer' | 'writtenAtWallMs'>;

export interface FleetPublisherOptions {
  readonly arbiter: ArbiterPort;
  readonly clock: Clock;
  readonly wall: WallClock;
  readonly cluster: string;
  readonly node: string;
  readonly peer: string;
  /** No two writes closer than this (a flapping link must not flood etcd). */
  readonly minIntervalMs?: number;
  /** An unchanged status is written again this often, so that readers can tell a live writer. */
  readonly refreshMs?: number;
}

/** Defaults: at most one write a second, a refresh every 10 s (`fleet status` marks 30 s as stale). */
export const FLEET_MIN_INTERVAL_MS = 1_000;
export const FLEET_REFRESH_MS = 10_000;

/**
 * Publishes this daemon's fleet status through the arbiter (effects: etcd writes, timers). The cycle
 * offers its view after every decision; the publisher writes it when it changed (at most once per
 * `minIntervalMs`, the last view winning), when it has not been written for `refreshMs`, and at once
 * when the arbiter (re)registers (a new lease after etcd lost its data, or etcd back after a failed
 * write: the key bound to the old lease may be gone). The refresh is driven by the offers, not by a
 * timer of its own, so a daemon whose loop hangs goes stale in `fleet status` while its lease lives.
 */
export class FleetPublisher {
  private readonly minIntervalMs: number;
  private readonly refreshMs: number;
  private latest: FleetView | null = null;
  /** JSON of the last written view (null: nothing written under the current registration). */
  private written: string | null = null;
  private lastWriteMs: number | null = null;
  private cancelTrailing: (() => void) | null = null;
  private registered = false;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly o: FleetPublisherOptions) {
    this.minIntervalMs = o.minIntervalMs ?? FLEET_MIN_INTERVAL_MS;
    this.refreshMs = o.refreshMs ?? FLEET_REFRESH_MS;
  }

  start(): void {
    this.unsubscribe ??= this.o.arbiter.onChange(() => this.arbiterChanged());
    this.arbiterChanged();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.cancelTrailing?.();
    this.cancelTrailing = null;
  }

  /** The cycle's latest view (called after every decision: cheap when nothing changed). */
  offer(view: FleetView): void {
    this.latest = view;
    const now = this.o.clock.nowMs();
    const changed = JSON.stringify(view) !== this.written;
    const due = this.lastWriteMs === null || now - this.lastWriteMs >= this.refreshMs;
    if (changed || due) this.writeSoon();
  }

  private arbiterChanged(): void {
    const s = this.o.arbiter.snapshot();
    const now = s.reachable && s.ownLeaseValidUntilMs !== null;
    if (now && !this.registered) {
      // What was written may have gone with the old lease (or never arrived): write it again.
      this.written = null;
      this.registered = true;
      if (this.latest !== null) this.writeSoon();
    } else if (!now) this.registered = false;
  }

  /** Writes now, or once `minIntervalMs` has passed since the last write (one pending write at most). */
  private writeSoon(): void {
    if (this.cancelTrailing !== null) return;
    const now = this.o.clock.nowMs();
    const wait = this.lastWriteMs === null ? 0 : this.lastWriteMs + this.minIntervalMs - now;
    if (wait <= 0) {
      this.write();
      return;
    }
    this.cancelTrailing = this.o.clock.setTimer(wait, () => {
      this.cancelTrailing = null;
      // Changed and changed back while waiting: nothing new to say.
      if (JSON.stringify(this.latest) !== this.written) this.write();
    });
  }

  private write(): void {
    const view = this.latest;
    if (view === null) return;
    this.lastWriteMs = this.o.clock.nowMs();
    this.written = JSON.stringify(view);
    const entry: FleetStatusEntry = {
      cluster: this.o.cluster,
      node: this.o.node,
      peer: this.o.peer,
      writtenAtWallMs: Date.parse(this.o.wall.nowIso()),
      ...view,
    };
    // Best effort: a failed write marks the arbiter unreachable, and its recovery rewrites (above).
    void this.o.arbiter.publish(entry);
  }
}
