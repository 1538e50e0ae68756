import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { classTaskQueue, RESOURCE_CLASSES } from '../src/jobs/resource-classes';
import { BATCH_HANDLERS } from '../src/batch/handlers';
import { JOB_TYPES } from '../src/jobs';
import { findJobType } from '../src/jobs';
import { resourceClassOf } from '../src/jobs/define';
import { loadConfig, PROJECT_ROOT } from '../src/config';
import { workerClassesFromArgs } from '../src/pools/worker-args';
import { makeReportDirs, type ReportDirs } from './support/reports';
import { startStack, type Stack } from './support/stack';
import { startTarget, type Target } from './support/target';
import { spawnWorker } from './support/worker-process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ORDERS = `id,ordered_at,region,product,quantity,amount_cents
1,2025-01-05T10:00:00Z,north,Mug,1,1000
2,2025-01-20T10:00:00Z,south,Kettle,2,5000
`;

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
}

describe('worker pools per resource class (issue 16)', function () {
  this.timeout(120_000);

  it('names one queue per class and declares each job type and batch handler on one', () => {
    assert.equal(classTaskQueue('jobline', 'default'), 'jobline');
    assert.equal(classTaskQueue('jobline', 'io'), 'jobline-io');
    assert.equal(classTaskQueue('jobline', 'reports'), 'jobline-reports');
    assert.equal(resourceClassOf(findJobType('echo')!, {}), 'default');
    assert.equal(resourceClassOf(findJobType('http')!, {}), 'io');
    assert.equal(resourceClassOf(findJobType('report')!, {}), 'reports');
    assert.equal(resourceClassOf(findJobType('batch')!, { handler: 'http-deliver' }), 'io');
    assert.equal(resourceClassOf(findJobType('batch')!, { handler: 'pg-upsert' }), 'io');
    assert.equal(resourceClassOf(findJobType('batch')!, { handler: 'noop' }), 'default');
    // A worker without flags serves every class; --queues and JOBLINE_WORKER_QUEUES narrow it.
    assert.deepEqual(loadConfig({}).worker.classes, ['default', 'io', 'reports']);
    assert.deepEqual(loadConfig({ JOBLINE_WORKER_QUEUES: 'reports, io' }).worker.classes, ['reports', 'io']);
    assert.deepEqual(workerClassesFromArgs(['--queues', 'reports']), ['reports']);
    assert.deepEqual(workerClassesFromArgs(['--queues=io,default']), ['io', 'default']);
    assert.equal(workerClassesFromArgs([]), undefined);
    assert.throws(() => workerClassesFromArgs(['--queues', 'gpu']), /not resource classes: gpu/);
    assert.throws(() => workerClassesFromArgs(['--queue', 'io']), /usage: --queues/);
    assert.throws(() => loadConfig({ JOBLINE_WORKER_QUEUES: 'cpu' }), /JOBLINE_WORKER_QUEUES/);
    const slots = loadConfig({ JOBLINE_WORKER_SLOTS: 'io=50,reports=4' }).worker.slots;
    assert.deepEqual(slots, { byClass: { io: 50, reports: 4 } });
  });

  it("README's class table and docker-compose's worker name every class, job type and handler as the code does", () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const rows = new Map(
      [...readme.matchAll(/^\| `([a-z]+)` \|(.*)\|(.*)\| `([a-z-]+)` \|$/gm)].map((m) => [
        m[1]!,
        { types: m[2]!, handlers: m[3]!, queue: m[4]! },
      ]),
    );
    assert.deepEqual([...rows.keys()], [...RESOURCE_CLASSES]);
    for (const resourceClass of RESOURCE_CLASSES) assert.equal(rows.get(resourceClass)!.queue, classTaskQueue('jobline', resourceClass));
    for (const jobType of JOB_TYPES.filter((t) => t.activity)) {
      const row = rows.get(resourceClassOf(jobType, {}))!;
      assert.match(row.types, new RegExp(`\`${jobType.type}\``), `${jobType.type} in the README row of its class`);
    }
    for (const handler of BATCH_HANDLERS) assert.match(rows.get(handler.resourceClass)!.handlers, new RegExp(`\`${handler.name}\``));
    const compose = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const served = loadConfig({ JOBLINE_WORKER_QUEUES: compose.services.worker!.environment!.JOBLINE_WORKER_QUEUES! }).worker.classes;
    assert.deepEqual([...served].sort(), [...RESOURCE_CLASSES].sort(), 'the compose worker serves every class');
  });

  describe('one worker process, a flood of slow default-class jobs', () => {
    let stack: Stack;
    let target: Target;
    before(async () => {
      stack = await startStack({ env: { JOBLINE_WORKER_SLOTS: 'default=5' } });
      target = await startTarget([200]);
    });
    after(async () => {
      await stack.stop();
      await target.close();
    });

    it('100 long echo jobs hold only the default slots: an http job (class io) still starts within 5 s', async () => {
      const ids: string[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 10 }, (_, i) => stack.submit({ type: 'echo', input: { value: batch * 10 + i, sleepMs: 20_000 } })),
        );
        for (const reply of replies) {
          assert.equal(reply.status, 202);
          ids.push(reply.body.id);
        }
      }
      // Wait until the default pool is saturated: 5 running, the rest queued behind them.
      const deadline = Date.now() + 30_000;
      const statuses = async () => {
        const views = await Promise.all(ids.map((id) => stack.getJob(id)));
        return { running: views.filter((v) => v.status === 'running').length, queued: views.filter((v) => v.status === 'queued').length };
      };
      let counts = await statuses();
      while (counts.running < 5 && Date.now() < deadline) {
        await sleep(500);
        counts = await statuses();
      }
      assert.deepEqual(counts, { running: 5, queued: 95 }, 'the default class runs 5 at a time; the rest wait');

      const submittedAt = Date.now();
      const http = await stack.submit({ type: 'http', input: { url: target.url } });
      assert.equal(http.status, 202);
      const done = await stack.waitFor(http.body.id, (job) => job.status === 'completed', 15_000);
      const startedAfter = target.calls[0]!.at - submittedAt;
      assert.ok(startedAfter < 5_000, `the http job started ${startedAfter} ms after its submission`);
      assert.equal(done.attempts, 1);
      // Still held: the echo flood did not move.
      assert.deepEqual(await statuses(), { running: 5, queued: 95 });
    });
  });

  describe('workers that serve some classes only', () => {
    let stack: Stack;
    let target: Target;
    let dirs: ReportDirs;
    const workers: ChildProcess[] = [];
    before(async () => {
      dirs = makeReportDirs();
      fs.writeFileSync(path.join(dirs.sourceDir, 'orders.csv'), ORDERS);
      // In the test process: workflows and the default class only.
      stack = await startStack({ env: { ...dirs.env, JOBLINE_WORKER_QUEUES: 'default' } });
      target = await startTarget([200]);
    });
    after(async () => {
      await Promise.all(workers.map(stopProcess));
      await stack.stop();
      await target.close();
      dirs.cleanup();
    });

    const startWorker = (classes: string) => {
      const child = spawnWorker(stack.taskQueue, {
        ...dirs.env,
        JOBLINE_WORKER_QUEUES: classes,
        JOBLINE_SHUTDOWN_GRACE_MS: '2000',
        JOBLINE_ALLOW_PRIVATE_TARGETS: '1',
      });
      workers.push(child);
      return child;
    };
    const report = { type: 'report', input: { report: 'sales-summary', source: { type: 'csv', path: 'orders.csv' }, formats: ['json'] } };

    it('a reports worker runs reports while an io worker runs http; with the io worker stopped, http waits and reports go on', async () => {
      startWorker('reports');
      const io = startWorker('io');

      const first = await Promise.all([stack.submit(report), stack.submit({ type: 'http', input: { url: target.url } })]);
      for (const reply of first) assert.equal(reply.status, 202, JSON.stringify(reply.body));
      // A spawned worker takes a few seconds to start.
      await Promise.all(first.map((reply) => stack.waitFor(reply.body.id, (job) => job.status === 'completed', 60_000)));
      assert.equal(target.calls.length, 1);

      await stopProcess(io);
      const http = await stack.submit({ type: 'http', input: { url: target.url } });
      const reports = await Promise.all([stack.submit(report), stack.submit(report)]);
      await Promise.all(reports.map((reply) => stack.waitFor(reply.body.id, (job) => job.status === 'completed', 30_000)));
      await sleep(1_000);
      assert.equal((await stack.getJob(http.body.id)).status, 'queued', 'no io worker: the http job waits');
      assert.equal(target.calls.length, 1);

      // An io worker again: the waiting job runs.
      startWorker('io');
      await stack.waitFor(http.body.id, (job) => job.status === 'completed', 60_000);
      assert.equal(target.calls.length, 2);
    });
  });
});
