import assert from 'node:assert/strict';
import request from 'supertest';
import type { JobView } from '../src/api/job-view';
import type { Problem } from '../src/api/problem';
import { useStack } from './support/use-stack';

/** Fails for good: its overall timeout passes while it sleeps. */
const timingOut = { type: 'echo', input: { sleepMs: 5_000 }, attemptTimeoutMs: 200, timeoutMs: 600, retry: { initialIntervalMs: 100 } };
const at = (time: string | undefined): number => {
  assert.ok(time, 'a timestamp is missing');
  return Date.parse(time);
};

describe('standalone job dependencies (dependsOn)', function () {
  this.timeout(90_000);
  const suite = useStack();
  const api = () => request(suite.stack.baseUrl);

  const submit = async (body: object, headers?: Record<string, string>): Promise<JobView> => {
    const res = await suite.stack.submit(body, headers);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body;
  };
  const cancel = (id: string) =>
    api()
      .post(`/v1/jobs/${encodeURIComponent(id)}/cancel`)
      .expect(202);

  it('waits while its dependencies run, runs after the last completed, and receives their results', async () => {
    const done = await submit({ type: 'echo', input: { value: 'early' } });
    await suite.stack.waitFor(done.id, (j) => j.status === 'completed');
    const slow = await submit({ type: 'echo', input: { value: 'late', sleepMs: 2_500 } });

    const dependent = await submit({ type: 'echo', input: { value: 'mine' }, dependsOn: [done.id, slow.id] });
    assert.equal(dependent.status, 'waiting');
    assert.deepEqual(dependent.dependsOn, [done.id, slow.id]);

    const waiting = await suite.stack.getJob(dependent.id);
    const slowMeanwhile = await suite.stack.getJob(slow.id);
    assert.notEqual(slowMeanwhile.status, 'completed', 'the dependency finished too soon for this test to mean anything');
    assert.equal(waiting.status, 'waiting');
    assert.equal(waiting.attempts, 0);
    assert.equal(waiting.startedAt, undefined, 'the wait is not an attempt');
    assert.deepEqual(waiting.dependsOn, [done.id, slow.id]);

    // The listing's status filter finds it (visibility lags a moment behind, hence the polling).
    let listed: string[] = [];
    for (let tries = 0; tries < 30 && !listed.includes(dependent.id); tries += 1) {
      const page = (await api().get('/v1/jobs').query({ status: 'waiting', type: 'echo' }).expect(200)).body as { jobs: JobView[] };
      listed = page.jobs.map((job) => job.id);
      if (!listed.includes(dependent.id)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(listed.includes(dependent.id), `GET /v1/jobs?status=waiting lists ${dependent.id}: ${JSON.stringify(listed)}`);

    const finished = await suite.stack.waitFor(dependent.id, (j) => j.status === 'completed');
    const slowDone = await suite.stack.getJob(slow.id);
    const earlyDone = await suite.stack.getJob(done.id);
    assert.ok(
      at(finished.startedAt) >= at(slowDone.completedAt),
      `started ${finished.startedAt} before ${slow.id} completed ${slowDone.completedAt}`,
    );
    assert.ok(at(finished.startedAt) >= at(earlyDone.completedAt));
    assert.equal(finished.attempts, 1);
    assert.deepEqual(finished.result, { value: 'mine', received: { [done.id]: 'early', [slow.id]: 'late' } });
  });

  it('a dead-lettered dependency keeps it waiting; once discarded, the job fails naming it', async () => {
    const target = await suite.target([{ status: 400 }]);
    const call = await submit({ type: 'http', input: { url: target.url } });
    const dependent = await submit({ type: 'echo', input: {}, dependsOn: [call.id] });
    await suite.stack.waitFor(call.id, (j) => j.status === 'dead_lettered');
    assert.equal((await suite.stack.getJob(dependent.id)).status, 'waiting');

    await api()
      .post(`/v1/dead-letters/${encodeURIComponent(call.id)}/discard`)
      .send({ reason: 'obsolete' })
      .expect(202);
    const failed = await suite.stack.waitFor(dependent.id, (j) => j.status === 'failed');
    assert.equal(failed.lastError?.type, 'DependencyFailed');
    assert.match(failed.lastError?.message ?? '', new RegExp(`^dependency ${call.id} failed: obsolete: .*400`));
    assert.equal(failed.attempts, 0, 'its own work never ran');
    assert.ok(at(failed.completedAt) >= at((await suite.stack.getJob(call.id)).completedAt));
    const result = await api().get(`/v1/jobs/${dependent.id}/result`);
    assert.equal(result.status, 409);
  });

  it('fails as soon as one dependency fails (here: times out), without waiting for the others', async () => {
    const slow = await submit({ type: 'echo', input: { sleepMs: 60_000 } });
    const doomed = await submit(timingOut);
    const dependent = await submit({ type: 'echo', input: {}, dependsOn: [slow.id, doomed.id] });
    const failed = await suite.stack.waitFor(dependent.id, (j) => j.status === 'failed', 30_000);
    assert.equal(failed.lastError?.type, 'DependencyFailed');
    assert.match(failed.lastError?.message ?? '', new RegExp(`^dependency ${doomed.id} timed_out: overall timeout of 600 ms exceeded`));
    assert.match((await suite.stack.getJob(slow.id)).status, /^(queued|running)$/, 'the other dependency is left alone');
    await cancel(slow.id);
    await suite.stack.waitFor(slow.id, (j) => j.status === 'cancelled');
  });

  it('a job that outlives its own timeoutMs while waiting ends timed_out', async () => {
    const slow = await submit({ type: 'echo', input: { sleepMs: 60_000 } });
    const dependent = await submit({ type: 'echo', input: {}, dependsOn: [slow.id], timeoutMs: 1_000 });
    const timedOut = await suite.stack.waitFor(dependent.id, (j) => j.status === 'timed_out', 30_000);
    assert.equal(timedOut.lastError?.timeout, 'overall');
    assert.match(timedOut.lastError?.message ?? '', new RegExp(`while waiting for ${slow.id}$`));
    await cancel(slow.id);
  });

  it('cancelling a waiting job cancels it and leaves its dependency running', async () => {
    const slow = await submit({ type: 'echo', input: { sleepMs: 60_000 } });
    const dependent = await submit({ type: 'echo', input: {}, dependsOn: [slow.id] });
    assert.equal((await suite.stack.getJob(dependent.id)).status, 'waiting');
    const res = await cancel(dependent.id);
    assert.equal(res.body.cancelRequested, true);
    const cancelled = await suite.stack.waitFor(dependent.id, (j) => j.status === 'cancelled', 15_000);
    assert.ok(cancelled.completedAt);
    assert.match((await suite.stack.getJob(slow.id)).status, /^(queued|running)$/, 'the dependency is left alone');
    await cancel(slow.id);
  });

  it('a pipeline waits too, and its root nodes receive the results', async () => {
    const upstream = await submit({ type: 'echo', input: { value: 'up', sleepMs: 1_500 } });
    const pipeline = await submit({
      type: 'pipeline',
      input: {
        nodes: [
          { id: 'a', type: 'echo', input: { value: 'a' } },
          { id: 'b', type: 'echo', input: { value: 'b' }, dependsOn: ['a'] },
        ],
      },
      dependsOn: [upstream.id],
    });
    assert.equal(pipeline.status, 'waiting');
    assert.equal((await suite.stack.getJob(pipeline.id)).status, 'waiting');
    await suite.stack.waitFor(pipeline.id, (j) => j.status === 'completed');
    const [a, b, up] = await Promise.all([`${pipeline.id}/a`, `${pipeline.id}/b`, upstream.id].map((id) => suite.stack.getJob(id)));
    assert.ok(at(a!.startedAt) >= at(up!.completedAt));
    assert.deepEqual(a!.result, { value: 'a', received: { [upstream.id]: 'up' } });
    assert.deepEqual(b!.result, { value: 'b', received: { a: 'a' } });
  });

  it('unknown job ids are 400 naming each one, and start nothing', async () => {
    const known = await submit({ type: 'echo', input: {} });
    const key = `unknown-deps-${Date.now()}`;
    const res = await suite.stack.submit(
      { type: 'echo', input: {}, dependsOn: [known.id, 'echo-nope', 'http-nope'] },
      { 'Idempotency-Key': key },
    );
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = res.body as unknown as Problem;
    assert.equal(problem.type, '/problems/invalid-request');
    assert.deepEqual(problem.errors, [
      { field: 'dependsOn.1', message: 'no job with id "echo-nope"' },
      { field: 'dependsOn.2', message: 'no job with id "http-nope"' },
    ]);
    assert.match(problem.detail, /dependsOn\.1: .*echo-nope/);
    await api().get(`/v1/jobs/echo-idem-${key}`).expect(404);
  });

  it('a malformed dependsOn is 400 naming the field; schedules refuse it', async () => {
    const cases: Array<[unknown, string]> = [
      [[], 'dependsOn'],
      ['echo-1', 'dependsOn'],
      [[42], 'dependsOn.0'],
      [[''], 'dependsOn.0'],
      [['echo-a', 'echo-b', 'echo-a'], 'dependsOn.2'],
      [Array.from({ length: 101 }, (_, i) => `echo-${i}`), 'dependsOn'],
    ];
    for (const [dependsOn, field] of cases) {
      const res = await suite.stack.submit({ type: 'echo', input: {}, dependsOn });
      assert.equal(res.status, 400, `${JSON.stringify(dependsOn)}: ${JSON.stringify(res.body)}`);
      const errors = (res.body as unknown as Problem).errors ?? [];
      assert.ok(
        errors.some((e) => e.field === field),
        `${JSON.stringify(dependsOn)} should name ${field}: ${JSON.stringify(errors)}`,
      );
    }
    const schedule = await api()
      .post('/v1/schedules')
      .send({ id: `deps-${Date.now()}`, intervalMs: 60_000, job: { type: 'echo', input: {}, dependsOn: ['echo-1'] } });
    assert.equal(schedule.status, 400);
    assert.ok(
      (schedule.body as Problem).errors?.some((e) => e.field === 'job.dependsOn'),
      JSON.stringify(schedule.body),
    );
  });

  it('an Idempotency-Key covers dependsOn: the same request finds the job, other dependencies conflict', async () => {
    const first = await submit({ type: 'echo', input: {} });
    const second = await submit({ type: 'echo', input: {} });
    const key = `deps-${Date.now()}`;
    const body = { type: 'echo', input: {}, dependsOn: [first.id] };
    const created = await suite.stack.submit(body, { 'Idempotency-Key': key });
    assert.equal(created.status, 202);
    const again = await suite.stack.submit(body, { 'Idempotency-Key': key });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, created.body.id);
    const other = await suite.stack.submit({ ...body, dependsOn: [second.id] }, { 'Idempotency-Key': key });
    assert.equal(other.status, 409);
    await suite.stack.waitFor(created.body.id, (j) => j.status === 'completed');
  });
});
