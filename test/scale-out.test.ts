import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { clusterBinaries } from '../src/temporal/cluster/binaries';
import { startService } from '../src/temporal/cluster/lifecycle';
import { stopProcess } from '../src/temporal/cluster/processes';
import { loadClusterSettings } from '../src/temporal/cluster/settings';
import { spawnApi, type ApiProcess } from './support/api-process';
import { startStack } from './support/stack';
import { startTarget, type Target } from './support/target';
import { describeOnCluster, testEnv } from './support/temporal-env';
import { spawnWorker } from './support/worker-process';

// Horizontal scale on the full server, shown: several `npm run worker` and `npm run api` processes on one
// task queue share the work, and losing a worker process or the history service loses no job.

const JOBS = 600;
const WORKERS = 3;
const APIS = 2;
/** Each worker's share of the attempts must be at least this (an even split is 1/3). */
const MIN_SHARE = 0.15;
/** Kill one worker once this share of the jobs completed: late enough for its share, early enough to hit work in flight. */
const KILL_AT = 0.6;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await fn(items[index]!, index);
      }
    }),
  );
  return results;
}

async function countByQuery(query: string): Promise<number> {
  return (await testEnv().client.workflow.count(query)).count;
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Resolves once every given process polls the task queue for activities (the SDK's identity is `<pid>@<host>`). */
async function waitForPollers(taskQueue: string, pids: number[]): Promise<void> {
  const { client, namespace } = testEnv();
  await waitUntil(`${pids.length} worker processes polling ${taskQueue}`, 180_000, async () => {
    const description = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    const identities = (description.pollers ?? []).map((poller) => poller.identity ?? '');
    return pids.every((pid) => identities.some((identity) => identity.startsWith(`${pid}@`)));
  });
}

/** Who ran the attempt that ended the job's activity, and which attempt it was (history records only that one). */
async function finalAttempt(jobId: string): Promise<{ identity: string; attempt: number }> {
  const history = await testEnv().client.workflow.getHandle(jobId).fetchHistory();
  const started = (history.events ?? []).filter((event) => event.activityTaskStartedEventAttributes).at(-1);
  assert.ok(started, `${jobId}: no activity started`);
  const attributes = started.activityTaskStartedEventAttributes!;
  return { identity: attributes.identity ?? '', attempt: attributes.attempt ?? 0 };
}

async function submitThrough(api: ApiProcess, body: unknown): Promise<string> {
  const response = await fetch(`${api.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { id?: string };
  assert.equal(response.status, 202, `submit: ${response.status} ${JSON.stringify(answer)}`);
  return answer.id!;
}

describeOnCluster(
  'scale-out on the full server',
  'it runs several worker and API processes against the cluster and restarts its history service',
  function () {
    this.timeout(600_000);

    describe(`${WORKERS} worker processes and ${APIS} API processes on one task queue`, () => {
      const taskQueue = `scale-${randomUUID()}`;
      let target: Target;
      const workers: ChildProcess[] = [];
      const apis: ApiProcess[] = [];

      before(async function () {
        this.timeout(300_000);
        // Each call is a side effect keyed by the job's number; the delay keeps attempts in flight.
        target = await startTarget([{ status: 200, delayMs: 200, body: 'done' }]);
        for (let i = 0; i < WORKERS; i += 1) workers.push(spawnWorker(taskQueue, { JOBLINE_ALLOW_PRIVATE_TARGETS: '1' }));
        apis.push(...(await Promise.all(Array.from({ length: APIS }, () => spawnApi(taskQueue, { JOBLINE_ALLOW_PRIVATE_TARGETS: '1' })))));
        await waitForPollers(
          taskQueue,
          workers.map((worker) => worker.pid!),
        );
      });

      after(async () => {
        for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGTERM');
        await Promise.all(
          workers.map((worker) =>
            worker.exitCode === null && worker.signalCode === null ? new Promise((r) => worker.once('exit', r)) : undefined,
          ),
        );
        await Promise.all(apis.map((api) => api.stop()));
        await target?.close();
      });

      it(`runs ${JOBS} jobs once each, spread over every worker; a SIGKILLed worker's attempts finish on the others`, async () => {
        const submittedAt = Date.now();
        const ids = await mapLimit(
          Array.from({ length: JOBS }, (_, n) => n),
          16,
          (n) =>
            submitThrough(apis[n % APIS]!, {
              type: 'http',
              input: { method: 'POST', url: `${target.url}/effects/${n}`, body: { n } },
              // Long enough that a starved 2-core machine does not time attempts out; short enough that the
              // killed worker's attempts are retried within seconds.
              heartbeatTimeoutMs: 10_000,
              retry: { initialIntervalMs: 100 },
            }),
        );
        assert.equal(new Set(ids).size, JOBS, 'every submit started a job of its own');

        const completed = () => countByQuery(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`);
        const progress = setInterval(() => {
          void completed().then(
            (done) =>
              process.stdout.write(
                `      … ${done} completed, ${target.calls.length} side effects at ${Math.round((Date.now() - submittedAt) / 1000)} s\n`,
              ),
            () => undefined,
          );
        }, 10_000);
        after(() => clearInterval(progress));
        await waitUntil(`${KILL_AT * 100}% of the jobs completed`, 300_000, async () => (await completed()) >= JOBS * KILL_AT);
        const victim = workers[0]!;
        const inFlightAtKill = target.calls.length - (await completed());
        victim.kill('SIGKILL');
        await new Promise((resolve) => victim.once('exit', resolve));

        await waitUntil('every job completed', 300_000, async () => (await completed()) === JOBS);
        const elapsedS = (Date.now() - submittedAt) / 1000;

        // Every job through either API reads completed, once: one run per id, nothing else on the queue.
        const views = await mapLimit(ids, 16, async (id, n) => {
          const response = await fetch(`${apis[(n + 1) % APIS]!.url}/v1/jobs/${encodeURIComponent(id)}`);
          return (await response.json()) as { status: string; attempts: number };
        });
        assert.deepEqual(
          views.filter((view) => view.status !== 'completed'),
          [],
          'jobs not completed',
        );
        assert.equal(await countByQuery(`TaskQueue = '${taskQueue}'`), JOBS, 'one workflow run per job');

        const finals = await mapLimit(ids, 8, finalAttempt);
        const callsPerJob = new Map<number, number>();
        for (const call of target.calls) {
          const n = Number(/\/effects\/(\d+)$/.exec(call.path)?.[1]);
          callsPerJob.set(n, (callsPerJob.get(n) ?? 0) + 1);
        }
        const victimIdentity = `${victim.pid}@`;
        const retried: number[] = [];
        for (let n = 0; n < JOBS; n += 1) {
          const { attempt, identity } = finals[n]!;
          const calls = callsPerJob.get(n) ?? 0;
          assert.equal(views[n]!.attempts, attempt, `job ${n}: the view's attempts match history`);
          if (attempt === 1) {
            assert.equal(calls, 1, `job ${n}: one attempt, so exactly one side effect`);
          } else {
            retried.push(n);
            // The killed worker's attempt may or may not have reached the target before it died; no attempt twice.
            assert.ok(calls >= 1 && calls <= attempt, `job ${n}: ${calls} side effects for ${attempt} attempts`);
            assert.ok(!identity.startsWith(victimIdentity), `job ${n}: its retry ran on the killed worker`);
          }
        }
        assert.ok(retried.length > 0, `the kill interrupted attempts in flight (${inFlightAtKill} calls were outstanding)`);

        const byWorker = workers.map((worker) => finals.filter((final) => final.identity.startsWith(`${worker.pid}@`)).length);
        assert.equal(
          byWorker.reduce((a, b) => a + b, 0),
          JOBS,
          `every attempt ran on one of our workers: ${byWorker.join(', ')}`,
        );
        for (const [i, count] of byWorker.entries()) {
          assert.ok(count >= JOBS * MIN_SHARE, `worker ${i + 1} ran ${count} of ${JOBS} final attempts (${byWorker.join(', ')})`);
        }
        // Shown in the run's output: the figures README's scale-out section quotes.
        process.stdout.write(
          `      ${JOBS} jobs in ${elapsedS.toFixed(1)} s (${(JOBS / elapsedS).toFixed(1)} jobs/s); final attempts per worker ` +
            `${byWorker.join(' / ')} (worker 1 SIGKILLed at ${KILL_AT * 100}%); ${retried.length} jobs retried after the kill\n`,
        );
      });
    });

    it('a restart of the history service mid-run (SIGKILL, then start) loses no job', async function () {
      const settings = loadClusterSettings();
      const stack = await startStack();
      try {
        const ids: string[] = [];
        for (let n = 0; n < 100; n += 1) {
          const { status, body } = await stack.submit({
            type: 'echo',
            input: { value: n, sleepMs: 500 },
            retry: { initialIntervalMs: 100 },
          });
          assert.equal(status, 202);
          ids.push(body.id);
        }
        assert.ok(await stopProcess(settings, 'history', { signal: 'SIGKILL' }), 'history was running');
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        await startService(clusterBinaries(), settings, 'history');
        for (const [n, id] of ids.entries()) {
          const job = await stack.waitFor(id, (j) => j.status === 'completed', 180_000);
          assert.deepEqual((job.result as { value: unknown }).value, n);
        }
        const runs = await countByQuery(`TaskQueue = '${stack.taskQueue}'`);
        assert.equal(runs, ids.length, 'one run per job');
      } finally {
        await stack.stop();
      }
    });
  },
);
