import type { Result } from '../common/result.js';
import type { SentinelError } from '../common/errors.js';

/** One heartbeat link: this node's address of it, and the peer's address of the same link. */
export interface LinkSpec {
  readonly localAddress: string;
  /** Port to bind locally (in production `heartbeat.port`; tests use distinct ports per endpoint). */
  readonly localPort: number;
  readonly peerAddress: string;
  /** Port the peer listens on (in production `heartbeat.port`; in tests, maybe a fault relay's). */
  readonly peerPort: number;
}

/** An open link: sends datagrams to the peer's address of the link. */
export interface LinkSocket {
  /** Sends one datagram; errors are reported through `onSendError`, never thrown. */
  send(datagram: Buffer): void;
  close(): Promise<void>;
}

/** How the endpoint talks to the network; the UDP one in production, an in-memory one in tests. */
export interface Transport {
  open(
    index: number,
    link: LinkSpec,
    handlers: {
      readonly onDatagram: (datagram: Buffer) => void;
      readonly onSendError: (error: unknown) => void;
    },
  ): Promise<Result<LinkSocket, SentinelError>>;
}
