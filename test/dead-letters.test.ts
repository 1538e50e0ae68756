import assert from 'node:assert/strict';
import request from 'supertest';
import type { JobView } from '../src/api/job-view';
import { temporalCli } from './support/cli';
import type { Target } from './support/target';
import { useStack } from './support/use-stack';

const fast = { initialIntervalMs: 100, backoffCoefficient: 2, maxIntervalMs: 500, jitter: 0.2 };

describe('dead letters', function () {
  const suite = useStack();

  /** A job whose first call gets a 400 (non-retryable: parked at once) and whose later calls get `then`. */
  async function deadLetteredJob(then = 200): Promise<{ job: JobView; target: Target }> {
    const target = await suite.target([{ status: 400, body: 'missing field' }, then]);
    const { body } = await suite.stack.submit({
      type: 'http',
      input: { url: `${target.url}/orders` },
      retry: fast,
      metadata: { case: 'dlq' },
    });
    const job = await suite.stack.waitFor(body.id, (j) => j.status === 'dead_lettered');
    return { job, target };
  }

  const api = () => request(suite.stack.baseUrl);

  it('parks an exhausted job with its error, and lists and shows it with its input', async () => {
    const { job } = await deadLetteredJob();
    assert.equal(job.lastError?.type, 'HttpClientError');
    assert.equal(job.attempts, 1);

    let listed: JobView[] = [];
    for (let i = 0; i < 50 && !listed.some((j) => j.id === job.id); i += 1) {
      listed = (await api().get('/v1/dead-letters?type=http&limit=100').expect(200)).body.jobs as JobView[];
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const entry = listed.find((j) => j.id === job.id);
    assert.ok(entry, 'the dead letter is listed');
    assert.equal(entry.status, 'dead_lettered');
    assert.ok(listed.every((j) => j.status === 'dead_lettered' && j.type === 'http'));

    const detail = (await api().get(`/v1/dead-letters/${job.id}`).expect(200)).body;
    assert.match((detail.input as { url: string }).url, /\/orders$/);
    assert.equal(detail.deadLetterHistory.length, 1);
    assert.equal(detail.deadLetterHistory[0].type, 'HttpClientError');
    assert.deepEqual(detail.metadata, { case: 'dlq' });
  });

  it('retries from the API with fresh attempts and completes', async () => {
    const { job, target } = await deadLetteredJob(200);
    const res = await api().post(`/v1/dead-letters/${job.id}/retry`).expect(202);
    assert.equal(res.body.retryRequested, true);
    const done = await suite.stack.waitFor(job.id, (j) => j.status === 'completed');
    assert.equal(done.attempts, 1, 'the retry starts a fresh round of attempts');
    assert.equal(target.calls.length, 2);
  });

  it('retries with a corrected input, validated against the job type', async () => {
    const { job, target } = await deadLetteredJob(500);
    const good = await suite.target([200]);
    const invalid = await api()
      .post(`/v1/dead-letters/${job.id}/retry`)
      .send({ input: { url: 'not a url' } })
      .expect(400);
    assert.deepEqual(
      invalid.body.errors.map((e: { field: string }) => e.field),
      ['input.url'],
    );
    await api()
      .post(`/v1/dead-letters/${job.id}/retry`)
      .send({ input: { url: `${good.url}/fixed` }, reason: 'fixed the url' })
      .expect(202);
    const done = await suite.stack.waitFor(job.id, (j) => j.status === 'completed');
    assert.equal(good.calls.length, 1);
    assert.equal(good.calls[0]!.path, '/fixed');
    assert.equal(target.calls.length, 1, 'the old url is not called again');
    assert.equal((done.result as { status: number }).status, 200);
  });

  it('discards from the API: the job ends failed and keeps its error', async () => {
    const { job } = await deadLetteredJob();
    await api().post(`/v1/dead-letters/${job.id}/discard`).send({ reason: 'customer deleted' }).expect(202);
    const failed = await suite.stack.waitFor(job.id, (j) => j.status === 'failed');
    assert.equal(failed.lastError?.type, 'HttpClientError');
    assert.ok(failed.completedAt);
    const result = await api().get(`/v1/jobs/${job.id}/result`).expect(409);
    assert.equal(result.body.jobStatus, 'failed');
  });

  it('answers 409 to retry or discard a job that is not dead-lettered, and 404 for an unknown one', async () => {
    const { body } = await suite.stack.submit({ type: 'echo', input: { value: 1 } });
    await suite.stack.waitFor(body.id, (j) => j.status === 'completed');
    assert.equal((await api().post(`/v1/dead-letters/${body.id}/retry`).expect(409)).body.type, '/problems/invalid-state');
    await api().post(`/v1/dead-letters/${body.id}/discard`).expect(409);
    await api().post('/v1/dead-letters/echo-nope/retry').expect(404);
  });

  it('retries with the real `temporal` CLI: temporal workflow signal --name retry', async () => {
    const { job, target } = await deadLetteredJob(200);
    const listed = temporalCli(['workflow', 'list', '--query', `JobStatus='dead_lettered' AND WorkflowId='${job.id}'`]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok(listed.stdout.includes(job.id), 'the CLI finds it by the JobStatus search attribute');

    const signalled = temporalCli(['workflow', 'signal', '--workflow-id', job.id, '--name', 'retry']);
    assert.equal(signalled.status, 0, signalled.stderr);
    await suite.stack.waitFor(job.id, (j) => j.status === 'completed');
    assert.equal(target.calls.length, 2);
  });

  it('retries with a corrected input from the CLI, and discards from the CLI', async () => {
    const { job: toFix } = await deadLetteredJob(500);
    const good = await suite.target([200]);
    const input = JSON.stringify({ input: { url: `${good.url}/cli`, method: 'POST', headers: {}, timeoutMs: 5000 } });
    assert.equal(temporalCli(['workflow', 'signal', '--workflow-id', toFix.id, '--name', 'retry', '--input', input]).status, 0);
    await suite.stack.waitFor(toFix.id, (j) => j.status === 'completed');
    assert.equal(good.calls[0]?.path, '/cli');

    const { job: toDrop } = await deadLetteredJob();
    assert.equal(
      temporalCli(['workflow', 'signal', '--workflow-id', toDrop.id, '--name', 'discard', '--input', '{"reason":"ops"}']).status,
      0,
    );
    const failed = await suite.stack.waitFor(toDrop.id, (j) => j.status === 'failed');
    assert.equal(failed.lastError?.type, 'HttpClientError');
  });

  it('retries every dead letter of a type in bulk', async () => {
    const first = await deadLetteredJob(200);
    const second = await deadLetteredJob(200);
    let retried: string[] = [];
    for (let i = 0; i < 50 && !(retried.includes(first.job.id) && retried.includes(second.job.id)); i += 1) {
      retried = retried.concat((await api().post('/v1/dead-letters/retry').send({ type: 'http' }).expect(202)).body.retried as string[]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(retried.includes(first.job.id) && retried.includes(second.job.id));
    await suite.stack.waitFor(first.job.id, (j) => j.status === 'completed');
    await suite.stack.waitFor(second.job.id, (j) => j.status === 'completed');
  });
});
