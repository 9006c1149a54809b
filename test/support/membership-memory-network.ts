import type { Clock } from '../../src/common/clock.js';
import { ok } from '../../src/common/result.js';
import type { LinkSocket, Transport } from '../../src/membership/transport.js';

type Deliver = (datagram: Buffer) => void;

/**
 * An in-memory datagram network on a (virtual) clock for membership tests: endpoints open links on
 * `address:port`, datagrams arrive after `latencyMs` unless a filter drops them. Deterministic.
 */
export class MemoryNetwork implements Transport {
  private readonly endpoints = new Map<string, Deliver>();
  /** Return false to drop a datagram sent from `from` to `to`. */
  filter: (from: string, to: string, datagram: Buffer) => boolean = () => true;
  /** Every datagram sent, for replay attacks in tests. */
  readonly sent: { from: string; to: string; datagram: Buffer }[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly latencyMs = 1,
  ) {}

  open: Transport['open'] = (_index, link, handlers) => {
    const self = `${link.localAddress}:${link.localPort}`;
    const to = `${link.peerAddress}:${link.peerPort}`;
    this.endpoints.set(self, handlers.onDatagram);
    const socket: LinkSocket = {
      send: (datagram) => {
        this.sent.push({ from: self, to, datagram });
        if (!this.filter(self, to, datagram)) return;
        this.clock.setTimer(this.latencyMs, () => this.endpoints.get(to)?.(datagram));
      },
      close: () => {
        this.endpoints.delete(self);
        return Promise.resolve();
      },
    };
    return Promise.resolve(ok(socket));
  };

  /** Delivers `datagram` to `to` now, as if it came from the network (attacks, replays). */
  inject(to: string, datagram: Buffer): void {
    this.endpoints.get(to)?.(datagram);
  }
}
