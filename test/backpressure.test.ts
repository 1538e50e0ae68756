import assert from 'node:assert/strict';
import request from 'supertest';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../src/api/app';
import { retryAfterSeconds, MAX_RETRY_AFTER_SECONDS } from '../src/api/backpressure';
import { apiConnectionInterceptors } from '../src/api/temporal-retries';
import { startDevServer } from '../src/temporal/dev-server';
import { freePort } from '../src/temporal/free-port';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { valueFor } from '../src/pools/per-class';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ReadyBody {
  status: string;
  backpressure?: { enabled: boolean; full?: boolean; queues?: Array<{ taskQueue: string; kind: string; backlog: number; full: boolean }> };
}

async function readyz(stack: Stack): Promise<ReadyBody> {
  const response = await fetch(`${stack.baseUrl}/readyz`);
  assert.equal(response.status, 200, 'a full backlog leaves the API ready');
  return (await response.json()) as ReadyBody;
}

/** Workflows started on the stack's task queue, as visibility counts them once it has caught up with `atLeast`. */
async function startedOn(taskQueue: string, atLeast: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { count } = await testEnv().client.workflow.count(`TaskQueue = "${taskQueue}"`);
    if (count >= atLeast || Date.now() > deadline) return count;
    await sleep(250);
  }
}

describe('backpressure at the edge (issue 16)', function () {
  this.timeout(90_000);

  describe('with no worker polling and JOBLINE_MAX_BACKLOG=5', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ worker: false, env: { JOBLINE_MAX_BACKLOG: '5' } });
    });
    after(() => stack.stop());

    it('refuses new jobs with 429 backlog-full and a Retry-After once the queue holds 5, and starts nothing', async () => {
      const accepted: string[] = [];
      for (let i = 0; i < 8; i++) {
        const reply = await stack.submit({ type: 'echo', input: { value: i } });
        assert.equal(reply.status, 202, JSON.stringify(reply.body));
        accepted.push(reply.body.id);
      }
      // The server refreshes its queue statistics every few seconds: wait until /readyz sees the backlog.
      const deadline = Date.now() + 30_000;
      let ready = await readyz(stack);
      while (!ready.backpressure?.full && Date.now() < deadline) {
        await sleep(500);
        ready = await readyz(stack);
      }
      assert.equal(ready.backpressure?.enabled, true);
      assert.equal(ready.backpressure?.full, true, JSON.stringify(ready));
      const workflowQueue = ready.backpressure?.queues?.find((q) => q.kind === 'workflow');
      assert.equal(workflowQueue?.taskQueue, stack.taskQueue);
      assert.ok((workflowQueue?.backlog ?? 0) >= 5, JSON.stringify(workflowQueue));

      const before = await startedOn(stack.taskQueue, accepted.length);
      assert.equal(before, accepted.length);
      const refused = await stack.submit({ type: 'echo', input: { value: 'one too many' } }, { 'idempotency-key': 'over-the-limit' });
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(refused.body.type, '/problems/backlog-full');
      const retryAfter = Number(refused.headers.get('retry-after'));
      // Nothing dispatches (no worker): the drain estimate is the upper bound.
      assert.equal(retryAfter, MAX_RETRY_AFTER_SECONDS, `Retry-After: ${refused.headers.get('retry-after')}`);
      assert.match(String(refused.body.detail), new RegExp(`task queue ${stack.taskQueue}`));

      // An http job (class io) waits in the same main queue for its first workflow task: refused too.
      const http = await stack.submit({ type: 'http', input: { url: 'http://127.0.0.1:9/' } });
      assert.equal(http.status, 429);

      await sleep(1_000);
      assert.equal(await startedOn(stack.taskQueue, accepted.length + 1), accepted.length, 'a refused request started nothing');
      await assert.rejects(testEnv().client.workflow.getHandle('echo-idem-over-the-limit').describe(), /not found/i);
    });
  });

  describe('under the limit', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ worker: false, env: { JOBLINE_MAX_BACKLOG: 'reports=2,1000', JOBLINE_MAX_BACKLOG_AGE_MS: '600000' } });
    });
    after(() => stack.stop());

    it('accepts jobs (202) and /readyz reports every class queue with its limits', async () => {
      const reply = await stack.submit({ type: 'echo', input: {} });
      assert.equal(reply.status, 202, JSON.stringify(reply.body));
      const ready = await readyz(stack);
      assert.equal(ready.backpressure?.enabled, true);
      assert.equal(ready.backpressure?.full, false);
      const queues = new Map(ready.backpressure!.queues!.map((q) => [`${q.kind}:${q.taskQueue}`, q]));
      for (const name of [
        `workflow:${stack.taskQueue}`,
        `activity:${stack.taskQueue}`,
        `activity:${stack.taskQueue}-io`,
        `activity:${stack.taskQueue}-reports`,
      ]) {
        assert.ok(queues.has(name), `${name} in ${[...queues.keys()].join(', ')}`);
      }
      assert.equal((queues.get(`activity:${stack.taskQueue}-reports`) as unknown as { maxBacklog: number }).maxBacklog, 2);
      assert.equal((queues.get(`activity:${stack.taskQueue}-io`) as unknown as { maxBacklog: number }).maxBacklog, 1000);
    });
  });

  it('is off by default: /readyz stays `{status: ready}`', async () => {
    const stack = await startStack({ worker: false });
    try {
      assert.deepEqual(await readyz(stack), { status: 'ready' });
      assert.equal((await stack.submit({ type: 'echo', input: {} })).status, 202);
    } finally {
      await stack.stop();
    }
  });

  it('answers 429 rate-limited with Retry-After, never 5xx, when Temporal itself answers RESOURCE_EXHAUSTED', async () => {
    // A server of our own whose namespace takes 2 requests a second.
    const server = await startDevServer({
      binary: testEnv().cliPath,
      port: await freePort(),
      dynamicConfig: { 'frontend.namespaceRPS': 2, 'frontend.namespaceBurstRatio': 1 },
    });
    // The API's connection, as src/api/main.ts makes it; a plain one (SDK retries) to count afterwards.
    const apiConnection = await Connection.connect({ address: server.address, interceptors: apiConnectionInterceptors() });
    const plain = await Connection.connect({ address: server.address });
    try {
      const app = createApp({
        client: new Client({ connection: apiConnection }),
        namespace: 'default',
        taskQueue: 'rate-limited',
        logger,
        bodyLimitBytes: 1024 * 1024,
        temporalDeadlineMs: 5_000,
        schedules: { minIntervalMs: 60_000, maxCount: 100 },
      });
      const replies = await Promise.all(Array.from({ length: 20 }, () => request(app).post('/v1/jobs').send({ type: 'echo', input: {} })));
      const statuses = replies.map((reply) => reply.status);
      assert.deepEqual(
        statuses.filter((code) => code !== 202 && code !== 429),
        [],
        `statuses: ${statuses.join(' ')}`,
      );
      const limited = replies.filter((reply) => reply.status === 429);
      assert.ok(limited.length > 0, `no 429 among ${statuses.join(' ')}`);
      for (const reply of limited) {
        assert.match(reply.headers['content-type'] ?? '', /application\/problem\+json/);
        assert.equal(reply.body.type, '/problems/rate-limited');
        assert.ok(Number(reply.headers['retry-after']) >= 1, `Retry-After: ${reply.headers['retry-after']}`);
      }
      // Only the accepted ones started.
      await sleep(2_000);
      const { count } = await new Client({ connection: plain }).workflow.count('TaskQueue = "rate-limited"');
      assert.equal(count, statuses.filter((code) => code === 202).length);
    } finally {
      await apiConnection.close();
      await plain.close();
      await server.stop();
    }
  });

  it('parses per-class limits and bounds Retry-After', () => {
    const config = loadConfig({ JOBLINE_MAX_BACKLOG: 'reports=100,default=5000', JOBLINE_MAX_BACKLOG_AGE_MS: '30000' });
    assert.equal(valueFor(config.backpressure.maxBacklog, 'reports'), 100);
    assert.equal(valueFor(config.backpressure.maxBacklog, 'default'), 5000);
    assert.equal(valueFor(config.backpressure.maxBacklog, 'io'), undefined, 'a class not named has no limit');
    assert.equal(valueFor(config.backpressure.maxBacklogAgeMs, 'io'), 30_000, 'a bare number is every class');
    assert.throws(() => loadConfig({ JOBLINE_MAX_BACKLOG: 'gpu=3' }), /JOBLINE_MAX_BACKLOG: "gpu" is not a resource class/);
    assert.throws(() => loadConfig({ JOBLINE_MAX_BACKLOG: 'io=lots' }), /JOBLINE_MAX_BACKLOG/);
    assert.equal(retryAfterSeconds(0.2), 1);
    assert.equal(retryAfterSeconds(12.1), 13);
    assert.equal(retryAfterSeconds(Infinity), MAX_RETRY_AFTER_SECONDS);
    assert.equal(retryAfterSeconds(1e9), MAX_RETRY_AFTER_SECONDS);
  });
});
