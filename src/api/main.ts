import { exitOnFatal } from '../fatal';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { logger } from '../logger';
import { connectionOptions } from '../temporal/connection-options';
import { temporalAddress } from '../temporal/address';
import { appOptionsFrom, createApp } from './app';
import { listen } from './server';
import { apiConnectionInterceptors } from './temporal-retries';
import { followSupervisor, tellSupervisor } from '../pools/supervisor-ipc';

/** `npm run api`: the HTTP API alone, against TEMPORAL_ADDRESS or the server `npm start` runs. */
async function main(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  const address = temporalAddress(config);
  const connection = await Connection.connect({
    ...connectionOptions(config.temporal, address),
    interceptors: apiConnectionInterceptors(),
  });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const app = createApp(appOptionsFrom(config, client));
  const server = await listen(app, config.api.host, config.api.port);
  logger.info({ url: server.url, temporal: address }, 'api listening');
  tellSupervisor({ type: 'ready', url: server.url });
  // Once, whichever signal comes first (a terminal's SIGINT and a supervisor's SIGTERM may both arrive).
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('api stopping');
      await server.close();
      await connection.close();
    })());
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

followSupervisor();
main().catch(exitOnFatal('api'));
