import { exitOnFatal } from './fatal';
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { createArtifactStore } from './artifacts';
import { correlationInterceptor } from './activities/correlation';
import { loadConfig, type Config } from './config';
import { logger } from './logger';
import { temporalAddress } from './temporal/address';
import { dataConverterFor } from './temporal/codec/data-converter';
import { connectionOptions } from './temporal/connection-options';
import { prepareNamespace } from './temporal/namespace-setup';
import { installRuntime } from './temporal/runtime';
import { lazyPool } from './reports/sources/pg-pool';
import { Registry } from 'prom-client';
import { jobTypeNames } from './jobs';
import { AttemptMetrics } from './metrics/attempt-metrics';
import { sdkMetricsAddress, startWorkerMetrics } from './metrics/worker-metrics';

export interface WorkerSetup {
  connection: NativeConnection;
  config: Config;
  /** Prebuilt bundle (tests build it once); otherwise the worker bundles `src/workflows` itself. */
  workflowBundle?: WorkflowBundle;
  /** Where the attempt series go; without it the worker keeps them in a registry nobody serves. */
  attemptMetrics?: AttemptMetrics;
}

/** How long after the grace time a shutting-down worker is forced down (deploy/k8s's grace period adds it). */
export const SHUTDOWN_FORCE_EXTRA_MS = 10_000;

export function workflowsPath(): string {
  return require.resolve('./workflows');
}

/** Bundled with the workflows (a prebuilt bundle must be built with them too). */
export function workflowInterceptorModules(): string[] {
  return [require.resolve('./workflows/interceptors')];
}

/** A Jobline worker: every job workflow and activity, on the configured task queue. */
export function createJoblineWorker({ connection, config, workflowBundle, attemptMetrics }: WorkerSetup): Promise<Worker> {
  const attempts = attemptMetrics ?? new AttemptMetrics(new Registry());
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: workflowsPath() }),
    activities: createActivities(activityDeps(config)),
    // Also the codec of the client activities get from their context (awaitJob reads other jobs' results).
    dataConverter: dataConverterFor(config.encryption),
    interceptors: {
      workflowModules: workflowInterceptorModules(),
      activity: [correlationInterceptor, attempts.interceptor(new Set(jobTypeNames()))],
    },
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    // The SDK's default of 0 would cancel in-flight attempts the moment a shutdown starts.
    shutdownGraceTime: config.worker.shutdownGraceMs,
    shutdownForceTime: config.worker.shutdownGraceMs + SHUTDOWN_FORCE_EXTRA_MS,
    // Crash recovery: a SIGKILLed worker's next workflow task waits this long on its sticky queue (SDK
    // default 10 s), and checkpoints reach the server this often (SDK: 0.8 × the heartbeat timeout).
    stickyQueueScheduleToStartTimeout: config.worker.stickyTimeoutMs,
    maxHeartbeatThrottleInterval: config.worker.maxHeartbeatThrottleMs,
  });
}

/** What the activities need, built from the configuration. */
export function activityDeps(config: Config): ActivityDeps {
  return {
    allowPrivateTargets: config.allowPrivateTargets,
    sourceDir: config.reports.sourceDir,
    checkpointIntervalMs: config.reports.checkpointIntervalMs,
    pgPool: lazyPool(config.reports.databaseUrl),
    tables: config.reports.tables,
    artifacts: createArtifactStore(config.artifacts),
  };
}

/** `npm run worker`: one worker process; run as many as you like against one server. */
async function main(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  installRuntime(logger, config.logLevel, { sdkMetricsAddress: await sdkMetricsAddress(config.worker.metrics) });
  const metrics = await startWorkerMetrics(config.worker.metrics, logger);
  const address = temporalAddress(config);
  const options = connectionOptions(config.temporal, address);
  const client = await Connection.connect(options);
  await prepareNamespace(client, config.temporal.namespace, logger).finally(() => client.close());
  const connection = await NativeConnection.connect(options);
  try {
    const worker = await createJoblineWorker({ connection, config, attemptMetrics: metrics.attempts });
    logger.info({ address, namespace: config.temporal.namespace, taskQueue: config.taskQueue }, 'worker started');
    await worker.run(); // returns after SIGINT/SIGTERM once in-flight tasks have drained
    logger.info('worker stopped');
  } finally {
    await metrics.server.close();
    await connection.close();
  }
}

if (require.main === module) {
  main().catch(exitOnFatal('worker'));
}
