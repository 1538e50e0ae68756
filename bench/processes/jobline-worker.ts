// First, as in src/worker.ts (which imports it too): with OTEL_EXPORTER_OTLP_ENDPOINT set the worker is traced.
import '../../src/tracing/register-worker';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { logger } from '../../src/logger';
import { connectionOptions } from '../../src/temporal/connection-options';
import { installRuntime } from '../../src/temporal/runtime';
import { temporalAddress } from '../../src/temporal/address';
import { createJoblineWorker } from '../../src/worker';
import { StartClock, failAndExit, runBenchWorker } from '../ipc';
import { activityClockPlugin, workerOverrides } from './activity-clock';

/** The Jobline worker as `npm run worker` builds it, plus the bench's activity clock. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  logger.level = config.logLevel;
  installRuntime(logger, config.logLevel);
  const clock = new StartClock();
  const connection = await NativeConnection.connect({
    ...connectionOptions(config.temporal, temporalAddress(config)),
    plugins: [activityClockPlugin(clock, workerOverrides())],
  });
  const worker = await createJoblineWorker({ connection, config });
  await runBenchWorker(worker, connection, clock);
}

main().catch(failAndExit);
