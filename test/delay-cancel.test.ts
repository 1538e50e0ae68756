import assert from 'node:assert/strict';
import request from 'supertest';
import { temporalCli } from './support/cli';
import { startStack, type Stack } from './support/stack';

describe('delayed jobs', function () {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.stop());

  it('shows scheduled until delayMs has passed, and starts no earlier', async () => {
    const { status, body } = await stack.submit({ type: 'echo', input: { value: 'later' }, delayMs: 2_000 });
    assert.equal(status, 202);
    assert.equal(body.status, 'scheduled');
    const scheduledFor = Date.parse(body.scheduledFor!);
    assert.ok(scheduledFor - Date.parse(body.createdAt) >= 1_999);
    const seen = await stack.getJob(body.id);
    assert.equal(seen.status, 'scheduled');
    const done = await stack.waitFor(body.id, (j) => j.status === 'completed');
    assert.ok(Date.parse(done.startedAt!) >= scheduledFor, `started ${done.startedAt}, scheduled for ${body.scheduledFor}`);
    assert.deepEqual(done.result, { value: 'later' });
  });

  it('takes an absolute runAt, and runs a past runAt at once', async () => {
    const runAt = new Date(Date.now() + 1_500).toISOString();
    const future = await stack.submit({ type: 'echo', input: {}, runAt });
    assert.equal(future.body.scheduledFor, runAt);
    const past = await stack.submit({ type: 'echo', input: {}, runAt: new Date(Date.now() - 60_000).toISOString() });
    await stack.waitFor(past.body.id, (j) => j.status === 'completed', 5_000);
    const done = await stack.waitFor(future.body.id, (j) => j.status === 'completed');
    assert.ok(Date.parse(done.startedAt!) >= Date.parse(runAt));
  });
});

describe('cancellation', function () {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.stop());

  it('cancels the running attempt promptly and ends as cancelled; a second cancel is 409', async () => {
    const { body } = await stack.submit({ type: 'echo', input: { sleepMs: 60_000 } });
    await stack.waitFor(body.id, (j) => j.status === 'running');
    const requested = Date.now();
    const res = await request(stack.baseUrl).post(`/v1/jobs/${body.id}/cancel`).expect(202);
    assert.equal(res.body.cancelRequested, true);
    const cancelled = await stack.waitFor(body.id, (j) => j.status === 'cancelled', 10_000);
    // The workflow waits for the attempt to confirm: `cancelled` means the work really stopped.
    assert.ok(Date.now() - requested < 5_000, 'cancellation reaches the attempt through its heartbeat');
    assert.ok(cancelled.completedAt);
    const again = await request(stack.baseUrl).post(`/v1/jobs/${body.id}/cancel`).expect(409);
    assert.equal(again.body.type, '/problems/invalid-state');
  });

  it('shows the progress a running job reports through its heartbeats', async () => {
    const { body } = await stack.submit({ type: 'echo', input: { sleepMs: 4_000 } });
    const job = await stack.waitFor(body.id, (j) => j.status === 'running' && (j.progress?.done ?? 0) >= 1_000, 10_000);
    assert.equal(job.progress?.total, 4_000);
    assert.equal(job.progress?.unit, 'ms');
    assert.ok(job.progress!.percent! >= 25 && job.progress!.percent! < 100);
    await request(stack.baseUrl).post(`/v1/jobs/${body.id}/cancel`).expect(202);
  });

  it('cancels a scheduled job before it runs', async () => {
    const { body } = await stack.submit({ type: 'echo', input: {}, delayMs: 60_000 });
    await request(stack.baseUrl).post(`/v1/jobs/${body.id}/cancel`).expect(202);
    const job = await stack.waitFor(body.id, (j) => j.status === 'cancelled');
    assert.equal(job.attempts, 0);
  });

  it('cancels with the real `temporal workflow cancel`', async () => {
    const { body } = await stack.submit({ type: 'echo', input: { sleepMs: 60_000 } });
    await stack.waitFor(body.id, (j) => j.status === 'running');
    const run = temporalCli(['workflow', 'cancel', '--workflow-id', body.id]);
    assert.equal(run.status, 0, run.stderr);
    await stack.waitFor(body.id, (j) => j.status === 'cancelled', 10_000);
  });

  it('answers 409 for a finished job and 404 for an unknown one', async () => {
    const { body } = await stack.submit({ type: 'echo', input: {} });
    await stack.waitFor(body.id, (j) => j.status === 'completed');
    await request(stack.baseUrl).post(`/v1/jobs/${body.id}/cancel`).expect(409);
    await request(stack.baseUrl).post('/v1/jobs/echo-unknown/cancel').expect(404);
  });
});
