import './tracing/register-all';
import { exitOnFatal } from './fatal';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { appOptionsFrom, createApp } from './api/app';
import { logAuthSetup, setUpAuth, type AuthSetup } from './auth/auth-setup';
import { listen } from './api/server';
import { apiConnectionInterceptors } from './api/temporal-retries';
import { loadConfig, type Config } from './config';
import { logger } from './logger';
import { createJoblineClient } from './temporal/client';
import { connectionOptions } from './temporal/connection-options';
import { superviseDevServer, type DevServer } from './temporal/dev-server';
import { apiUrlOf, embeddedServerOptions } from './temporal/embedded-server';
import { prepareNamespace } from './temporal/namespace-setup';
import { installRuntime } from './temporal/runtime';
import { createJoblineWorker } from './worker';
import { sdkMetricsAddress, startWorkerMetrics } from './metrics/worker-metrics';
import { classTaskQueues } from './jobs/resource-classes';
import { SupervisedChild } from './pools/child-supervisor';
import { startOptions } from './pools/start-options';
import { freePort } from './temporal/free-port';
import { activeTracing } from './tracing/provider';

/**
 * `npm start`: the whole of Jobline from one command. Without TEMPORAL_ADDRESS it first starts the embedded
 * Temporal dev server (persisting to data/temporal.db). The worker and the API then run as supervised child
 * processes, so that one crashing leaves the other serving and is restarted; `--single-process` runs both in
 * this process instead, as before. Ctrl-C drains the worker, then stops the API and the server, in that order.
 */
async function main(): Promise<void> {
  const singleProcess = startOptions(process.argv.slice(2)).singleProcess;
  const config = loadConfig();
  logger.level = config.logLevel;

  // Before the server starts: no keys off loopback is refused at once (each API process sets up its own).
  const auth = setUpAuth(config, logger);
  logAuthSetup(logger, auth);
  // Ports are fixed before anything starts (a `0` becomes a free port once): the Web UI's codec endpoint names
  // the API's port, and a restarted child listens where the banner said.
  const ports = await fixedPorts(config);

  let devServer: DevServer | undefined;
  if (!config.temporal.address) {
    logger.info({ dbFile: config.embedded.dbFile }, 'starting the embedded Temporal dev server');
    // The embedded server is supervised: if it dies it is restarted on the same ports and database file,
    // and the worker and the API reconnect by themselves. If it keeps dying, Jobline exits non-zero.
    devServer = await superviseDevServer(embeddedServerOptions(config, apiUrlOf(config, ports.api)), {
      log: logger,
      onGiveUp: (err) => {
        logger.fatal({ err }, 'the embedded Temporal server keeps dying; exiting');
        process.exit(1);
      },
    });
  }
  const address = devServer?.address ?? config.temporal.address!;
  const uiUrl = devServer?.uiUrl ?? config.temporal.uiUrl;
  const clientConnection = await Connection.connect({
    ...connectionOptions(config.temporal, address),
    interceptors: apiConnectionInterceptors(),
  });
  try {
    await prepareNamespace(clientConnection, config.temporal.namespace, logger, devServer ? config.embedded.retentionDays : undefined);
    if (singleProcess) await runInThisProcess({ config, address, uiUrl, devServer, auth, ports, clientConnection });
    else await runSupervised({ config, address, uiUrl, devServer, auth, ports });
  } finally {
    await auth.close();
    await clientConnection.close();
    await activeTracing()?.shutdown(); // the last spans
    if (devServer) {
      logger.info('stopping the embedded Temporal dev server');
      await devServer.stop();
    }
  }
}

interface Started {
  config: Config;
  address: string;
  uiUrl?: string;
  devServer?: DevServer;
  auth: AuthSetup;
  ports: Ports;
}

/** `npm start -- --single-process`: worker and API in this process (one fate, one PID). */
async function runInThisProcess({
  config,
  address,
  uiUrl,
  devServer,
  auth,
  ports,
  clientConnection,
}: Started & { clientConnection: Connection }) {
  const metricsOn = config.worker.metrics.enabled;
  const sdkMetrics = metricsOn ? await sdkMetricsAddress(config.worker.metrics) : undefined;
  installRuntime(logger, config.logLevel, { sdkMetricsAddress: sdkMetrics });
  const workerMetrics = metricsOn ? await startWorkerMetrics(config.worker.metrics, logger) : undefined;
  const workerConnection = await NativeConnection.connect(connectionOptions(config.temporal, address));
  try {
    const client = createJoblineClient(clientConnection, config);
    const worker = await createJoblineWorker({ connection: workerConnection, config, attemptMetrics: workerMetrics?.attempts });
    const app = createApp({ ...appOptionsFrom(config, client, auth), uiUrl });
    const api = await listen(app, config.api.host, ports.api);
    printBanner({
      apiUrl: config.api.publicUrl ?? api.url,
      uiUrl,
      address,
      config,
      devServer,
      workerMetricsUrl: workerMetrics?.server.url,
      sdkMetricsUrl: sdkMetrics && `http://${sdkMetrics}/metrics`,
      auth,
      mode: 'one process',
    });

    await worker.run(); // the Runtime turns SIGINT/SIGTERM into a graceful worker shutdown
    logger.info('worker drained; stopping the API');
    await api.close();
  } finally {
    await workerConnection.close();
    await workerMetrics?.server.close();
  }
}

/**
 * The worker and the API as child processes of this one, each restarted when it dies. Ports are fixed
 * here (a `0` becomes a free port once), so a restarted child listens where the banner said.
 */
async function runSupervised({ config, address, uiUrl, devServer, auth, ports }: Started) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(devServer ? embeddedTarget(address) : {}),
    ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl } : {}),
    JOBLINE_API_PORT: String(ports.api),
    JOBLINE_WORKER_METRICS_PORT: String(ports.workerMetrics),
    JOBLINE_WORKER_SDK_METRICS_PORT: String(ports.sdkMetrics),
  };
  const worker = new SupervisedChild({ name: 'worker', entry: require.resolve('./worker'), env }, logger);
  const api = new SupervisedChild({ name: 'api', entry: require.resolve('./api/main'), env }, logger);

  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info('stopping: draining the worker, then the API');
      void (async () => {
        await worker.stop(config.worker.shutdownGraceMs + 15_000);
        await api.stop(15_000);
        resolve();
      })();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  worker.start();
  api.start();
  const [apiReady] = await Promise.race([Promise.all([api.firstReady, worker.firstReady]), stopped.then(() => [undefined])]);
  if (apiReady) {
    const host = config.worker.metrics.host === '0.0.0.0' ? '127.0.0.1' : config.worker.metrics.host;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    printBanner({
      apiUrl: config.api.publicUrl ?? apiReady.url ?? `http://${config.api.host}:${ports.api}`,
      uiUrl,
      address,
      config,
      devServer,
      workerMetricsUrl: config.worker.metrics.enabled ? `http://${shownHost}:${ports.workerMetrics}/metrics` : undefined,
      sdkMetricsUrl: `http://${shownHost}:${ports.sdkMetrics}/metrics`,
      auth,
      mode: `supervised processes: worker pid ${worker.pid}, API pid ${api.pid} (restarted when they die)`,
    });
  }
  await stopped;
}

/** The children talk to the embedded server: plain gRPC on loopback, whatever TLS settings the shell has. */
function embeddedTarget(address: string): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TLS: '',
    TEMPORAL_TLS_CERT_PATH: '',
    TEMPORAL_TLS_KEY_PATH: '',
    TEMPORAL_TLS_CA_PATH: '',
    TEMPORAL_API_KEY: '',
  };
}

interface Ports {
  api: number;
  workerMetrics: number;
  sdkMetrics: number;
}

async function fixedPorts(config: Config): Promise<Ports> {
  const pick = (port: number, host: string) => (port === 0 ? freePort(host) : Promise.resolve(port));
  const metricsHost = config.worker.metrics.host;
  return {
    api: await pick(config.api.port, config.api.host),
    workerMetrics: await pick(config.worker.metrics.port, metricsHost),
    sdkMetrics: await pick(config.worker.metrics.sdkPort, metricsHost),
  };
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
  mode: string;
}): void {
  const lines = [
    '',
    'Jobline is running',
    `  API:        ${info.apiUrl}   (try: curl ${info.apiUrl}/readyz)`,
    `  Web UI:     ${info.uiUrl ?? '(not known: set TEMPORAL_UI_URL)'}`,
    `  Temporal:   ${info.address}${info.devServer ? ' (embedded dev server)' : ''}`,
    `  Namespace:  ${info.config.temporal.namespace}`,
    `  Task queue: ${info.config.taskQueue} (workflows); activities by class: ${classTaskQueues(info.config.taskQueue)
      .map(({ resourceClass, taskQueue }) => `${resourceClass} → ${taskQueue}`)
      .join(', ')}`,
    `  Processes:  ${info.mode}`,
    `  Auth:       ${info.auth.summary}`,
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
