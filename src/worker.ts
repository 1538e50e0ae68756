import './tracing/register-worker';
import { exitOnFatal } from './fatal';
import { followSupervisor, tellSupervisor } from './pools/supervisor-ipc';
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
import { activeTracing } from './tracing/provider';
import { tracingActivityInterceptors, tracingSinks, tracingWorkflowModules } from './tracing/temporal';
import { classTaskQueue, DEFAULT_RESOURCE_CLASS, type ResourceClass } from './jobs/resource-classes';
import { valueFor } from './pools/per-class';
import { WorkerPool } from './pools/worker-pool';
import { workerClassesFromArgs } from './pools/worker-args';

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
  return [require.resolve('./workflows/interceptors'), ...tracingWorkflowModules()];
}

/**
 * A Jobline worker: one Temporal Worker per resource class it serves (config.worker.classes, all by
 * default). The `default` class's Worker also runs every workflow on the main queue; the others run only
 * the activities of their class's queue, each with its own slots, so one class cannot take another's.
 */
export async function createJoblineWorker(setup: WorkerSetup): Promise<WorkerPool> {
  const attempts = setup.attemptMetrics ?? new AttemptMetrics(new Registry());
  const activities = createActivities(activityDeps(setup.config));
  const workers = await Promise.all(
    setup.config.worker.classes.map(async (resourceClass) => {
      const taskQueue = classTaskQueue(setup.config.taskQueue, resourceClass);
      return { resourceClass, taskQueue, worker: await createClassWorker(setup, resourceClass, taskQueue, activities, attempts) };
    }),
  );
  return new WorkerPool(workers);
}

function createClassWorker(
  { connection, config, workflowBundle }: WorkerSetup,
  resourceClass: ResourceClass,
  taskQueue: string,
  activities: ReturnType<typeof createActivities>,
  attempts: AttemptMetrics,
): Promise<Worker> {
  const runsWorkflows = resourceClass === DEFAULT_RESOURCE_CLASS;
  const queueRate = valueFor(config.worker.queueRateLimit, resourceClass);
  // The workflow span sink belongs to the Worker that runs the workflows.
  const sinks = runsWorkflows ? tracingSinks() : undefined;
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    // Without workflows a Worker polls only activity tasks.
    ...(runsWorkflows ? (workflowBundle ? { workflowBundle } : { workflowsPath: workflowsPath() }) : {}),
    activities,
    // Also the codec of the client activities get from their context (awaitJob reads other jobs' results).
    dataConverter: dataConverterFor(config.encryption),
    interceptors: {
      workflowModules: workflowInterceptorModules(),
      // Tracing first, so that the RunActivity span is active around the others.
      activity: [
        ...tracingActivityInterceptors(),
        correlationInterceptor,
        ...(config.worker.metrics.enabled ? [attempts.interceptor(new Set(jobTypeNames()))] : []),
      ],
    },
    ...(sinks ? { sinks } : {}),
    maxConcurrentActivityTaskExecutions: valueFor(config.worker.slots, resourceClass) ?? config.worker.maxConcurrentActivities,
    ...(runsWorkflows ? { maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks } : {}),
    // Server-side, for the whole queue whatever the number of workers (the last poller's value wins).
    ...(queueRate !== undefined ? { maxTaskQueueActivitiesPerSecond: queueRate } : {}),
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
    webhooks: config.webhooks,
  };
}

/** `npm run worker [-- --queues reports,io]`: one worker process; run as many as you like against one server. */
async function main(): Promise<void> {
  const config = loadConfig();
  config.worker.classes = workerClassesFromArgs(process.argv.slice(2)) ?? config.worker.classes;
  logger.level = config.logLevel;
  const metricsOn = config.worker.metrics.enabled;
  installRuntime(logger, config.logLevel, metricsOn ? { sdkMetricsAddress: await sdkMetricsAddress(config.worker.metrics) } : {});
  const metrics = metricsOn ? await startWorkerMetrics(config.worker.metrics, logger) : undefined;
  const address = temporalAddress(config);
  const options = connectionOptions(config.temporal, address);
  const client = await Connection.connect(options);
  await prepareNamespace(client, config.temporal.namespace, logger).finally(() => client.close());
  const connection = await NativeConnection.connect(options);
  try {
    const worker = await createJoblineWorker({ connection, config, attemptMetrics: metrics?.attempts });
    const queues = worker.workers.map(({ resourceClass, taskQueue }) => ({ resourceClass, taskQueue }));
    logger.info({ address, namespace: config.temporal.namespace, taskQueue: config.taskQueue, queues }, 'worker started');
    tellSupervisor({ type: 'ready' });
    await worker.run(); // returns after SIGINT/SIGTERM once in-flight tasks have drained
    logger.info('worker stopped');
  } finally {
    await metrics?.server.close();
    await connection.close();
    await activeTracing()?.shutdown(); // the last spans
  }
}

if (require.main === module) {
  followSupervisor();
  main().catch(exitOnFatal('worker'));
}
