import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { sentinelError, type SentinelError } from '../common/errors.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { RateLimitedLog } from '../common/rate-limited-log.js';
import { err, ok, type Result } from '../common/result.js';

/** A client has this long to send its whole request (headers and body) before it gets 408 and is closed. */
export const METRICS_REQUEST_TIMEOUT_MS = 10_000;
/** Request headers larger than this get 431 (a scrape sends a few hundred bytes). */
export const METRICS_MAX_HEADER_BYTES = 8 * 1024;
/** Connections beyond this many at once are closed at accept (a scraper needs one or two). */
export const METRICS_MAX_CONNECTIONS = 64;

/** At most one `metrics request refused` line per reason in this time; the next says how many it suppressed. */
export const REFUSED_LOG_INTERVAL_MS = 10_000;
const REFUSED = 'metrics request refused';

export interface MetricsServerOptions {
  /** Where to listen (config `control.metrics`, default 127.0.0.1:9943). Port 0 picks a free one (tests). */
  readonly listen: { readonly host: string; readonly port: number };
  readonly registry: Registry;
  readonly logger?: Logger;
  /** Default METRICS_REQUEST_TIMEOUT_MS; tests shorten it. */
  readonly requestTimeoutMs?: number;
  /** Times the refusal log's rate limit (default: the system clock). */
  readonly clock?: Clock;
}

export interface MetricsServer {
  /** The bound address (the real port when 0 was asked). */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The reason code logged for a request node:http could not parse or that took too long. */
function clientErrorReason(code: string | undefined): { status: number; reason: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'header-too-large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'request-timeout' };
    default:
      return { status: 400, reason: 'malformed-request' };
  }
}

/**
 * Serves `GET /metrics` in the Prometheus text format with node:http. Anything else: 404 (405 for other
 * methods on /metrics). Requests node:http cannot parse get 400, oversize headers 431, a client slower than
 * the request timeout 408; each is closed and logged with a reason code. Scrapes only read the registry;
 * they never reach into the loop.
 */
export async function startMetricsServer(
  options: MetricsServerOptions,
): Promise<Result<MetricsServer, SentinelError>> {
  const log = options.logger?.child({ module: 'metrics' });
  const clock = options.clock ?? systemClock;
  // Any local user can reach the endpoint: a client looping garbage must not flood the log.
  const refused = log === undefined ? undefined : new RateLimitedLog(log, REFUSED_LOG_INTERVAL_MS);
  const timeoutMs = options.requestTimeoutMs ?? METRICS_REQUEST_TIMEOUT_MS;
  const server: Server = createServer(
    {
      requestTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      maxHeaderSize: METRICS_MAX_HEADER_BYTES,
      // How often node:http looks for requests past their timeout (its default, 30 s, would let a slow
      // client hold a connection three times longer than the timeout says).
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(timeoutMs / 4))),
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') {
        refused?.warn('unknown-path', clock.nowMs(), { code: 'E_CONTROL', method: req.method }, REFUSED);
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        refused?.warn(
          'method-not-allowed',
          clock.nowMs(),
          { code: 'E_CONTROL', method: req.method },
          REFUSED,
        );
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
        return;
      }
      options.registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': options.registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (e: unknown) => {
          log?.error({ err: e, code: 'E_INTERNAL' }, 'metrics collection failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
        },
      );
    },
  );
  server.keepAliveTimeout = 5_000;
  server.maxConnections = METRICS_MAX_CONNECTIONS;
  server.on('clientError', (e: NodeJS.ErrnoException, socket: Socket) => {
    if (e.code === 'ECONNRESET' || e.code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, reason } = clientErrorReason(e.code);
    refused?.warn(reason, clock.nowMs(), { code: 'E_CONTROL', detail: e.code }, REFUSED);
    const body = `${STATUS_CODES[status] ?? 'error'}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
  });
  const { host, port } = options.listen;
  const listening = await new Promise<Result<void, SentinelError>>((resolve) => {
    server.once('error', (e) =>
      resolve(err(sentinelError('E_CONTROL', `cannot serve metrics on ${host}:${port}: ${e.message}`, e))),
    );
    server.listen(port, host, () => resolve(ok(undefined)));
  });
  if (!listening.ok) return listening;
  server.on('error', (e) => log?.error({ err: e, code: 'E_CONTROL' }, 'metrics server error'));
  const address = server.address() as AddressInfo;
  log?.info({ host: address.address, port: address.port }, 'metrics endpoint listening');
  return ok({
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
