import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { logger } from '../../src/logger';
import { dataConverterFor } from '../../src/temporal/codec/data-converter';
import { connectionOptions } from '../../src/temporal/connection-options';
import { installRuntime } from '../../src/temporal/runtime';
import { temporalAddress } from '../../src/temporal/address';
import { StartClock, failAndExit, runBenchWorker } from '../ipc';
import { noop } from '../raw/activities';
import { activityClockPlugin, workerOverrides } from './activity-clock';

/** A bare worker: the raw workflow and one activity, with the same concurrency settings as Jobline's worker. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  logger.level = config.logLevel;
  installRuntime(logger, config.logLevel);
  const clock = new StartClock();
  const connection = await NativeConnection.connect({
    ...connectionOptions(config.temporal, temporalAddress(config)),
    plugins: [activityClockPlugin(clock, workerOverrides())],
  });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    workflowsPath: require.resolve('../raw/workflows'),
    activities: { noop },
    // The same payload codec as Jobline's worker when keys are set, so the ceiling pays the same cost.
    dataConverter: dataConverterFor(config.encryption),
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    shutdownGraceTime: config.worker.shutdownGraceMs,
    shutdownForceTime: config.worker.shutdownGraceMs + 10_000,
  });
  await runBenchWorker(worker, connection, clock);
}

main().catch(failAndExit);
