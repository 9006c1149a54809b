import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { sentinelError, type SentinelError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { err, ok, type Result } from '../common/result.js';

export interface MetricsServerOptions {
  /** Where to listen (config `control.metrics`, default 127.0.0.1:9943). Port 0 picks a free one (tests). */
  readonly listen: { readonly host: string; readonly port: number };
  readonly registry: Registry;
  readonly logger?: Logger;
}

export interface MetricsServer {
  /** The bound address (the real port when 0 was asked). */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` in the Prometheus text format with node:http. Anything else: 404 (405 for other
 * methods on /metrics). Scrapes only read the registry; they never reach into the loop.
 */
export async function startMetricsServer(
  options: MetricsServerOptions,
): Promise<Result<MetricsServer, SentinelError>> {
  const log = options.logger?.child({ module: 'metrics' });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
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
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  const { host, port } = options.listen;
  const listening = await new Promise<Result<void, SentinelError>>((resolve) => {
    server.once('error', (e) =>
      resolve(err(sentinelError('E_CONTROL', `cannot serve metrics on ${host}:${port}: ${e.message}`, e))),
    );
    server.listen(port, host, () => resolve(ok(undefined)));
  });
  if (!listening.ok) return listening;
  server.on('error', (e) => log?.error({ err: e }, 'metrics server error'));
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
