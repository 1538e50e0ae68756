import assert from 'node:assert/strict';
import type { Problem } from '../src/api/problem';
import request from 'supertest';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

/** Bad input is a clear 4xx problem+json and starts nothing. API only: no worker needed to judge input. */
describe('API input validation', function () {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ worker: false });
  });
  after(async () => {
    // Nothing any of these requests sent may have started a workflow on this task queue.
    const started = await testEnv().client.workflow.count(`TaskQueue = '${stack.taskQueue}'`);
    await stack.stop();
    assert.equal(started.count, 0, 'a rejected request started a job');
  });

  const expectProblem = (res: request.Response, status: number, type: string): Problem => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
    const body = JSON.parse(res.text) as Problem;
    assert.equal(body.status, status);
    assert.equal(body.type, `/problems/${type}`);
    assert.ok(body.title.length > 0 && body.detail.length > 0);
    return body;
  };
  const post = (body: string, contentType = 'application/json') =>
    request(stack.baseUrl).post('/v1/jobs').set('content-type', contentType).send(body);

  it('malformed JSON is 400 malformed-json', async () => {
    expectProblem(await post('{"type": "http",'), 400, 'malformed-json');
  });

  it('a body that is not JSON is 415', async () => {
    expectProblem(await post('type=http', 'application/x-www-form-urlencoded'), 415, 'unsupported-media-type');
    expectProblem(await post('hello', 'text/plain'), 415, 'unsupported-media-type');
  });

  it('a JSON body that is not an object is 400 naming the body', async () => {
    for (const body of ['null', '[]', '42', '"http"']) {
      const problem = expectProblem(await post(body), 400, 'invalid-request');
      assert.equal(problem.errors?.[0]?.field, '(body)');
    }
  });

  it('an unknown job type is 400 naming the field and the known types', async () => {
    const problem = expectProblem(await post('{"type":"fax","input":{}}'), 400, 'unknown-job-type');
    assert.deepEqual(
      problem.errors?.map((e) => e.field),
      ['type'],
    );
    assert.match(problem.detail, /known types: .*http/);
  });

  it('invalid job input is 400 naming each failing field under input.', async () => {
    const problem = expectProblem(
      await post(JSON.stringify({ type: 'http', input: { url: 'ftp://example.com', method: 'BREW', timeoutMs: -1 } })),
      400,
      'invalid-request',
    );
    assert.deepEqual(problem.errors?.map((e) => e.field).sort(), ['input.method', 'input.timeoutMs', 'input.url']);
  });

  it('missing input, unknown fields and out-of-range options are 400 naming the field', async () => {
    const cases: Array<[object, string]> = [
      [{ type: 'http' }, 'input'],
      [{ type: 'http', input: { url: 'https://example.com' }, colour: 'red' }, '(body)'],
      [{ type: 'http', input: { url: 'https://example.com' }, priority: 9 }, 'priority'],
      [{ type: 'http', input: { url: 'https://example.com' }, maxAttempts: 0 }, 'maxAttempts'],
      [{ type: 'http', input: { url: 'https://example.com' }, retry: { jitter: 2 } }, 'retry.jitter'],
      [{ type: 'http', input: { url: 'https://example.com' }, runAt: 'tomorrow' }, 'runAt'],
      [{ type: 'http', input: { url: 'https://example.com' }, runAt: '2030-01-01T00:00:00Z', delayMs: 5 }, 'runAt'],
      [{ type: 'http', input: { url: 'https://example.com' }, metadata: { k: 5 } }, 'metadata.k'],
      [{ type: 'http', input: { url: 'https://example.com', extra: true } }, 'input'],
    ];
    for (const [body, field] of cases) {
      const problem = expectProblem(await post(JSON.stringify(body)), 400, 'invalid-request');
      assert.ok(
        problem.errors?.some((e) => e.field === field),
        `${JSON.stringify(body)} should name ${field}, got ${JSON.stringify(problem.errors)}`,
      );
    }
  });

  it('a bad Idempotency-Key or X-Correlation-Id header is 400 naming the header', async () => {
    const body = JSON.stringify({ type: 'http', input: { url: 'https://example.com' } });
    const key = await request(stack.baseUrl)
      .post('/v1/jobs')
      .set('content-type', 'application/json')
      .set('idempotency-key', 'has spaces/and slashes')
      .send(body);
    assert.equal(expectProblem(key, 400, 'invalid-request').errors?.[0]?.field, 'header:Idempotency-Key');
    const correlation = await request(stack.baseUrl)
      .post('/v1/jobs')
      .set('content-type', 'application/json')
      .set('x-correlation-id', 'x'.repeat(500))
      .send(body);
    assert.equal(expectProblem(correlation, 400, 'invalid-request').errors?.[0]?.field, 'header:X-Correlation-Id');
  });

  it('a body over the limit is 413', async () => {
    const big = JSON.stringify({ type: 'http', input: { url: 'https://example.com', body: 'x'.repeat(stack.config.api.bodyLimitBytes) } });
    expectProblem(await post(big), 413, 'payload-too-large');
  });

  it('an unknown job id is 404, for the job and for its result', async () => {
    expectProblem(await request(stack.baseUrl).get('/v1/jobs/http-does-not-exist'), 404, 'job-not-found');
    expectProblem(await request(stack.baseUrl).get('/v1/jobs/http-does-not-exist/result'), 404, 'job-not-found');
  });

  it('an unknown route is 404 problem+json', async () => {
    expectProblem(await request(stack.baseUrl).get('/v2/whatever'), 404, 'not-found');
  });
});
