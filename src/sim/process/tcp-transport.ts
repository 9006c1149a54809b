/**
 * The peer link of a simulated node process over real TCP (JSON lines), so cutting a network
 * namespace's link cuts replication like it does for DRBD. The node with the smaller listen address
 * dials; the other accepts. While the node is powered off (crashed) nothing is read or sent.
 */
import net from 'node:net';
import type { LinkEndpointOwner } from '../link.js';
import type { PeerMessage, PeerTransport } from '../types.js';
import { LineSplitter } from '../../common/line-splitter.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `10.0.0.1:7788` -> host and port; null when malformed. */
export function parseHostPort(text: string): HostPort | null {
  const i = text.lastIndexOf(':');
  const port = Number(text.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return null;
  return { host: text.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

export class TcpTransport implements PeerTransport {
  private readonly sockets = new Map<number, net.Socket>();
  private nextSid = 1;
  private listening = false;
  private dialTimer: NodeJS.Timeout | null = null;
  private server: net.Server | null = null;
  owner: LinkEndpointOwner | null = null;

  constructor(
    private readonly listen: HostPort,
    private readonly peer: HostPort,
    private readonly connectIntMs: number,
  ) {}

  private get dials(): boolean {
    return `${this.listen.host}:${this.listen.port}` < `${this.peer.host}:${this.peer.port}`;
  }

  async start(): Promise<void> {
    const server = net.createServer((sock) => {
      if (!this.listening || !this.owner?.powered || this.dials) {
        sock.destroy();
        return;
      }
      this.adopt(sock);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listen.port, this.listen.host, () => resolve());
    });
  }

  stop(): void {
    this.setListening(false);
    for (const s of this.sockets.values()) s.destroy();
    this.sockets.clear();
    this.server?.close();
  }

  private adopt(sock: net.Socket): void {
    const sid = this.nextSid++;
    this.sockets.set(sid, sock);
    sock.setNoDelay(true);
    const lines = new LineSplitter();
    sock.on('data', (chunk) => {
      if (!this.owner?.powered) return; // a powered-off node reads nothing
      lines.push(chunk);
      for (let line = lines.next(); line !== null; line = lines.next()) {
        try {
          this.owner.onMessage(sid, JSON.parse(line) as PeerMessage);
        } catch {
          // A garbled line ends the session, as a protocol error would in DRBD.
          this.close(sid);
          return;
        }
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (this.sockets.delete(sid) && this.owner?.powered) this.owner.onSessionClosed(sid);
    });
    this.listening = false;
    this.owner?.onSessionUp(sid);
  }

  send(session: number, msg: PeerMessage): void {
    if (!this.owner?.powered) return;
    const s = this.sockets.get(session);
    if (s && !s.destroyed) s.write(`${JSON.stringify(msg)}\n`);
  }

  setListening(listening: boolean): void {
    this.listening = listening;
    if (this.dialTimer) clearTimeout(this.dialTimer);
    this.dialTimer = null;
    if (listening && this.dials) this.scheduleDial(1000);
  }

  private scheduleDial(ms: number): void {
    this.dialTimer = setTimeout(() => {
      this.dialTimer = null;
      if (!this.listening || !this.owner?.powered) return;
      const sock = net.connect(this.peer.port, this.peer.host);
      const timeout = setTimeout(() => sock.destroy(), this.connectIntMs);
      sock.once('connect', () => {
        clearTimeout(timeout);
        if (!this.listening) {
          sock.destroy();
          return;
        }
        this.adopt(sock);
      });
      sock.once('error', () => {
        clearTimeout(timeout);
        sock.destroy();
      });
      sock.once('close', () => {
        clearTimeout(timeout);
        if (this.listening && !this.dialTimer) this.scheduleDial(this.connectIntMs);
      });
    }, ms);
  }

  close(session: number): void {
    const s = this.sockets.get(session);
    if (!s) return;
    this.sockets.delete(session);
    s.end();
    setTimeout(() => s.destroy(), 1000).unref();
  }

  /** Power loss: sockets stay open on the wire but go silent (the peer notices by ping timeout). */
  forgetAll(): void {
    this.listening = false;
    if (this.dialTimer) clearTimeout(this.dialTimer);
    this.dialTimer = null;
  }

  /** Boot after a power loss: the old connections are gone (the peer sees them reset). */
  dropAll(): void {
    for (const s of this.sockets.values()) s.destroy();
    this.sockets.clear();
  }
}
