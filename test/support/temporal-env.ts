import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { DEFAULT_CLI_PATH } from '../../src/config';
import { logger } from '../../src/logger';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import { installRuntime } from '../../src/temporal/runtime';
import { workflowInterceptorModules, workflowsPath } from '../../src/worker';

/** The one real Temporal dev server (and the things built once) that every test in a run shares. */
export interface TestEnv {
  server: DevServer;
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

export async function startTestEnv(): Promise<TestEnv> {
  // The SDK hands warnings on to our logger, which drops them unless a test (or LOG_LEVEL) asks for them.
  logger.level = process.env.LOG_LEVEL ?? 'error';
  installRuntime(logger, 'warn');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-test-'));
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? DEFAULT_CLI_PATH;
  const [server, workflowBundle] = await Promise.all([
    startDevServer({ binary: cliPath, port: await freePort(), dbFile: path.join(dataDir, 'temporal.db') }),
    bundleWorkflowCode({ workflowsPath: workflowsPath(), workflowInterceptorModules: workflowInterceptorModules(), logger: silentWebpackLogger }),
  ]);
  const clientConnection = await Connection.connect({ address: server.address });
  const workerConnection = await NativeConnection.connect({ address: server.address });
  env = {
    server,
    client: new Client({ connection: clientConnection }),
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

// The bundler logs webpack's full stats at info level; tests only want to hear about problems.
const silentWebpackLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => logger.warn(message),
  error: (message: string) => logger.error(message),
};
