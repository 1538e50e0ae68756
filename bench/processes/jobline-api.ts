// First, as in src/api/main.ts: with OTEL_EXPORTER_OTLP_ENDPOINT set the API is traced as in production.
import '../../src/tracing/register-api';
import { Connection } from '@temporalio/client';
import { appOptionsFrom, createApp } from '../../src/api/app';
import { listen } from '../../src/api/server';
import { loadConfig } from '../../src/config';
import { logger } from '../../src/logger';
import { createJoblineClient } from '../../src/temporal/client';
import { connectionOptions } from '../../src/temporal/connection-options';
import { temporalAddress } from '../../src/temporal/address';
import { failAndExit, send, serveBench } from '../ipc';

/** The Jobline API as `npm run api` builds it, on a port the OS picks. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  logger.level = config.logLevel;
  const connection = await Connection.connect(connectionOptions(config.temporal, temporalAddress(config)));
  const client = createJoblineClient(connection, config);
  const app = createApp(appOptionsFrom(config, client));
  const server = await listen(app, config.api.host, config.api.port);
  serveBench(undefined, async () => {
    await server.close();
    await connection.close();
  });
  send({ type: 'ready', url: server.url });
}

main().catch(failAndExit);
