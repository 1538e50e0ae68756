import assert from 'node:assert/strict';
import dns from 'node:dns';
import os from 'node:os';
import { isPublicAddress } from '../src/activities/network-guard';
import { startStack, type Stack } from './support/stack';
import { startTarget, type Target } from './support/target';
import { testEnv } from './support/temporal-env';

const fastRetry = { initialIntervalMs: 200, backoffCoefficient: 2, maxIntervalMs: 2_000, jitter: 0.2 };

describe('http job (real dev server, real HTTP)', function () {
  let stack: Stack;
  const targets: Target[] = [];
  const target = async (replies: Parameters<typeof startTarget>[0]) => {
    const t = await startTarget(replies);
    targets.push(t);
    return t;
  };

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.stop();
    await Promise.all(targets.map((t) => t.close()));
  });

  it('calls the endpoint and returns status, headers and body as the result', async () => {
    const endpoint = await target([{ status: 201, headers: { 'x-reply': 'yes' }, body: '{"ok":true}' }]);
    const submitted = await stack.submit({
      type: 'http',
      input: { url: `${endpoint.url}/hook`, method: 'PUT', body: { order: 42 }, headers: { 'x-token': 't1' } },
    });
    assert.equal(submitted.status, 202);
    assert.equal(submitted.headers.get('location'), `/v1/jobs/${encodeURIComponent(submitted.body.id)}`);
    assert.equal(submitted.body.status, 'queued');
    assert.equal(submitted.body.type, 'http');

    const job = await stack.waitFor(submitted.body.id, (j) => j.status === 'completed');
    assert.equal(job.attempts, 1);
    const result = job.result as { status: number; headers: Record<string, string>; body: string };
    assert.equal(result.status, 201);
    assert.equal(result.headers['x-reply'], 'yes');
    assert.equal(result.body, '{"ok":true}');
    assert.equal(endpoint.calls.length, 1);
    assert.equal(endpoint.calls[0]!.method, 'PUT');
    assert.equal(endpoint.calls[0]!.headers['x-token'], 't1');
    assert.equal(endpoint.calls[0]!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(endpoint.calls[0]!.body), { order: 42 });
  });

  it('retries a 500 and succeeds on a later attempt, counting the attempts', async () => {
    const endpoint = await target([500, 500, 200]);
    const { body } = await stack.submit({ type: 'http', input: { url: endpoint.url }, retry: fastRetry });
    const job = await stack.waitFor(body.id, (j) => j.status === 'completed');
    assert.equal(job.attempts, 3);
    assert.equal(endpoint.calls.length, 3);
    assert.equal((job.result as { status: number }).status, 200);
  });

  it('fails a 400 at once without retrying and dead-letters it with the error', async () => {
    const endpoint = await target([{ status: 400, body: 'bad field' }]);
    const { body } = await stack.submit({ type: 'http', input: { url: endpoint.url }, retry: fastRetry });
    const job = await stack.waitFor(body.id, (j) => j.status === 'dead_lettered');
    assert.equal(job.attempts, 1);
    assert.equal(job.lastError?.type, 'HttpClientError');
    assert.match(job.lastError?.message ?? '', /HTTP 400.*bad field/);
    // Give a wrongly scheduled retry the time to happen before counting.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(endpoint.calls.length, 1);
  });

  it('honours Retry-After on a 429', async () => {
    const endpoint = await target([{ status: 429, headers: { 'retry-after': '2' } }, 200]);
    const { body } = await stack.submit({ type: 'http', input: { url: endpoint.url }, retry: fastRetry });
    await stack.waitFor(body.id, (j) => j.status === 'completed');
    const gap = endpoint.calls[1]!.at - endpoint.calls[0]!.at;
    assert.ok(gap >= 1_900, `second call came ${gap} ms after the first; Retry-After asked for 2000`);
  });

  it('retries a request that times out', async () => {
    const endpoint = await target([{ status: 200, delayMs: 1_500 }, 200]);
    const { body } = await stack.submit({ type: 'http', input: { url: endpoint.url, timeoutMs: 300 }, retry: fastRetry });
    const job = await stack.waitFor(body.id, (j) => j.status === 'completed');
    assert.equal(job.attempts, 2);
  });

  it('is retried when the target is down, and dead-lettered after maxAttempts', async () => {
    const endpoint = await target([200]);
    const url = endpoint.url;
    await endpoint.close();
    const { body } = await stack.submit({ type: 'http', input: { url }, maxAttempts: 3, retry: fastRetry });
    const job = await stack.waitFor(body.id, (j) => j.status === 'dead_lettered');
    assert.equal(job.attempts, 3);
    assert.equal(job.lastError?.type, 'HttpNetworkError');
    assert.match(job.lastError?.message ?? '', /ECONNREFUSED/);
  });

  it('appears in Temporal with its job id as the workflow id and its search attributes', async () => {
    const endpoint = await target([200]);
    const { body } = await stack.submit({ type: 'http', input: { url: endpoint.url } });
    await stack.waitFor(body.id, (j) => j.status === 'completed');
    const description = await testEnv().client.workflow.getHandle(body.id).describe();
    assert.equal(description.type, 'runJob');
    assert.equal(description.taskQueue, stack.taskQueue);
    assert.equal(description.searchAttributes.JobType?.[0], 'http');
    // Completion writes no JobStatus (lifecycle revision 2): the execution's own status says it.
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal(description.searchAttributes.JobStatus?.[0], 'active');
  });
});

describe('http job: private targets', function () {
  let stack: Stack;
  let endpoint: Target;
  before(async () => {
    stack = await startStack({ env: { JOBLINE_ALLOW_PRIVATE_TARGETS: '0' } });
    endpoint = await startTarget([200]);
  });
  after(async () => {
    await stack.stop();
    await endpoint.close();
  });

  for (const host of ['127.0.0.1', 'localhost']) {
    it(`refuses ${host} at submission without JOBLINE_ALLOW_PRIVATE_TARGETS (400 naming input.url)`, async () => {
      const url = endpoint.url.replace('127.0.0.1', host);
      const { status, body } = await stack.submit({ type: 'http', input: { url } });
      assert.equal(status, 400, JSON.stringify(body));
      assert.deepEqual(
        (body.errors as Array<{ field: string }>).map((e) => e.field),
        ['input.url'],
      );
      assert.equal(endpoint.calls.length, 0);
    });
  }

  it('refuses at connect time a name that resolves to a private address, and says how to allow it', async function () {
    // The machine's own name is no literal, so it passes submission; /etc/hosts or DNS maps it to a
    // loopback or private address on every machine this suite runs on (skipped where it does not resolve).
    const name = os.hostname();
    const resolved = await dns.promises.lookup(name).catch(() => undefined);
    if (!resolved || isPublicAddress(resolved.address)) this.skip();
    const url = endpoint.url.replace('127.0.0.1', name);
    const { status, body } = await stack.submit({ type: 'http', input: { url } });
    assert.equal(status, 202, JSON.stringify(body));
    const job = await stack.waitFor(body.id, (j) => j.status === 'dead_lettered');
    assert.equal(job.lastError?.type, 'TargetNotAllowed');
    assert.match(job.lastError?.message ?? '', /JOBLINE_ALLOW_PRIVATE_TARGETS=1/);
    assert.equal(job.attempts, 1);
    assert.equal(endpoint.calls.length, 0);
  });
});
