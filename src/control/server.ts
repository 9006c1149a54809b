import { chmodSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { sentinelError, type SentinelError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { err, ok, type Result } from '../common/result.js';
import {
  CONTROL_PROTOCOL_VERSION,
  formatResponseLine,
  MAX_REQUEST_BYTES,
  type ControlErrorBody,
  type ControlOp,
  type ControlRequest,
  type ControlResponse,
  type ControlResults,
  type RequestId,
  type RequestOf,
} from './protocol.js';
import { LineSplitter } from '../common/line-splitter.js';
import { parseRequestLine } from './request-schema.js';

/** What a handler answers: the operation's result, or a coded refusal shown to the operator. */
export type HandlerOutcome<T> = Result<T, ControlErrorBody>;

/**
 * The port the daemon supplies: one function per operation. Handlers may be slow (a switchover runs to its
 * end before answering); requests on one connection are answered in order, but requests on different
 * connections run concurrently, so handlers hand intents to the serialized loop rather than act themselves
 * (SAFETY.md "One decision at a time"). A throwing handler is a bug: the client gets E_INTERNAL and the
 * server keeps running.
 */
export type ControlHandlers = {
  readonly [K in ControlOp]: (
    request: RequestOf<K>,
  ) => Promise<HandlerOutcome<ControlResults[K]>> | HandlerOutcome<ControlResults[K]>;
};

export interface ControlServerOptions {
  /** Socket path (config `control.socket`). Its directory is created with mode 0700 when missing. */
  readonly path: string;
  readonly handlers: ControlHandlers;
  readonly logger?: Logger;
  /** Request lines longer than this are refused and the connection closed; default MAX_REQUEST_BYTES. */
  readonly maxRequestBytes?: number;
  /** Connections idle (no request pending) for this long are closed; default 60 s. */
  readonly idleTimeoutMs?: number;
  /**
   * Time a client has to complete a request line, from connect and from the first byte of each later line;
   * default REQUEST_TIMEOUT_MS. Tests shorten it.
   */
  readonly requestTimeoutMs?: number;
}

export interface ControlServer {
  readonly path: string;
  /** Stops listening, closes connections and removes the socket file. */
  close(): Promise<void>;
}

/** Default time a client has from connect (or from the first byte of a line) to its newline. */
export const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Pending connections the kernel queues before connect() fails with EAGAIN (capped by
 * net.core.somaxconn, 4096 on current kernels); the client also retries EAGAIN briefly.
 */
export const CONTROL_LISTEN_BACKLOG = 4096;

/**
 * Answers one request with the daemon's handler (exported for in-process use and tests). Never throws.
 */
export async function handleControlRequest(
  handlers: ControlHandlers,
  request: ControlRequest,
  requestId: RequestId,
): Promise<ControlResponse> {
  const base = { v: CONTROL_PROTOCOL_VERSION, id: requestId };
  try {
    // The mapped type guarantees handlers[op] accepts the request of that op; TypeScript cannot correlate them.
    const handler = handlers[request.op] as (
      r: ControlRequest,
    ) => Promise<HandlerOutcome<unknown>> | HandlerOutcome<unknown>;
    const outcome = await handler(request);
    return outcome.ok
      ? { ...base, ok: true, result: outcome.value }
      : { ...base, ok: false, error: outcome.error };
  } catch (e) {
    return {
      ...base,
      ok: false,
      error: { code: 'E_INTERNAL', message: `handler failed: ${e instanceof Error ? e.message : String(e)}` },
    };
  }
}

/** Probes a socket path: 'listening' when a server accepts, 'stale' when nobody does. */
function probe(path: string): Promise<'listening' | 'stale'> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve('listening');
    });
    s.once('error', () => resolve('stale'));
  });
}

/**
 * Starts the control socket server. The socket gets mode 0600 (root only when the daemon runs as root); a
 * socket file left by a crashed daemon is removed, but only after a connect proves nobody listens (a second
 * daemon must not steal the first one's socket). A path that exists and is not a socket is never removed.
 */
export async function startControlServer(
  options: ControlServerOptions,
): Promise<Result<ControlServer, SentinelError>> {
  const { path, handlers } = options;
  const log = options.logger?.child({ module: 'control' });
  const maxBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;

  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (e) {
    return err(
      sentinelError('E_CONTROL', `cannot create the directory of ${path}: ${(e as Error).message}`, e),
    );
  }
  try {
    const parent = statSync(dirname(path));
    // SAFETY: "Unknown is never dead". Whoever may write the socket's directory can replace the socket and
    // answer the DRBD fence-peer handler "peer outdated" in the daemon's place; a sticky directory (/tmp) only
    // lets owners remove their own files.
    if ((parent.mode & 0o022) !== 0 && (parent.mode & 0o1000) === 0)
      return err(
        sentinelError(
          'E_CONTROL',
          `the directory of ${path} is writable by group or others (mode ${(parent.mode & 0o7777).toString(8)}): anyone could replace the control socket; chmod go-w ${dirname(path)}`,
        ),
      );
  } catch (e) {
    return err(
      sentinelError('E_CONTROL', `cannot stat the directory of ${path}: ${(e as Error).message}`, e),
    );
  }
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined;
  }
  if (existing !== undefined) {
    if (!existing.isSocket())
      return err(sentinelError('E_CONTROL', `${path} exists and is not a socket; not touching it`));
    if ((await probe(path)) === 'listening')
      return err(
        sentinelError(
          'E_CONTROL',
          `another process is listening on ${path} (is drbd-sentinel already running?)`,
        ),
      );
    try {
      unlinkSync(path);
      log?.info({ path }, 'removed stale control socket');
    } catch (e) {
      return err(
        sentinelError('E_CONTROL', `cannot remove stale socket ${path}: ${(e as Error).message}`, e),
      );
    }
  }

  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const connections = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => {}); // a client that goes away mid-answer is not our failure
    socket.setTimeout(options.idleTimeoutMs ?? 60_000, () => {
      if (pending === 0) socket.destroy();
    });
    const lines = new LineSplitter();
    let chain: Promise<void> = Promise.resolve();
    let pending = 0;
    let closing = false;
    const reply = (response: ControlResponse) => {
      if (!socket.destroyed) socket.write(formatResponseLine(response));
    };
    /** Answers with an error, logs why, and hangs up once the answers already due are sent. */
    const refuse = (reason: 'request-too-large' | 'request-timeout', message: string) => {
      if (closing) return;
      closing = true;
      clearTimeout(lineTimer);
      log?.warn({ code: 'E_CONTROL', reason }, `control request refused: ${message}`);
      lines.clear();
      socket.pause();
      void chain.then(() => {
        reply({ v: CONTROL_PROTOCOL_VERSION, id: null, ok: false, error: { code: 'E_CONTROL', message } });
        socket.end();
      });
    };
    // SAFETY: none; resource bound. A client that never completes its line (slow loris, a stuck script)
    // would hold a connection forever: from connect, and from the first byte of each later line, it has
    // requestTimeoutMs to send the newline.
    let lineTimer: NodeJS.Timeout | undefined;
    const armLineTimer = () => {
      clearTimeout(lineTimer);
      lineTimer = setTimeout(
        () => refuse('request-timeout', `request line not completed within ${requestTimeoutMs}ms`),
        requestTimeoutMs,
      );
      lineTimer.unref();
    };
    armLineTimer();
    socket.on('close', () => clearTimeout(lineTimer));
    socket.on('data', (chunk: Buffer) => {
      if (closing) return;
      if (lines.bufferedBytes === 0 && lineTimer === undefined) armLineTimer();
      lines.push(chunk);
      for (;;) {
        const bytes = lines.nextLineBytes();
        if (bytes === null) break;
        if (bytes > maxBytes) return refuse('request-too-large', `request longer than ${maxBytes} bytes`);
        const line = (lines.next() ?? '').trim();
        clearTimeout(lineTimer);
        lineTimer = undefined;
        if (lines.bufferedBytes > 0) armLineTimer();
        if (line.length === 0) continue;
        const parsed = parseRequestLine(line);
        pending++;
        chain = chain.then(async () => {
          if (!parsed.ok) {
            log?.warn(
              { code: 'E_CONTROL', reason: 'malformed-request', detail: parsed.error.error.message },
              'malformed control request',
            );
            reply({ v: CONTROL_PROTOCOL_VERSION, id: parsed.error.id, ok: false, error: parsed.error.error });
          } else {
            // Operator actions are worth the log; status polls (monitoring, the CLI) would flood it.
            if (parsed.value.request.op === 'status') log?.debug({ op: 'status' }, 'control request');
            else log?.info({ op: parsed.value.request.op }, 'control request');
            reply(await handleControlRequest(handlers, parsed.value.request, parsed.value.id));
          }
          pending--;
        });
      }
      // SAFETY: none; resource bound. An endless line would grow memory without limit: answer and hang up.
      if (lines.bufferedBytes > maxBytes)
        refuse('request-too-large', `request longer than ${maxBytes} bytes`);
    });
  });

  const listening = await new Promise<Result<void, SentinelError>>((resolve) => {
    server.once('error', (e) =>
      resolve(err(sentinelError('E_CONTROL', `cannot listen on ${path}: ${e.message}`, e))),
    );
    // Node binds a unix socket synchronously inside listen(): a restrictive umask around the call creates the
    // file 0600 from the start, so there is no window in which another user could connect before the chmod.
    let previousUmask: number | null = null;
    try {
      previousUmask = process.umask(0o177);
    } catch {
      // process.umask is unavailable in worker threads; the chmod below still applies
    }
    try {
      server.listen({ path, backlog: CONTROL_LISTEN_BACKLOG }, () => resolve(ok(undefined)));
    } finally {
      if (previousUmask !== null) process.umask(previousUmask);
    }
  });
  if (!listening.ok) return listening;
  server.on('error', (e) => log?.error({ err: e, code: 'E_CONTROL' }, 'control socket error'));
  try {
    chmodSync(path, 0o600);
  } catch (e) {
    server.close();
    return err(sentinelError('E_CONTROL', `cannot set mode 0600 on ${path}: ${(e as Error).message}`, e));
  }
  log?.info({ path }, 'control socket listening');

  return ok({
    path,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.destroy();
        // net.Server.close() unlinks the unix socket file itself.
        server.close(() => resolve());
      }),
  });
}
