import { randomUUID } from 'node:crypto';
import type { Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { createApp } from '../../src/api/app';
import { createArtifactStore } from '../../src/artifacts';
import { codecServerOptionsFrom } from '../../src/api/routes/codec';
import { setUpAuth } from '../../src/auth/auth-setup';
import { listen, type RunningServer } from '../../src/api/server';
import type { JobView } from '../../src/api/job-view';
import { loadConfig, type Config } from '../../src/config';
import { sourceAccessFrom } from '../../src/jobs/admission';
import { logger } from '../../src/logger';
import { createJoblineClient } from '../../src/temporal/client';
import { createJoblineWorker } from '../../src/worker';
import type { WorkerPool } from '../../src/pools/worker-pool';
import { testEnv } from './temporal-env';

/** A worker and an API on a task queue of their own, against the shared dev server. */
export interface Stack {
  taskQueue: string;
  config: Config;
  baseUrl: string;
  /** POSTs a job; returns the status code and the body. */
  submit(
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: JobView & Record<string, unknown>; headers: Headers }>;
  getJob(id: string): Promise<JobView>;
  /** Polls GET /v1/jobs/{id} until `done` holds; fails with the last view when it never does. */
  waitFor(id: string, done: (job: JobView) => boolean, timeoutMs?: number): Promise<JobView>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  env?: Record<string, string>;
  /** Start without a worker (API only). */
  worker?: boolean;
  /** The key submit/getJob/waitFor send (`Authorization: Bearer`); set JOBLINE_API_KEYS_FILE in `env` too. */
  apiKey?: string;
  /** Another Temporal server than the run's shared one (a suite that starts its own). */
  server?: StackServer;
  /** The API's port (0, the default: any free one). */
  apiPort?: number;
}

export interface StackServer {
  address: string;
  namespace: string;
  clientConnection: Connection;
  workerConnection: NativeConnection;
}

const live = new Map<string, Stack>();

export function liveStacks(): string[] {
  return [...live.keys()];
}

export async function stopAllStacks(): Promise<void> {
  await Promise.all([...live.values()].map((stack) => stack.stop()));
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const env = testEnv();
  const server = options.server ?? {
    address: env.server.address,
    namespace: env.namespace,
    clientConnection: env.clientConnection,
    workerConnection: env.workerConnection,
  };
  const taskQueue = `test-${randomUUID()}`;
  const config = loadConfig({
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    JOBLINE_TASK_QUEUE: taskQueue,
    JOBLINE_ALLOW_PRIVATE_TARGETS: '1',
    JOBLINE_SHUTDOWN_GRACE_MS: '2000',
    LOG_LEVEL: 'warn',
    ...options.env,
  });
  let worker: WorkerPool | undefined;
  let running: Promise<void> | undefined;
  if (options.worker !== false) {
    worker = await createJoblineWorker({ connection: server.workerConnection, config, workflowBundle: env.workflowBundle });
    running = worker.run();
  }
  // As the real processes do: keys reloaded on change and SIGHUP, submission rates in memory or Redis.
  const authSetup = setUpAuth(config, logger);
  // The stack's own client: with the payload codec when the stack's env sets JOBLINE_ENCRYPTION_KEYS.
  const app = createApp({
    client: createJoblineClient(server.clientConnection, config),
    namespace: config.temporal.namespace,
    taskQueue,
    logger,
    bodyLimitBytes: config.api.bodyLimitBytes,
    uiUrl: config.temporal.uiUrl ?? 'http://ui.test',
    artifacts: createArtifactStore(config.artifacts),
    allowPrivateTargets: config.allowPrivateTargets,
    webhooks: config.webhooks.secrets.length > 0,
    temporalDeadlineMs: config.api.temporalDeadlineMs,
    schedules: config.schedules,
    requestGuard: { allowedHosts: config.api.allowedHosts, publicUrl: config.api.publicUrl, bindHost: config.api.host },
    sourceAccess: sourceAccessFrom(config),
    keys: authSetup.keys,
    rateLimiter: authSetup.rateLimiter,
    publicDocs: config.auth.publicDocs,
    publicMetrics: config.auth.publicMetrics,
    codec: codecServerOptionsFrom(config),
    liveEvents: config.api.liveEvents,
    backpressure: config.backpressure,
  });
  const auth: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const api: RunningServer = await listen(app, '127.0.0.1', options.apiPort ?? 0);

  const stopWorker = async () => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    worker = undefined;
  };

  const stack: Stack = {
    taskQueue,
    config,
    baseUrl: api.url,
    async submit(body, headers = {}) {
      const response = await fetch(`${api.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth, ...headers },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as JobView & Record<string, unknown>, headers: response.headers };
    },
    async getJob(id) {
      const response = await fetch(`${api.url}/v1/jobs/${encodeURIComponent(id)}`, { headers: auth });
      if (response.status !== 200) throw new Error(`GET job ${id}: ${response.status} ${await response.text()}`);
      return (await response.json()) as JobView;
    },
    async waitFor(id, done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: JobView | undefined;
      while (Date.now() < deadline) {
        // A job that does not exist yet (a pipeline node before its start) is worth waiting for too.
        const response = await fetch(`${api.url}/v1/jobs/${encodeURIComponent(id)}`, { headers: auth });
        if (response.status !== 404) {
          if (response.status !== 200) throw new Error(`GET job ${id}: ${response.status} ${await response.text()}`);
          last = (await response.json()) as JobView;
          if (done(last)) return last;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`job ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    },
    stopWorker,
    async stop() {
      live.delete(taskQueue);
      await stopWorker();
      await api.close();
      await authSetup.close();
    },
  };
  live.set(taskQueue, stack);
  return stack;
}
