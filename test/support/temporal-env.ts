import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { DEFAULT_CLI_PATH } from '../../src/config';
import { logger } from '../../src/logger';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import { installRuntime } from '../../src/temporal/runtime';
import { workflowInterceptorModules, workflowsPath } from '../../src/worker';
import { startClusterTarget } from './cluster-target';

/**
 * Which Temporal the suite runs against: `dev` (default) starts a dev server for the run (SQLite, one
 * process); `cluster` uses the full server that `npm run cluster -- up` runs on PostgreSQL, in a namespace
 * of the run's own.
 */
export type TestTemporal = 'dev' | 'cluster';

export function testTemporal(): TestTemporal {
  const value = process.env.JOBLINE_TEST_TEMPORAL ?? 'dev';
  if (value !== 'dev' && value !== 'cluster') throw new Error(`JOBLINE_TEST_TEMPORAL=${value}: expected dev or cluster`);
  return value;
}

/** The server a run uses, whichever kind. */
export interface TestServer {
  address: string;
  namespace: string;
  stop(): Promise<void>;
}

/** The one real Temporal server (and the things built once) that every test in a run shares. */
export interface TestEnv {
  temporal: TestTemporal;
  server: TestServer;
  /** Every client, worker, API and CLI call of the run uses this namespace. */
  namespace: string;
  client: Client;
  clientConnection: Connection;
  workerConnection: NativeConnection;
  workflowBundle: WorkflowBundle;
  cliPath: string;
  dataDir: string;
}

let env: TestEnv | undefined;

export function testEnv(): TestEnv {
  if (!env) throw new Error('the Temporal test environment is not up (is test/setup/root-hooks.ts loaded?)');
  return env;
}

async function startServer(temporal: TestTemporal, cliPath: string, dataDir: string): Promise<TestServer> {
  if (temporal === 'cluster') return startClusterTarget();
  return startDevServer({ binary: cliPath, port: await freePort(), dbFile: path.join(dataDir, 'temporal.db') });
}

export async function startTestEnv(): Promise<TestEnv> {
  // The SDK hands warnings on to our logger, which drops them unless a test (or LOG_LEVEL) asks for them.
  logger.level = process.env.LOG_LEVEL ?? 'error';
  installRuntime(logger, 'warn');
  const temporal = testTemporal();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-test-'));
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? DEFAULT_CLI_PATH;
  const [server, workflowBundle] = await Promise.all([
    startServer(temporal, cliPath, dataDir),
    bundleWorkflowCode({
      workflowsPath: workflowsPath(),
      workflowInterceptorModules: workflowInterceptorModules(),
      logger: silentWebpackLogger,
    }),
  ]);
  const clientConnection = await Connection.connect({ address: server.address });
  const workerConnection = await NativeConnection.connect({ address: server.address });
  env = {
    temporal,
    server,
    namespace: server.namespace,
    client: new Client({ connection: clientConnection, namespace: server.namespace }),
    clientConnection,
    workerConnection,
    workflowBundle,
    cliPath,
    dataDir,
  };
  return env;
}

export async function stopTestEnv(): Promise<void> {
  if (!env) return;
  const current = env;
  env = undefined;
  await current.workerConnection.close();
  await current.clientConnection.close();
  await current.server.stop();
  fs.rmSync(current.dataDir, { recursive: true, force: true });
}

/**
 * A suite that only makes sense on the dev server (it starts dev servers of its own, or tests the SQLite
 * file): on the cluster it is skipped, and the reason is in its title, so the run's output says why.
 */
export function describeOnDevServer(title: string, reason: string, body: (this: Mocha.Suite) => void): Mocha.Suite | void {
  if (testTemporal() === 'cluster') return describe.skip(`${title} [skipped on the cluster: ${reason}]`, body);
  return describe(title, body);
}

/** The same for one test. */
export function itOnDevServer(title: string, reason: string, body: Mocha.AsyncFunc): Mocha.Test {
  if (testTemporal() === 'cluster') return it.skip(`${title} [skipped on the cluster: ${reason}]`, body);
  return it(title, body);
}

/** A suite that needs the full server (several server processes, a database to restart against). */
export function describeOnCluster(title: string, reason: string, body: (this: Mocha.Suite) => void): Mocha.Suite | void {
  if (testTemporal() !== 'cluster') return describe.skip(`${title} [cluster pass only: ${reason}]`, body);
  return describe(title, body);
}

// The bundler logs webpack's full stats at info level; tests only want to hear about problems.
const silentWebpackLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => logger.warn(message),
  error: (message: string) => logger.error(message),
};
