import { exitOnFatal } from '../fatal';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { logger } from '../logger';
import { TaskQueueStats } from '../metrics/task-queue-stats';
import { serveMetrics } from '../metrics/registry';
import { temporalAddress } from '../temporal/address';
import { connectionOptions } from '../temporal/connection-options';
import { createJoblineClient } from '../temporal/client';
import { Autoscaler } from './autoscaler';
import { AutoscalerMetrics } from './metrics';
import { autoscalerOptions, USAGE } from './options';
import { WorkerPool } from './worker-pool';

/** `npm run autoscale`: supervises worker processes per class, between min and max, on the backlog. */
async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  logger.level = config.logLevel;
  const options = autoscalerOptions(process.argv.slice(2), config);
  const address = temporalAddress(config);
  const connection = await Connection.connect(connectionOptions(config.temporal, address));
  const client = createJoblineClient(connection, config);
  // The server caches its stats for ~5 s; asking more often than every interval would buy nothing.
  const stats = new TaskQueueStats(client, config.temporal.namespace, Math.max(500, options.intervalMs - 100));
  const metrics = new AutoscalerMetrics(options.classes.map((c) => c.name));
  // Several workers on one host: each takes free metrics ports (their URLs are in their logs).
  const workerEnv = { ...process.env, JOBLINE_WORKER_METRICS_PORT: '0', JOBLINE_WORKER_SDK_METRICS_PORT: '0' };
  const pools = new Map(
    options.classes.map((spec) => [
      spec.name,
      new WorkerPool({ workerClass: spec.name, env: workerEnv, logger, onRestart: () => metrics.restarted(spec.name) }),
    ]),
  );
  const server = await serveMetrics(metrics.registry, options.metricsHost, options.metricsPort);
  const autoscaler = new Autoscaler({ options, mainQueue: config.taskQueue, stats, pools, metrics, logger });
  logger.info(
    { address, taskQueue: config.taskQueue, classes: options.classes, tuning: options.tuning, metrics: server.url },
    'autoscaler started',
  );
  autoscaler.start();
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  logger.info('autoscaler stopping: draining every worker');
  await autoscaler.stop();
  await server.close();
  await connection.close();
  logger.info('autoscaler stopped');
}

main().catch(exitOnFatal('autoscaler'));
