import assert from 'node:assert/strict';
import request from 'supertest';
import type { FailedItemsPage } from '../src/api/batch-service';
import type { BatchResult } from '../src/batch/types';
import { startItemTarget, type ItemTarget } from './support/item-target';
import { makeReportDirs, type ReportDirs } from './support/reports';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

/** Items whose `n` is a multiple of 5 are refused (400) by the target until it is told otherwise. */
const refuseFifths = (body: unknown) => ((body as { n: number }).n % 5 === 0 ? 400 : 200);
const items = (count: number) => Array.from({ length: count }, (_, n) => ({ n }));

/** Chunk activities a run of the job scheduled, from its history. */
async function chunkActivities(jobId: string, runId?: string): Promise<number> {
  const history = await testEnv().client.workflow.getHandle(jobId, runId).fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runBatchChunk').length;
}

describe('batch jobs: chunks, failed items, retry-failed, thresholds (real dev server, real HTTP)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let dirs: ReportDirs;
  let target: ItemTarget;
  before(async () => {
    dirs = makeReportDirs();
    stack = await startStack({ env: dirs.env });
    target = await startItemTarget();
  });
  after(async () => {
    await stack.stop();
    await target.close();
    dirs.cleanup();
  });
  beforeEach(() => {
    target.deliveries.length = 0;
    target.setDecide(() => 200);
  });

  const submit = async (input: object, extra: object = {}) => {
    const res = await stack.submit({ type: 'batch', input, ...extra });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  };

  it('runs inline items in chunks with bounded concurrency and reports {total, done, failed, itemsPerSecond}', async () => {
    const id = await submit({ handler: 'noop', items: items(25), chunkSize: 4, concurrency: 3 });
    const done = await stack.waitFor(id, (j) => j.status === 'completed');
    assert.equal(done.type, 'batch');
    assert.deepEqual(
      { total: done.progress?.total, done: done.progress?.done, failed: done.progress?.failed, percent: done.progress?.percent },
      { total: 25, done: 25, failed: 0, percent: 100 },
    );
    assert.ok((done.progress?.itemsPerSecond ?? 0) > 0);
    const result = done.result as BatchResult;
    assert.equal(result.succeeded, 25);
    assert.equal(await chunkActivities(id), 7, 'ceil(25 / 4) chunks');
  });

  it('delivers each item once with its idempotency key; failed items do not fail the batch and are listed with their errors', async () => {
    target.setDecide(refuseFifths);
    const id = await submit({ handler: 'http-deliver', handlerInput: { url: target.url }, items: items(23), chunkSize: 5, concurrency: 2 });
    const done = await stack.waitFor(id, (j) => j.status === 'completed');
    assert.deepEqual(
      { done: done.progress?.done, failed: done.progress?.failed, succeeded: done.progress?.succeeded },
      { done: 23, failed: 5, succeeded: 18 },
    );

    const accepted = target.accepted();
    assert.equal(accepted.size, 18);
    assert.ok(
      [...accepted.values()].every((times) => times === 1),
      'no item was taken twice',
    );
    assert.equal(accepted.get(`${id}:7`), 1, 'the key is {jobId}:{position}');
    assert.deepEqual(target.deliveries.find((d) => d.idempotencyKey === `${id}:7`)?.body, { n: 7 });
    // 4xx is the item's fault: one call each, no retries.
    assert.equal(target.deliveries.filter((d) => d.status === 400).length, 5);

    const page = (await request(stack.baseUrl).get(`/v1/jobs/${id}/failed-items`).expect(200)).body as FailedItemsPage;
    assert.equal(page.failed, 5);
    assert.deepEqual(
      page.items.map((item) => item.position).sort((a, b) => a - b),
      [0, 5, 10, 15, 20],
    );
    assert.match(page.items[0]!.error, /HTTP 400/);
    const firstPage = (await request(stack.baseUrl).get(`/v1/jobs/${id}/failed-items?limit=1`).expect(200)).body as FailedItemsPage;
    assert.equal(firstPage.items.length, 1);
    const secondPage = (await request(stack.baseUrl).get(`/v1/jobs/${id}/failed-items?limit=1&cursor=${firstPage.nextCursor}`).expect(200))
      .body as FailedItemsPage;
    assert.equal(secondPage.items[0]?.position, 5);
  });

  it('retry-failed re-runs only the failed items, as a new round of the same job', async () => {
    target.setDecide(refuseFifths);
    const id = await submit({ handler: 'http-deliver', handlerInput: { url: target.url }, items: items(12), chunkSize: 4 });
    await stack.waitFor(id, (j) => j.status === 'completed');
    assert.equal(target.deliveries.length, 12);

    target.setDecide(() => 200);
    const retried = await request(stack.baseUrl).post(`/v1/jobs/${id}/retry-failed`).expect(202);
    assert.equal(retried.body.batch.round, 2);
    const done = await stack.waitFor(id, (j) => j.status === 'completed' && j.batch?.round === 2);
    assert.deepEqual({ done: done.progress?.done, failed: done.progress?.failed }, { done: 12, failed: 0 });
    const second = target.deliveries
      .slice(12)
      .map((d) => d.idempotencyKey)
      .sort();
    assert.deepEqual(second, [`${id}:0`, `${id}:10`, `${id}:5`]);
    // Nothing is left to retry, and a finished job is listed once.
    await request(stack.baseUrl).post(`/v1/jobs/${id}/retry-failed`).expect(409);
    const listed = await request(stack.baseUrl).get('/v1/jobs?type=batch&limit=100').expect(200);
    assert.equal((listed.body.jobs as Array<{ id: string }>).filter((job) => job.id === id).length, 1);
    const page = (await request(stack.baseUrl).get(`/v1/jobs/${id}/failed-items`).expect(200)).body as FailedItemsPage;
    assert.deepEqual(page, { jobId: id, failed: 0, items: [] });
  });

  it('past maxFailedItems the batch is dead-lettered; a retry from the dead letters finishes it', async () => {
    target.setDecide(() => 400);
    const id = await submit({
      handler: 'http-deliver',
      handlerInput: { url: target.url },
      items: items(40),
      chunkSize: 5,
      concurrency: 1,
      maxFailedItems: 7,
    });
    const parked = await stack.waitFor(id, (j) => j.status === 'dead_lettered');
    assert.equal(parked.lastError?.type, 'TooManyFailedItems');
    assert.ok(target.deliveries.length < 40, `stopped early: ${target.deliveries.length} calls`);
    const listed = await request(stack.baseUrl).get('/v1/dead-letters?type=batch').expect(200);
    assert.ok((listed.body.jobs as Array<{ id: string }>).some((job) => job.id === id));
    await request(stack.baseUrl).post(`/v1/dead-letters/${id}/retry`).send({ input: {} }).expect(400);

    target.setDecide(() => 200);
    await request(stack.baseUrl).post(`/v1/jobs/${id}/retry-failed`).expect(202);
    const done = await stack.waitFor(id, (j) => j.status === 'completed');
    assert.deepEqual(
      { done: done.progress?.done, failed: done.progress?.failed, round: done.batch?.round },
      { done: 40, failed: 0, round: 2 },
    );
    assert.equal(target.accepted().size, 40);
  });

  it('past maxFailedRatio the batch is dead-lettered, and discarding it ends it as failed', async () => {
    target.setDecide(refuseFifths);
    const id = await submit({
      handler: 'http-deliver',
      handlerInput: { url: target.url },
      items: items(20),
      chunkSize: 10,
      concurrency: 1,
      maxFailedRatio: 0.1,
    });
    const parked = await stack.waitFor(id, (j) => j.status === 'dead_lettered');
    assert.match(parked.lastError?.message ?? '', /maxFailedRatio/);
    await request(stack.baseUrl).post(`/v1/dead-letters/${id}/discard`).send({ reason: 'bad data' }).expect(202);
    const failed = await stack.waitFor(id, (j) => j.status === 'failed');
    assert.equal(failed.lastError?.type, 'TooManyFailedItems');
    assert.equal(failed.progress?.failed, 4);
  });

  it('cancelling a batch stops its chunks: no item is sent after the cancellation completes', async () => {
    const id = await submit({
      handler: 'http-deliver',
      handlerInput: { url: target.url },
      items: items(200),
      chunkSize: 10,
      concurrency: 2,
      maxItemsPerSecond: 20,
    });
    await stack.waitFor(id, (j) => (j.progress?.done ?? 0) >= 10);
    await request(stack.baseUrl).post(`/v1/jobs/${id}/cancel`).expect(202);
    const cancelled = await stack.waitFor(id, (j) => j.status === 'cancelled', 15_000);
    const sent = target.deliveries.length;
    assert.ok(sent < 200, `${sent} items sent`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(target.deliveries.length, sent, 'nothing after the batch reported cancelled');
    assert.ok((cancelled.progress?.done ?? 0) <= sent);
  });

  it('the overall timeout (timeoutMs) ends the whole batch as timed_out, stopping its chunks', async () => {
    const id = await submit(
      { handler: 'http-deliver', handlerInput: { url: target.url }, items: items(40), chunkSize: 5, concurrency: 2, maxItemsPerSecond: 4 },
      { timeoutMs: 2_000 },
    );
    const ended = await stack.waitFor(id, (j) => j.status === 'timed_out', 15_000);
    assert.equal(ended.lastError?.timeout, 'overall');
    const sent = target.deliveries.length;
    assert.ok(sent > 0 && sent < 40, `${sent} items sent`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(target.deliveries.length, sent, 'no chunk went on after the timeout');
  });

  it('refuses bad batches with 400s naming the field, and starts nothing', async () => {
    const cases: Array<[object, string]> = [
      [{ handler: 'fax', items: [1] }, 'input.handler'],
      [{ handler: 'noop' }, 'input.items'],
      [{ handler: 'noop', items: [1], source: { type: 'ndjson', path: 'a.ndjson' } }, 'input.items'],
      [{ handler: 'http-deliver', handlerInput: { url: 'ftp://x' }, items: [1] }, 'input.handlerInput.url'],
      [{ handler: 'pg-upsert', handlerInput: { table: 't' }, items: [{ id: 1 }, 'not an object'] }, 'input.items.1'],
      [{ handler: 'noop', items: items(1_001) }, 'input.items'],
      [{ handler: 'noop', items: [1], chunkSize: 0 }, 'input.chunkSize'],
      [{ handler: 'noop', source: { type: 'postgres', query: 'drop table' } }, 'input.source.query'],
      [{ handler: 'noop', source: { type: 'postgres', query: 'orders', params: { table: 'x; drop' } } }, 'input.source.params.table'],
      [{ handler: 'noop', source: { type: 'csv', path: '../etc/passwd' } }, 'input.source.path'],
    ];
    for (const [input, field] of cases) {
      const res = await stack.submit({ type: 'batch', input });
      assert.equal(res.status, 400, `${field}: ${JSON.stringify(res.body)}`);
      assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const errors = (res.body as unknown as { errors: Array<{ field: string }> }).errors;
      assert.ok(
        errors.some((e) => e.field === field),
        `${field}: ${JSON.stringify(errors)}`,
      );
    }
    await request(stack.baseUrl).post('/v1/jobs/no-such-batch/retry-failed').expect(404);
    const echo = await stack.submit({ type: 'echo', input: {} });
    await request(stack.baseUrl).get(`/v1/jobs/${echo.body.id}/failed-items`).expect(409);
  });
});
