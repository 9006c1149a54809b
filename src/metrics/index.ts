/** Prometheus metrics: the daemon's registry and the HTTP endpoint on control.metrics. */
export { SentinelMetrics, type ResourceMetricsState } from './registry.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './server.js';
