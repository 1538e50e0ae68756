import assert from 'node:assert/strict';
import type { Problem } from '../src/api/problem';
import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { ScheduleView } from '../src/api/schedule-view';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

interface Reply<T> {
  status: number;
  body: T;
  headers: Headers;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const echo = (input: Record<string, unknown> = {}) => ({ type: 'echo', input });

describe('schedules (real dev server, real HTTP)', function () {
  let stack: Stack;
  const created = new Set<string>();

  const uniqueId = (name: string) => {
    const id = `${name}-${randomUUID().slice(0, 8)}`;
    created.add(id);
    return id;
  };

  const call = async <T = ScheduleView>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> => {
    const response = await fetch(`${stack.baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
  };

  const path = (id: string, action = '') => `/v1/schedules/${encodeURIComponent(id)}${action}`;

  const create = async (body: Record<string, unknown>, headers?: Record<string, string>): Promise<ScheduleView> => {
    const reply = await call('POST', '/v1/schedules', body, headers);
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body;
  };

  const get = async (id: string): Promise<ScheduleView> => {
    const reply = await call('GET', path(id));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body;
  };

  const waitForSchedule = async (id: string, done: (s: ScheduleView) => boolean, timeoutMs = 10_000): Promise<ScheduleView> => {
    const deadline = Date.now() + timeoutMs;
    let last: ScheduleView | undefined;
    while (Date.now() < deadline) {
      last = await get(id);
      if (done(last)) return last;
      await sleep(100);
    }
    throw new Error(`schedule ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  };

  const expectProblem = (reply: Reply<unknown>, status: number, type: string): Problem => {
    assert.equal(reply.status, status, JSON.stringify(reply.body));
    assert.match(reply.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = reply.body as Problem;
    assert.equal(problem.type, `/problems/${type}`);
    assert.ok(problem.title.length > 0 && problem.detail.length > 0);
    return problem;
  };

  before(async () => {
    // These tests watch runs arrive every second; the one-minute default minimum is tested in bounds.test.ts.
    stack = await startStack({ env: { JOBLINE_SCHEDULE_MIN_INTERVAL_MS: '1000' } });
  });
  afterEach(async () => {
    const ids = [...created];
    created.clear();
    await Promise.all(
      ids.map((id) =>
        testEnv()
          .client.schedule.getHandle(id)
          .delete()
          .catch((err: unknown) => {
            if (!(err instanceof ScheduleNotFoundError)) throw err;
          }),
      ),
    );
  });
  after(async () => {
    await stack.stop();
  });

  it('an interval schedule starts a run every second, and each run is an ordinary job', async () => {
    const id = uniqueId('every-second');
    const schedule = await create(
      { id, intervalMs: 1_000, job: { ...echo({ value: { from: 'schedule' } }), metadata: { source: 'test' } } },
      { 'x-correlation-id': `corr-${id}`, 'idempotency-key': 'ignored-here' },
    );
    assert.equal(schedule.id, id);
    assert.deepEqual(schedule.spec, { intervalMs: 1_000, timezone: 'UTC' });
    assert.equal(schedule.overlap, 'skip');
    assert.equal(schedule.paused, false);
    assert.equal(schedule.job.type, 'echo');
    assert.equal(schedule.job.correlationId, `corr-${id}`);
    assert.ok(schedule.nextRunAt && Date.parse(schedule.nextRunAt) > Date.parse(schedule.createdAt));

    const fired = await waitForSchedule(id, (s) => s.recentRuns.length >= 2);
    const runs = fired.recentRuns.slice(0, 2);
    assert.notEqual(runs[0]!.jobId, runs[1]!.jobId);
    assert.ok(Date.parse(runs[0]!.scheduledAt) > Date.parse(runs[1]!.scheduledAt), 'recentRuns is newest first');
    for (const run of runs) {
      assert.ok(run.jobId.startsWith(`echo-schedule-${id}-`), run.jobId);
      const job = await stack.waitFor(run.jobId, (j) => j.status === 'completed', 10_000);
      assert.equal(job.id, run.jobId);
      assert.equal(job.type, 'echo');
      assert.deepEqual(job.result, { value: { from: 'schedule' } });
      assert.deepEqual(job.metadata, { source: 'test' });
      assert.equal(job.correlationId, `corr-${id}`);
      // Each run's createdAt is its own start, not the schedule's creation.
      const skew = Math.abs(Date.parse(job.createdAt) - Date.parse(run.startedAt));
      assert.ok(skew < 2_000, `run ${run.jobId} createdAt ${job.createdAt} vs started ${run.startedAt}`);
    }
    const visible = await testEnv().client.workflow.count(`TemporalScheduledById = '${id}'`);
    assert.ok(visible.count >= 1, 'runs are found by TemporalScheduledById');
  });

  it('a cron schedule is described with its cron, time zone and next run times', async () => {
    const id = uniqueId('weekday-noon');
    const made = await create({ id, cron: '0 12 * * MON-FRI', timezone: 'Europe/Paris', job: echo(), note: 'weekday noon in Paris' });
    assert.deepEqual(made.spec, { cron: '0 12 * * MON-FRI', timezone: 'Europe/Paris' });

    const schedule = await get(id);
    assert.equal(schedule.note, 'weekday noon in Paris');
    assert.deepEqual(schedule.recentRuns, []);
    assert.ok(schedule.nextRunsAt.length >= 5);
    assert.equal(schedule.nextRunAt, schedule.nextRunsAt[0]);
    assert.ok(Date.parse(schedule.nextRunAt!) > Date.now());
    const paris = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    for (const at of schedule.nextRunsAt) {
      const parts = Object.fromEntries(paris.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
      assert.equal(`${parts.hour}:${parts.minute}`, '12:00', at);
      assert.ok(!['Sat', 'Sun'].includes(parts.weekday ?? ''), `${at} is a ${parts.weekday}`);
    }
    // After an outage, missed runs are caught up for an hour, not for the SDK's default of a year.
    const described = await testEnv().client.schedule.getHandle(id).describe();
    assert.equal(described.policies.catchupWindow, 60 * 60_000);

    const twice = uniqueId('twice-a-day');
    const many = await create({ id: twice, cron: ['0 6 * * *', '0 18 * * *'], job: echo() });
    assert.deepEqual(many.spec, { cron: ['0 6 * * *', '0 18 * * *'], timezone: 'UTC' });
    assert.deepEqual(new Set(many.nextRunsAt.map((at) => new Date(at).getUTCHours())), new Set([6, 18]));
  });

  it('GET /v1/schedules lists only the schedules that start jobs on its own task queue', async () => {
    const client = testEnv().client.schedule;
    const spec = { intervals: [{ every: '1h' }] };
    const otherQueue = uniqueId('other-queue');
    await client.create({
      scheduleId: otherQueue,
      spec,
      action: { type: 'startWorkflow', workflowType: 'runJob', taskQueue: `elsewhere-${randomUUID()}`, args: [] },
      state: { paused: true },
    });
    const otherWorkflow = uniqueId('other-workflow');
    await client.create({
      scheduleId: otherWorkflow,
      spec,
      action: { type: 'startWorkflow', workflowType: 'somethingElse', taskQueue: stack.taskQueue, args: [] },
      state: { paused: true },
    });
    const ours = uniqueId('ours');
    await create({ id: ours, intervalMs: 3_600_000, job: echo(), paused: true });

    // Listing reads the visibility store, which trails writes.
    const deadline = Date.now() + 10_000;
    let listed: ScheduleView[] = [];
    while (Date.now() < deadline) {
      const reply = await call<{ schedules: ScheduleView[] }>('GET', '/v1/schedules');
      assert.equal(reply.status, 200);
      listed = reply.body.schedules;
      if (listed.some((s) => s.id === ours)) break;
      await sleep(200);
    }
    const ids = listed.map((s) => s.id);
    assert.ok(ids.includes(ours), `${ours} missing from ${JSON.stringify(ids)}`);
    assert.ok(!ids.includes(otherQueue) && !ids.includes(otherWorkflow), JSON.stringify(ids));
    assert.equal(listed.find((s) => s.id === ours)?.paused, true);

    expectProblem(await call('GET', path(otherQueue)), 404, 'schedule-not-found');
    expectProblem(await call('POST', path(otherWorkflow, '/trigger')), 404, 'schedule-not-found');
  });

  it('pause stops the runs and resume starts them again', async () => {
    const id = uniqueId('pausable');
    await create({ id, intervalMs: 1_000, job: echo(), note: 'every second' });
    await waitForSchedule(id, (s) => s.recentRuns.length >= 1);

    const paused = await call('POST', path(id, '/pause'), { note: 'maintenance' });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.paused, true);
    assert.equal(paused.body.note, 'maintenance');
    assert.equal(paused.body.nextRunAt, undefined);
    assert.deepEqual(paused.body.nextRunsAt, []);

    // A run the scheduler had already begun when the pause arrived may still show up; count after it.
    await sleep(500);
    const before = (await get(id)).recentRuns;
    await sleep(2_500);
    const during = await get(id);
    assert.deepEqual(during.recentRuns, before, 'a paused schedule started a run');

    const resumed = await call('POST', path(id, '/resume'));
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.paused, false);
    assert.equal(resumed.body.note, 'maintenance', 'resume without a note keeps the note');
    assert.ok(resumed.body.nextRunAt);
    await waitForSchedule(id, (s) => s.recentRuns[0]?.jobId !== before[0]?.jobId, 5_000);
  });

  it('trigger starts a run now, and the schedule overlap policy applies to it', async () => {
    // Yearly: nothing but the triggers runs during the test.
    const yearly = { cron: '0 0 1 1 *', job: echo({ value: 'triggered', sleepMs: 3_000 }) };
    const skip = uniqueId('trigger-skip');
    const allowAll = uniqueId('trigger-allow-all');
    await create({ id: skip, ...yearly });
    await create({ id: allowAll, ...yearly, overlap: 'allow_all' });

    for (const id of [skip, allowAll]) {
      const reply = await call('POST', path(id, '/trigger'));
      assert.equal(reply.status, 202, JSON.stringify(reply.body));
      assert.equal(reply.headers.get('location'), path(id));
    }
    const [first] = (await waitForSchedule(skip, (s) => s.recentRuns.length === 1)).recentRuns;
    await waitForSchedule(allowAll, (s) => s.recentRuns.length === 1);
    await stack.waitFor(first!.jobId, (j) => j.status === 'running', 5_000);
    // Run ids have one-second resolution: trigger again in a later second, while the first runs are running.
    await sleep(1_100);
    for (const id of [skip, allowAll]) assert.equal((await call('POST', path(id, '/trigger'))).status, 202);
    assert.equal((await stack.getJob(first!.jobId)).status, 'running', 'the second trigger came after the first run ended');

    await waitForSchedule(allowAll, (s) => s.recentRuns.length === 2);
    const job = await stack.waitFor(first!.jobId, (j) => j.status === 'completed', 10_000);
    assert.deepEqual(job.result, { value: 'triggered' });
    await sleep(300);
    const runs = (await get(skip)).recentRuns;
    assert.equal(runs.length, 1, `overlap skip: a trigger during a run starts nothing; runs: ${JSON.stringify(runs)}`);
  });

  it('delete removes the schedule; it and unknown ids are 404 problem+json', async () => {
    const id = uniqueId('short-lived');
    await create({ id, intervalMs: 60_000, job: echo() });
    const deleted = await call('DELETE', path(id));
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, undefined);

    for (const target of [id, 'never-created', 'not a valid id']) {
      expectProblem(await call('GET', path(target)), 404, 'schedule-not-found');
      expectProblem(await call('DELETE', path(target)), 404, 'schedule-not-found');
      for (const action of ['/pause', '/resume', '/trigger']) {
        expectProblem(await call('POST', path(target, action)), 404, 'schedule-not-found');
      }
    }
  });

  it('a second schedule with the same id is 409 schedule-exists', async () => {
    const id = uniqueId('only-once');
    await create({ id, intervalMs: 60_000, job: echo(), paused: true });
    const again = await call('POST', '/v1/schedules', { id, cron: '0 * * * *', job: echo() });
    expectProblem(again, 409, 'schedule-exists');
    assert.deepEqual((await get(id)).spec, { intervalMs: 60_000, timezone: 'UTC' }, 'the first schedule is untouched');
  });

  it('bad schedules are 400 naming each field, the job fields under job., and create nothing', async () => {
    const job = echo();
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['both', { cron: '0 * * * *', intervalMs: 60_000, job }, ['intervalMs']],
      ['neither', { job }, ['cron']],
      ['bad-cron', { cron: 'not a cron', job }, ['cron']],
      ['out-of-range-cron', { cron: ['0 * * * *', '61 * * * *'], job }, ['cron.1']],
      ['bad-tz', { cron: '0 * * * *', timezone: 'Mars/Olympus', job }, ['timezone']],
      // Intl accepts this one; the server does not, and has the last word.
      ['lowercase-tz', { cron: '0 * * * *', timezone: 'utc', job }, ['timezone']],
      ['sub-second', { intervalMs: 1_500, job }, ['intervalMs']],
      ['too-often', { intervalMs: 500, job }, ['intervalMs']],
      ['bad-input', { intervalMs: 60_000, job: echo({ sleepMs: 'soon' }) }, ['job.input.sleepMs']],
      ['bad-option', { intervalMs: 60_000, job: { ...job, priority: 9 } }, ['job.priority']],
      ['run-at', { intervalMs: 60_000, job: { ...job, runAt: '2030-01-01T00:00:00Z' } }, ['job.runAt']],
      ['delay', { intervalMs: 60_000, job: { ...job, delayMs: 1_000 } }, ['job.delayMs']],
      ['no-job', { intervalMs: 60_000 }, ['job']],
      ['job-not-object', { intervalMs: 60_000, job: 'echo' }, ['job']],
      ['bad-overlap', { intervalMs: 60_000, job, overlap: 'sometimes' }, ['overlap']],
      ['unknown-field', { intervalMs: 60_000, job, colour: 'red' }, ['(body)']],
      ['both-levels', { intervalMs: 1_500, job: echo({ sleepMs: 'soon' }) }, ['intervalMs', 'job.input.sleepMs']],
    ];
    const ids: string[] = [];
    for (const [name, body, fields] of cases) {
      const id = uniqueId(`invalid-${name}`);
      ids.push(id);
      const problem = expectProblem(await call('POST', '/v1/schedules', { id, ...body }), 400, 'invalid-request');
      assert.deepEqual(problem.errors?.map((e) => e.field).sort(), fields, `${name}: ${JSON.stringify(problem.errors)}`);
    }

    const badId = expectProblem(await call('POST', '/v1/schedules', { id: 'has spaces', intervalMs: 60_000, job }), 400, 'invalid-request');
    assert.deepEqual(
      badId.errors?.map((e) => e.field),
      ['id'],
    );
    const unknownType = expectProblem(
      await call('POST', '/v1/schedules', { id: uniqueId('fax'), intervalMs: 60_000, job: { type: 'fax', input: {} } }),
      400,
      'unknown-job-type',
    );
    assert.deepEqual(
      unknownType.errors?.map((e) => e.field),
      ['job.type'],
    );
    const notJson = await fetch(`${stack.baseUrl}/v1/schedules`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(notJson.status, 415);

    for (const id of ids) expectProblem(await call('GET', path(id)), 404, 'schedule-not-found');
  });
});
