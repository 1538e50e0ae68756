import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

describe('idempotency keys', function () {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.stop());

  const runsOf = async (id: string) => (await testEnv().client.workflow.count(`WorkflowId = '${id}'`)).count;
  const job = (value: number, sleepMs = 0) => ({ type: 'echo', input: { value, sleepMs } });

  it('returns the running job (200, same id) for the same key and request, and starts one run', async () => {
    const key = `order-${randomUUID()}`;
    const first = await stack.submit(job(1, 2_000), { 'idempotency-key': key });
    assert.equal(first.status, 202);
    const second = await stack.submit(job(1, 2_000), { 'idempotency-key': key });
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.headers.get('location'), first.headers.get('location'));
    await stack.waitFor(first.body.id, (j) => j.status === 'completed');
    assert.equal(await runsOf(first.body.id), 1);
  });

  it('returns the finished job for the same key, without running it again', async () => {
    const key = `invoice-${randomUUID()}`;
    const first = await stack.submit(job(2), { 'idempotency-key': key });
    await stack.waitFor(first.body.id, (j) => j.status === 'completed');
    const again = await stack.submit(job(2), { 'idempotency-key': key });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.status, 'completed');
    assert.equal(await runsOf(first.body.id), 1);
  });

  it('answers 409 idempotency-conflict for the same key with a different request', async () => {
    const key = `k-${randomUUID()}`;
    const first = await stack.submit(job(3), { 'idempotency-key': key });
    const other = await stack.submit(job(4), { 'idempotency-key': key });
    assert.equal(other.status, 409);
    assert.equal(other.headers.get('content-type')?.startsWith('application/problem+json'), true);
    assert.equal(other.body.type, '/problems/idempotency-conflict');
    assert.equal(other.body.jobId, first.body.id);
    assert.equal(await runsOf(first.body.id), 1);
  });

  it('scopes keys per job type', async () => {
    const key = `shared-${randomUUID()}`;
    const echo = await stack.submit(job(5), { 'idempotency-key': key });
    const http = await stack.submit(
      { type: 'http', input: { url: 'http://127.0.0.1:9/never', timeoutMs: 100 }, maxAttempts: 1 },
      { 'idempotency-key': key },
    );
    assert.equal(echo.status, 202);
    assert.equal(http.status, 202);
    assert.notEqual(echo.body.id, http.body.id);
  });

  it('starts exactly one run when the same request races in parallel', async () => {
    const key = `race-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => stack.submit(job(6, 500), { 'idempotency-key': key })));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    assert.equal(await runsOf(answers[0]!.body.id), 1);
  });
});
