import type { Logger } from '../logger';
import { freePort } from '../temporal/free-port';
import { AttemptMetrics } from './attempt-metrics';
import { createRegistry, serveMetrics, type MetricsServer } from './registry';

export interface WorkerMetricsPorts {
  host: string;
  /** Jobline's own worker series (prom-client); 0 = a free port. */
  port: number;
  /** The Temporal SDK's series and the workflows' (Core's Prometheus exporter); 0 = a free port. */
  sdkPort: number;
}

/**
 * The address Core's Prometheus exporter binds: chosen before the Runtime is installed, as it must be.
 * Core takes an address, not a listening socket, hence a probed free port for `0`.
 */
export async function sdkMetricsAddress(ports: WorkerMetricsPorts): Promise<string> {
  const port = ports.sdkPort === 0 ? await freePort(ports.host) : ports.sdkPort;
  return `${ports.host.includes(':') ? `[${ports.host}]` : ports.host}:${port}`;
}

/** A worker process's metrics: the attempt series and process basics, served on their own port. */
export async function startWorkerMetrics(
  ports: WorkerMetricsPorts,
  logger: Logger,
): Promise<{ attempts: AttemptMetrics; server: MetricsServer }> {
  const registry = createRegistry();
  const attempts = new AttemptMetrics(registry);
  const server = await serveMetrics(registry, ports.host, ports.port);
  logger.info({ url: server.url }, 'worker metrics listening');
  return { attempts, server };
}
