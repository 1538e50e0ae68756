import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'undici';
import { loadConfig } from '../../src/config';
import { dataConverterFor } from '../../src/temporal/codec/data-converter';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import { BenchChild } from '../children';
import type { BenchOptions } from '../options';
import type { System } from '../phase';
import { childPids, type ProcessMonitor } from '../procfs';
import type { RawFeatures, rawJob } from '../raw/workflows';
import { JobCorrelationIdKey, JobPriorityKey, JobStatusKey, JobTypeKey } from '../../src/jobs/search-attributes';
import { WORKER_OPTIONS_ENV } from '../processes/activity-clock';
import { persistenceSnapshot } from '../server-metrics';
import { temporalCompletions } from './temporal-completions';

export interface TemporalServer {
  server: DevServer;
  client: Client;
  dbFile?: string;
  stop(): Promise<void>;
}

/** A fresh dev server on a temporary database (the same launcher and dynamic config `npm start` uses). */
export async function startTemporalServer(options: BenchOptions, monitor: ProcessMonitor): Promise<TemporalServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-bench-'));
  const dbFile = options.db === 'memory' ? undefined : path.join(dir, 'temporal.db');
  const binary = withExtraArgs(loadConfig(process.env).embedded.cliPath, options.serverArgs, dir);
  const server = await startDevServer({ binary, port: await freePort(), metricsPort: await freePort(), dbFile, startTimeoutMs: 120_000 });
  const serverPid = childPids(server.pid).find((pid) => isDevServer(pid));
  if (serverPid) monitor.watch('temporal-server', serverPid);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({
    connection,
    namespace: server.namespace,
    dataConverter: dataConverterFor(loadConfig(process.env).encryption),
  });
  return {
    server,
    client,
    dbFile,
    async stop() {
      await connection.close();
      if (serverPid) monitor.unwatch('temporal-server');
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Extra `temporal server start-dev` flags for experiments (e.g. --sqlite-pragma), through a wrapper script. */
function withExtraArgs(cli: string, extra: readonly string[], dir: string): string {
  if (extra.length === 0) return cli;
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const wrapper = path.join(dir, 'temporal-with-args.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${quote(cli)} "$@" ${extra.map(quote).join(' ')}\n`, { mode: 0o755 });
  return wrapper;
}

function isDevServer(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-dev');
  } catch {
    return false;
  }
}

interface ChildSetup {
  options: BenchOptions;
  server: TemporalServer;
  monitor: ProcessMonitor;
  logDir: string;
  taskQueue: string;
  /** Extra environment of the children (a variant: metrics off, tracing on). */
  env?: Record<string, string>;
}

function childEnv(setup: ChildSetup): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: setup.server.server.address,
    TEMPORAL_NAMESPACE: setup.server.server.namespace,
    JOBLINE_TASK_QUEUE: setup.taskQueue,
    JOBLINE_API_HOST: '127.0.0.1',
    JOBLINE_API_PORT: '0',
    JOBLINE_WORKER_MAX_CONCURRENT_ACTIVITIES: String(setup.options.activitySlots),
    JOBLINE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: String(setup.options.workflowTaskSlots),
    LOG_LEVEL: setup.options.logLevel,
    [WORKER_OPTIONS_ENV]: setup.options.workerOptions ?? '',
    ...setup.env,
  };
}

async function startChild(setup: ChildSetup, name: string, script: string): Promise<BenchChild> {
  const child = await BenchChild.start({
    name,
    script,
    env: childEnv(setup),
    logFile: path.join(setup.logDir, `${name}.log`),
    cpuProfileDir: setup.options.profile ? path.join(setup.logDir, 'profiles') : undefined,
  });
  setup.monitor.watch(name, child.pid);
  return child;
}

async function stopChild(monitor: ProcessMonitor, child: BenchChild): Promise<void> {
  monitor.unwatch(child.name);
  await child.stop();
}

export interface RunningJobline {
  system: System;
  apiUrl: string;
  client: Client;
  taskQueue: string;
  stop(): Promise<void>;
}

/** The Jobline API and worker as separate processes; jobs go in over HTTP with keep-alive connections. */
export async function startJobline(
  options: BenchOptions,
  server: TemporalServer,
  monitor: ProcessMonitor,
  logDir: string,
  variant: { name: string; env: Record<string, string> } = { name: 'jobline', env: {} },
): Promise<RunningJobline> {
  const setup: ChildSetup = { options, server, monitor, logDir, taskQueue: `bench-jobline-${randomUUID().slice(0, 8)}`, env: variant.env };
  // Process names carry the variant, so that one run can watch several pairs.
  const suffix = variant.name === 'jobline' ? '' : `-${variant.name}`;
  const [worker, api] = await Promise.all([
    startChild(setup, `jobline-worker${suffix}`, 'jobline-worker'),
    startChild(setup, `jobline-api${suffix}`, 'jobline-api'),
  ]);
  const apiUrl = api.url!;
  const pool = new Pool(apiUrl, { connections: options.clients, pipelining: 1, keepAliveTimeout: 60_000 });
  const body = JSON.stringify({ type: 'echo', input: { value: 1 } });
  const system: System = {
    name: 'jobline',
    async submit() {
      const response = await pool.request({ path: '/v1/jobs', method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await response.body.text();
      const id = response.statusCode === 202 ? (JSON.parse(text) as { id?: string }).id : undefined;
      if (!id) throw new Error(`POST /v1/jobs answered ${response.statusCode}: ${text.slice(0, 300)}`);
      return id;
    },
    completions: (ids, since, timeoutMs) =>
      temporalCompletions(server.client, setup.taskQueue, ids, since, timeoutMs, () => worker.countStarts()),
    collectStarts: () => worker.collectStarts(),
    ...(server.server.metricsUrl ? { persistence: () => persistenceSnapshot(server.server.metricsUrl!) } : {}),
  };
  return {
    system,
    apiUrl,
    client: server.client,
    taskQueue: setup.taskQueue,
    async stop() {
      await pool.close();
      await Promise.all([stopChild(monitor, api), stopChild(monitor, worker)]);
    },
  };
}

export interface RunningRawTemporal {
  system: System;
  stop(): Promise<void>;
}

/** The ceiling: the bench starts a bare workflow directly with @temporalio/client; a bare worker runs it. */
export async function startRawTemporal(
  options: BenchOptions,
  server: TemporalServer,
  monitor: ProcessMonitor,
  logDir: string,
): Promise<RunningRawTemporal> {
  const setup: ChildSetup = { options, server, monitor, logDir, taskQueue: `bench-raw-${randomUUID().slice(0, 8)}` };
  const worker = await startChild(setup, 'raw-worker', 'raw-worker');
  const features = new Set(options.rawFeatures);
  const workflowFeatures: RawFeatures = {
    ...(features.has('timeouts') ? { timeouts: true } : {}),
    ...(features.has('upsert') ? { upsert: true } : {}),
  };
  const system: System = {
    name: 'raw-temporal',
    async submit() {
      const workflowId = `raw-${randomUUID()}`;
      await server.client.workflow.start<typeof rawJob>('rawJob', {
        workflowId,
        taskQueue: setup.taskQueue,
        args: [{ value: 1, ...(Object.keys(workflowFeatures).length ? { features: workflowFeatures } : {}) }],
        ...(features.has('start-attrs') ? joblineStartAttributes(workflowId) : {}),
      });
      return workflowId;
    },
    completions: (ids, since, timeoutMs) =>
      temporalCompletions(server.client, setup.taskQueue, ids, since, timeoutMs, () => worker.countStarts()),
    collectStarts: () => worker.collectStarts(),
    ...(server.server.metricsUrl ? { persistence: () => persistenceSnapshot(server.server.metricsUrl!) } : {}),
  };
  return { system, stop: () => stopChild(monitor, worker) };
}

/** What Jobline's API adds to a workflow start: a memo, four search attributes and a priority. */
function joblineStartAttributes(workflowId: string) {
  const now = new Date().toISOString();
  return {
    memo: { requestHash: 'f'.repeat(64), createdAt: now, correlationId: randomUUID(), metadata: {}, maxAttempts: 3, id: workflowId },
    typedSearchAttributes: [
      { key: JobTypeKey, value: 'echo' },
      { key: JobStatusKey, value: 'active' },
      { key: JobPriorityKey, value: 3 },
      { key: JobCorrelationIdKey, value: randomUUID() },
    ],
    priority: { priorityKey: 3 },
  };
}
