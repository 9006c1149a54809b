/**
 * The replication link between two in-process nodes on one clock: delivers messages in order after
 * a configurable delay, can be cut (segments wait, like TCP retransmits, until restored) and
 * restored. Connection attempts follow DRBD's connect-int while both sides wait for a connection.
 */
import type { Clock } from '../common/clock.js';
import type { PeerMessage, PeerTransport } from './types.js';

/** What the link needs from a node. */
export interface LinkEndpointOwner {
  onSessionUp(sid: number): void;
  onSessionClosed(sid: number): void;
  onMessage(sid: number, msg: PeerMessage): void;
  readonly powered: boolean;
}

type Segment = { readonly kind: 'msg'; readonly msg: PeerMessage } | { readonly kind: 'fin' };

class Endpoint implements PeerTransport {
  owner: LinkEndpointOwner | null = null;
  listening = false;
  /** Sessions open on this side. Global session ids are shared by both sides of one connection. */
  readonly open = new Set<number>();
  private attemptCancel: (() => void) | null = null;

  constructor(
    private readonly link: InProcessLink,
    readonly index: 0 | 1,
  ) {}

  send(session: number, msg: PeerMessage): void {
    if (!this.open.has(session)) return;
    this.link.transmit(this.index, session, { kind: 'msg', msg });
  }

  setListening(listening: boolean): void {
    this.listening = listening;
    if (listening) this.scheduleAttempt(true);
    else {
      this.attemptCancel?.();
      this.attemptCancel = null;
    }
  }

  close(session: number): void {
    const wasOpen = this.open.delete(session);
    if (wasOpen || session > 0) this.link.transmit(this.index, session, { kind: 'fin' });
  }

  scheduleAttempt(soon: boolean): void {
    this.attemptCancel?.();
    const delay = soon ? this.link.firstAttemptMs : this.link.connectIntMs;
    this.attemptCancel = this.link.clock.setTimer(delay, () => {
      this.attemptCancel = null;
      if (!this.listening) return;
      if (!this.link.tryConnect()) this.scheduleAttempt(false);
    });
  }
}

/** A cuttable, delayable link between node 0 and node 1. */
export class InProcessLink {
  readonly endpoints: readonly [Endpoint, Endpoint];
  private up = true;
  private delayMs: number;
  private nextSession = 1;
  private lastDeliverAt: [number, number] = [0, 0];
  private held: { from: 0 | 1; session: number; seg: Segment }[] = [];

  constructor(
    readonly clock: Clock,
    options: { delayMs?: number; connectIntMs?: number; firstAttemptMs?: number } = {},
  ) {
    this.delayMs = options.delayMs ?? 1;
    this.connectIntMs = options.connectIntMs ?? 2000;
    this.firstAttemptMs = options.firstAttemptMs ?? 1000;
    this.endpoints = [new Endpoint(this, 0), new Endpoint(this, 1)];
  }

  readonly connectIntMs: number;
  readonly firstAttemptMs: number;

  attach(index: 0 | 1, owner: LinkEndpointOwner): PeerTransport {
    const ep = this.endpoints[index];
    ep.owner = owner;
    return ep;
  }

  isUp(): boolean {
    return this.up;
  }

  /** Cuts the link: nothing passes; segments in flight wait (TCP retransmission) until restore. */
  cut(): void {
    this.up = false;
  }

  restore(): void {
    if (this.up) return;
    this.up = true;
    const held = this.held;
    this.held = [];
    for (const h of held) this.transmit(h.from, h.session, h.seg);
  }

  setDelay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Both ends listening and the link up: open a session on both sides. */
  tryConnect(): boolean {
    const [a, b] = this.endpoints;
    if (!this.up || !a.listening || !b.listening || !a.owner?.powered || !b.owner?.powered) return false;
    const sid = this.nextSession++;
    a.open.add(sid);
    b.open.add(sid);
    a.listening = false;
    b.listening = false;
    // Deliver "connected" after one link delay to each side, in index order (deterministic).
    this.clock.setTimer(this.delayMs, () => {
      if (a.open.has(sid)) a.owner?.onSessionUp(sid);
      if (b.open.has(sid)) b.owner?.onSessionUp(sid);
    });
    return true;
  }

  transmit(from: 0 | 1, session: number, seg: Segment): void {
    if (!this.up) {
      this.held.push({ from, session, seg });
      return;
    }
    const to = from === 0 ? 1 : 0;
    const at = Math.max(this.clock.nowMs() + this.delayMs, this.lastDeliverAt[from]);
    this.lastDeliverAt[from] = at;
    this.clock.setTimer(at - this.clock.nowMs(), () => this.deliver(to, session, seg));
  }

  private deliver(to: 0 | 1, session: number, seg: Segment): void {
    const ep = this.endpoints[to];
    const owner = ep.owner;
    if (!owner || !owner.powered) return; // a powered-off node drops everything silently
    if (!ep.open.has(session)) {
      // Unknown session: a RST back, unless this was itself a FIN.
      if (seg.kind === 'msg') this.transmit(to, session, { kind: 'fin' });
      return;
    }
    if (seg.kind === 'fin') {
      ep.open.delete(session);
      owner.onSessionClosed(session);
      return;
    }
    owner.onMessage(session, seg.msg);
  }

  /** A node lost power: its side of every session vanishes without a FIN. */
  forget(index: 0 | 1): void {
    this.endpoints[index].open.clear();
    this.endpoints[index].listening = false;
  }
}
