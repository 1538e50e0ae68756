import './tracing/register-all';
import { exitOnFatal } from './fatal';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { appOptionsFrom, createApp } from './api/app';
import { logAuthSetup, setUpAuth, type AuthSetup } from './auth/auth-setup';
import { listen } from './api/server';
import { loadConfig, type Config } from './config';
import { logger } from './logger';
import { createJoblineClient } from './temporal/client';
import { connectionOptions } from './temporal/connection-options';
import { superviseDevServer, type DevServer } from './temporal/dev-server';
import { apiUrlOf, embeddedServerOptions } from './temporal/embedded-server';
import { freePort } from './temporal/free-port';
import { prepareNamespace } from './temporal/namespace-setup';
import { installRuntime } from './temporal/runtime';
import { createJoblineWorker } from './worker';
import { sdkMetricsAddress, startWorkerMetrics } from './metrics/worker-metrics';
import { activeTracing } from './tracing/provider';

/**
 * `npm start`: the whole of Jobline in one process. Without TEMPORAL_ADDRESS it first starts the embedded
 * Temporal dev server (persisting to data/temporal.db). Ctrl-C drains the worker, then stops the API and
 * the server, in that order.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  const metricsOn = config.worker.metrics.enabled;
  const sdkMetrics = metricsOn ? await sdkMetricsAddress(config.worker.metrics) : undefined;
  installRuntime(logger, config.logLevel, { sdkMetricsAddress: sdkMetrics });
  const workerMetrics = metricsOn ? await startWorkerMetrics(config.worker.metrics, logger) : undefined;
  // Before the server starts: no keys off loopback is refused at once.
  const auth = setUpAuth(config, logger);
  logAuthSetup(logger, auth);

  // The Web UI's codec endpoint names the API's port before the API listens: JOBLINE_API_PORT=0 takes a free one now.
  const apiPort = config.api.port === 0 ? await freePort(config.api.host) : config.api.port;
  let devServer: DevServer | undefined;
  if (!config.temporal.address) {
    logger.info({ dbFile: config.embedded.dbFile }, 'starting the embedded Temporal dev server');
    // The embedded server is supervised: if it dies it is restarted on the same ports and database file,
    // and the worker and the API reconnect by themselves. If it keeps dying, Jobline exits non-zero.
    devServer = await superviseDevServer(embeddedServerOptions(config, apiUrlOf(config, apiPort)), {
      log: logger,
      onGiveUp: (err) => {
        logger.fatal({ err }, 'the embedded Temporal server keeps dying; exiting');
        process.exit(1);
      },
    });
  }
  const address = devServer?.address ?? config.temporal.address!;
  const uiUrl = devServer?.uiUrl ?? config.temporal.uiUrl;

  const clientConnection = await Connection.connect(connectionOptions(config.temporal, address));
  const workerConnection = await NativeConnection.connect(connectionOptions(config.temporal, address));
  try {
    await prepareNamespace(clientConnection, config.temporal.namespace, logger, devServer ? config.embedded.retentionDays : undefined);
    const client = createJoblineClient(clientConnection, config);
    const worker = await createJoblineWorker({ connection: workerConnection, config, attemptMetrics: workerMetrics?.attempts });
    const app = createApp({ ...appOptionsFrom(config, client, auth), uiUrl });
    const api = await listen(app, config.api.host, apiPort);
    printBanner({
      apiUrl: config.api.publicUrl ?? api.url,
      uiUrl,
      address,
      config,
      devServer,
      workerMetricsUrl: workerMetrics?.server.url,
      sdkMetricsUrl: sdkMetrics && `http://${sdkMetrics}/metrics`,
      auth,
    });

    await worker.run(); // the Runtime turns SIGINT/SIGTERM into a graceful worker shutdown
    logger.info('worker drained; stopping the API');
    await api.close();
    await auth.close();
  } finally {
    await workerConnection.close();
    await clientConnection.close();
    await workerMetrics?.server.close();
    await activeTracing()?.shutdown(); // the last spans
    if (devServer) {
      logger.info('stopping the embedded Temporal dev server');
      await devServer.stop();
    }
  }
}

function printBanner(info: {
  apiUrl: string;
  uiUrl?: string;
  address: string;
  config: Config;
  devServer?: DevServer;
  workerMetricsUrl?: string;
  sdkMetricsUrl?: string;
  auth: AuthSetup;
}): void {
  const lines = [
    '',
    'Jobline is running',
    `  API:        ${info.apiUrl}   (try: curl ${info.apiUrl}/readyz)`,
    `  Auth:       ${info.auth.summary}`,
    `  Web UI:     ${info.uiUrl ?? '(not known: set TEMPORAL_UI_URL)'}`,
    `  Temporal:   ${info.address}${info.devServer ? ' (embedded dev server)' : ''}`,
    `  Namespace:  ${info.config.temporal.namespace}`,
    `  Task queue: ${info.config.taskQueue}`,
    ...(info.workerMetricsUrl
      ? [
          `  Metrics:    ${info.apiUrl}/metrics (API), ${info.workerMetricsUrl} (worker)`,
          `              ${info.sdkMetricsUrl} (Temporal SDK and workflows)`,
        ]
      : ['  Metrics:    off (JOBLINE_METRICS=0)']),
    ...(info.devServer?.metricsUrl ? [`              ${info.devServer.metricsUrl} (Temporal server)`] : []),
    ...(info.config.encryption
      ? [`  Payloads:   encrypted at rest, key "${info.config.encryption.currentKeyId}"; codec server ${info.apiUrl}/codec`]
      : []),
    '  Press Ctrl-C to stop (running jobs finish or resume on the next start).',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch(exitOnFatal('jobline'));
