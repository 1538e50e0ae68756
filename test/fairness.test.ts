import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../src/api/app';
import { listen } from '../src/api/server';
import { createArtifactStore } from '../src/artifacts';
import { KeyRing } from '../src/auth/key-ring';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { startDevServer } from '../src/temporal/dev-server';
import { freePort } from '../src/temporal/free-port';
import { createJoblineWorker } from '../src/worker';
import { bearer, writeKeyFile } from './support/api-keys';
import { describeOnDevServer, testEnv } from './support/temporal-env';

const FLOOD = 300;
const LATE = 10;
/** Few slots, so that the activity queue is where the jobs wait, and the matcher decides who goes next. */
const ACTIVITY_SLOTS = 4;
const SUBMIT_CONCURRENCY = 20;

const { file, keys } = writeKeyFile([
  { id: 'flood-submitter', tenant: 'flood', role: 'submitter' },
  { id: 'late-submitter', tenant: 'late', role: 'submitter' },
]);

interface Outcome {
  /** Median time from a job's submission to its completion, per tenant (ms). */
  floodMedianMs: number;
  lateMedianMs: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * Tenant `flood` submits FLOOD slow echo jobs; once they are all queued, tenant `late` submits LATE. Every
 * job goes through the API (which sets the fairness key) to a server of the test's own (in memory, one task
 * queue partition), and a worker with ACTIVITY_SLOTS activity slots.
 */
async function runScenario(fairness: boolean): Promise<Outcome> {
  const server = await startDevServer({
    binary: testEnv().cliPath,
    port: await freePort(),
    // The control differs in this flag only.
    ...(fairness ? {} : { dynamicConfig: { 'matching.enableFairness': false } }),
  });
  const taskQueue = `fairness-${randomUUID()}`;
  const config = loadConfig({
    TEMPORAL_ADDRESS: server.address,
    JOBLINE_TASK_QUEUE: taskQueue,
    JOBLINE_WORKER_MAX_CONCURRENT_ACTIVITIES: String(ACTIVITY_SLOTS),
    JOBLINE_SHUTDOWN_GRACE_MS: '1000',
    JOBLINE_API_KEYS_FILE: file,
    LOG_LEVEL: 'warn',
  });
  const clientConnection = await Connection.connect({ address: server.address });
  const workerConnection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection: clientConnection, namespace: 'default' });
  const worker = await createJoblineWorker({ connection: workerConnection, config, workflowBundle: testEnv().workflowBundle });
  const running = worker.run();
  const app = createApp({
    client,
    namespace: 'default',
    taskQueue,
    logger,
    bodyLimitBytes: config.api.bodyLimitBytes,
    artifacts: createArtifactStore(config.artifacts),
    temporalDeadlineMs: config.api.temporalDeadlineMs,
    schedules: config.schedules,
    keys: new KeyRing(file),
  });
  const api = await listen(app, '127.0.0.1', 0);
  try {
    const submittedAt = new Map<string, { tenant: string; at: number }>();
    const submitAll = async (tenant: string, count: number) => {
      let next = 0;
      const submitOne = async () => {
        while (next < count) {
          next += 1;
          const response = await fetch(`${api.url}/v1/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...bearer(keys[`${tenant}-submitter`]!) },
            body: JSON.stringify({ type: 'echo', input: { sleepMs: 100 + Math.floor(Math.random() * 101) } }),
          });
          const body = (await response.json()) as { id: string };
          assert.equal(response.status, 202, JSON.stringify(body));
          submittedAt.set(body.id, { tenant, at: Date.now() });
        }
      };
      await Promise.all(Array.from({ length: Math.min(SUBMIT_CONCURRENCY, count) }, submitOne));
    };
    await submitAll('flood', FLOOD);
    await submitAll('late', LATE);

    const deadline = Date.now() + 60_000;
    while ((await client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`)).count > 0) {
      assert.ok(Date.now() < deadline, 'the jobs did not finish within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const latencies: Record<string, number[]> = { flood: [], late: [] };
    for await (const info of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      const submitted = submittedAt.get(info.workflowId);
      assert.ok(submitted && info.closeTime, `${info.workflowId} was submitted and has closed`);
      assert.equal(info.status.name, 'COMPLETED', info.workflowId);
      latencies[submitted.tenant]!.push(info.closeTime.getTime() - submitted.at);
    }
    assert.equal(latencies.flood!.length, FLOOD);
    assert.equal(latencies.late!.length, LATE);
    return { floodMedianMs: median(latencies.flood!), lateMedianMs: median(latencies.late!) };
  } finally {
    await api.close();
    worker.shutdown();
    await running;
    await workerConnection.close();
    await clientConnection.close();
    await server.stop();
  }
}

describeOnDevServer('fair share between tenants (priority and fairness)', 'starts dev servers of its own', function () {
  this.timeout(120_000);

  it(`with matching.enableFairness, a tenant's ${LATE} jobs pass another's backlog of ${FLOOD}`, async () => {
    const { floodMedianMs, lateMedianMs } = await runScenario(true);
    process.stdout.write(`      fairness on:  median completion after submission: late ${lateMedianMs} ms, flood ${floodMedianMs} ms\n`);
    assert.ok(lateMedianMs < floodMedianMs / 2, `late ${lateMedianMs} ms is not far earlier than flood ${floodMedianMs} ms`);
  });

  it(`control: without fairness, the ${LATE} jobs wait behind the backlog`, async () => {
    const { floodMedianMs, lateMedianMs } = await runScenario(false);
    process.stdout.write(`      fairness off: median completion after submission: late ${lateMedianMs} ms, flood ${floodMedianMs} ms\n`);
    assert.ok(lateMedianMs >= floodMedianMs / 2, `late ${lateMedianMs} ms is far earlier than flood ${floodMedianMs} ms without fairness`);
  });
});
