import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { err, type Result } from '../common/result.js';
import {
  formatRequestLine,
  MAX_RESPONSE_BYTES,
  parseResponseLine,
  type ControlOp,
  type ControlResults,
  type RequestOf,
} from './protocol.js';
import { LineSplitter } from '../common/line-splitter.js';

/** Why a control request did not produce a result. */
export type ControlClientError =
  /** No socket file, or nobody listens on it: the daemon is not running. */
  | { readonly kind: 'not-running'; readonly message: string }
  /** The socket exists but we may not connect (it is mode 0600, root only). */
  | { readonly kind: 'permission'; readonly message: string }
  | { readonly kind: 'timeout'; readonly message: string }
  /** The daemon answered something that is not a valid response. */
  | { readonly kind: 'protocol'; readonly message: string }
  /** The daemon answered with an error (refusal or bad request); `code` is its reason code. */
  | { readonly kind: 'remote'; readonly code: string; readonly message: string };

export interface ControlClientOptions {
  /** Give up after this long (ms); a switchover needs minutes. Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * Sends one request to the daemon's control socket and waits for its answer. Never throws. The result is
 * trusted as the daemon's (same host, root-only socket), not re-validated.
 */
export function controlRequest<K extends ControlOp>(
  socketPath: string,
  request: RequestOf<K>,
  options: ControlClientOptions = {},
): Promise<Result<ControlResults[K], ControlClientError>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const requestId = randomUUID();
  return new Promise((resolve) => {
    let settled = false;
    const lines = new LineSplitter();
    let socket = connect(socketPath);
    let connected = false;
    let retryDelayMs = 5;
    const finish = (r: Result<ControlResults[K], ControlClientError>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish(err({ kind: 'timeout', message: `no answer from the daemon within ${timeoutMs}ms` })),
      timeoutMs,
    );
    const attach = () => {
      socket.on('connect', onConnect);
      socket.on('error', onError);
      socket.on('data', onData);
      socket.on('close', onClose);
    };
    const onConnect = () => {
      connected = true;
      socket.write(formatRequestLine(request, requestId));
    };
    const onError = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EAGAIN' && !connected && !settled) {
        // The daemon's listen backlog is full (a burst of clients): it is running, try again shortly.
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.destroy();
        setTimeout(() => {
          if (settled) return;
          socket = connect(socketPath);
          attach();
        }, retryDelayMs).unref();
        retryDelayMs = Math.min(retryDelayMs * 2, 200);
        return;
      }
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')
        finish(
          err({
            kind: 'not-running',
            message: `the daemon is not running (nothing listens on ${socketPath})`,
          }),
        );
      else if (e.code === 'EACCES' || e.code === 'EPERM')
        finish(err({ kind: 'permission', message: `permission denied on ${socketPath} (run as root)` }));
      else
        finish(
          err({ kind: 'not-running', message: `cannot reach the daemon on ${socketPath}: ${e.message}` }),
        );
    };
    const onData = (chunk: Buffer) => {
      lines.push(chunk);
      const line = lines.next();
      if (line === null) {
        if (lines.bufferedBytes > MAX_RESPONSE_BYTES)
          finish(err({ kind: 'protocol', message: 'response too large' }));
        return;
      }
      const parsed = parseResponseLine(line);
      if (!parsed.ok) return finish(err({ kind: 'protocol', message: parsed.error }));
      const response = parsed.value;
      if (response.id !== requestId && response.id !== null)
        return finish(err({ kind: 'protocol', message: 'response id does not match the request' }));
      if (!response.ok)
        return finish(err({ kind: 'remote', code: response.error.code, message: response.error.message }));
      finish({ ok: true, value: response.result as ControlResults[K] });
    };
    const onClose = () =>
      finish(err({ kind: 'protocol', message: 'the daemon closed the connection without answering' }));
    attach();
  });
}
