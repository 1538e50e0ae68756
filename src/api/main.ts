import '../tracing/register-api';
import { exitOnFatal } from '../fatal';
import { Connection } from '@temporalio/client';
import { logAuthSetup, setUpAuth } from '../auth/auth-setup';
import { loadConfig } from '../config';
import { logger } from '../logger';
import { createJoblineClient } from '../temporal/client';
import { connectionOptions } from '../temporal/connection-options';
import { temporalAddress } from '../temporal/address';
import { appOptionsFrom, createApp } from './app';
import { listen } from './server';
import { activeTracing } from '../tracing/provider';
import { apiConnectionInterceptors } from './temporal-retries';
import { followSupervisor, tellSupervisor } from '../pools/supervisor-ipc';

/** `npm run api`: the HTTP API alone, against TEMPORAL_ADDRESS or the server `npm start` runs. */
async function main(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  const auth = setUpAuth(config, logger);
  logAuthSetup(logger, auth);
  const address = temporalAddress(config);
  const connection = await Connection.connect({
    ...connectionOptions(config.temporal, address),
    interceptors: apiConnectionInterceptors(),
  });
  const client = createJoblineClient(connection, config);
  const app = createApp(appOptionsFrom(config, client, auth));
  const server = await listen(app, config.api.host, config.api.port);
  logger.info({ url: server.url, temporal: address, auth: auth.mode }, 'api listening');
  tellSupervisor({ type: 'ready', url: server.url });
  // Once, whichever signal comes first (a terminal's SIGINT and a supervisor's SIGTERM may both arrive).
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('api stopping');
      await server.close();
      await auth.close();
      await connection.close();
      await activeTracing()?.shutdown(); // the last spans
    })());
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

followSupervisor();
main().catch(exitOnFatal('api'));
