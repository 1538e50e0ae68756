import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { logger } from '../src/logger';
import { problemHandler, type Problem } from '../src/api/problem';
import { listen } from '../src/api/server';
import { hostAllowList, hostNameOf } from '../src/api/request-guard';
import { rawRequest, type RawReply, type RawRequest } from './support/raw-http';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

/**
 * Issue 10, items 5 and 6, one cause at a time: bad input is a fast 4xx problem (never a 5xx), and a
 * cross-site or rebinding request is refused before it reaches a route. API only: a rejected request must
 * start nothing, and the accepted ones are counted.
 */
describe('bad input and cross-site requests', function () {
  let stack: Stack;
  const accepted = new Set<string>();
  before(async () => {
    stack = await startStack({ worker: false });
  });
  after(async () => {
    const started = await testEnv().client.workflow.count(`TaskQueue = '${stack.taskQueue}'`);
    await stack.stop();
    assert.equal(started.count, accepted.size, 'a rejected request started a job');
  });

  const send = (request: RawRequest) => rawRequest(stack.baseUrl, request);
  const submit = async (headers: Record<string, string> = {}, body: unknown = { type: 'echo', input: { value: 1 } }) => {
    const reply = await send({
      method: 'POST',
      path: '/v1/jobs',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    if (reply.status === 202) accepted.add((JSON.parse(reply.text) as { id: string }).id);
    return reply;
  };
  const expectProblem = (reply: RawReply, status: number, type: string): Problem => {
    assert.equal(reply.status, status, reply.text);
    assert.match(reply.headers['content-type'] ?? '', /^application\/problem\+json/);
    const body = JSON.parse(reply.text) as Problem;
    assert.equal(body.status, status);
    assert.equal(body.type, `/problems/${type}`);
    assert.ok(body.title.length > 0 && body.detail.length > 0);
    return body;
  };
  const timed = async <T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const started = Date.now();
    const value = await call();
    return { value, ms: Date.now() - started };
  };

  describe('item 5: bad input answers 4xx, fast', () => {
    it('a malformed percent-encoding in a path parameter is 400, on any route', async () => {
      for (const [method, path] of [
        ['GET', '/v1/jobs/%ZZ'],
        ['GET', '/v1/jobs/%E0%A4%A/result'],
        ['POST', '/v1/jobs/%ZZ/cancel'],
        ['GET', '/v1/jobs/%/artifacts'],
        ['GET', '/v1/jobs/ok/artifacts/%ZZ'],
        ['POST', '/v1/schedules/%ZZ/pause'],
        ['GET', '/v1/dead-letters/%C0%AF'],
      ] as const) {
        const problem = expectProblem(await send({ method, path }), 400, 'invalid-request');
        assert.deepEqual(
          problem.errors?.map((e) => e.field),
          ['path'],
          path,
        );
      }
    });

    it('Content-Encoding: gzip on a body that is not gzip is 400 naming the header; real gzip still works', async () => {
      const body = JSON.stringify({ type: 'echo', input: {} });
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const reply = await send({
          method: 'POST',
          path: '/v1/jobs',
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
          body,
        });
        const problem = expectProblem(reply, 400, 'invalid-request');
        assert.deepEqual(
          problem.errors?.map((e) => e.field),
          ['header:Content-Encoding'],
          encoding,
        );
      }
      const good = await send({
        method: 'POST',
        path: '/v1/jobs',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(body),
      });
      assert.equal(good.status, 202, good.text);
      accepted.add((JSON.parse(good.text) as { id: string }).id);
    });

    it('an unparseable cursor is 400 naming cursor, before Temporal is asked (no 20 s of retries)', async () => {
      const garbage = [
        'abcdef',
        '!!!',
        Buffer.from('not json').toString('base64url'),
        Buffer.from('[1,2]').toString('base64url'),
        Buffer.from('{"CloseTime":"yesterday"}').toString('base64url'),
        Buffer.from('{"StartTime":42}').toString('base64url'),
      ];
      for (const path of ['/v1/jobs', '/v1/dead-letters']) {
        for (const cursor of garbage) {
          const { value: reply, ms } = await timed(() => send({ method: 'GET', path: `${path}?cursor=${encodeURIComponent(cursor)}` }));
          const problem = expectProblem(reply, 400, 'invalid-request');
          assert.deepEqual(
            problem.errors?.map((e) => e.field),
            ['cursor'],
            cursor,
          );
          assert.ok(ms < 2_000, `${path} cursor ${cursor} took ${ms} ms`);
        }
      }
    });

    it('a cursor from a previous page still pages', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await submit()).status, 202);
      let page = { nextCursor: undefined as string | undefined, jobs: [] as unknown[] };
      const deadline = Date.now() + 10_000;
      while (!page.nextCursor && Date.now() < deadline) {
        page = JSON.parse((await send({ method: 'GET', path: '/v1/jobs?limit=1' })).text) as typeof page;
        if (!page.nextCursor) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(page.nextCursor, 'no second page');
      const next = await send({ method: 'GET', path: `/v1/jobs?limit=1&cursor=${page.nextCursor}` });
      assert.equal(next.status, 200, next.text);
      assert.equal((JSON.parse(next.text) as { jobs: unknown[] }).jobs.length, 1);
    });

    it('a body nested ~5,000 levels is 400 naming the field; 64 levels are fine', async () => {
      const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
      const deep = await send({
        method: 'POST',
        path: '/v1/jobs',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-5000' },
        body: `{"type":"echo","input":{"value":${nested(5_000)}}}`,
      });
      const problem = expectProblem(deep, 400, 'invalid-request');
      assert.match(problem.errors?.[0]?.field ?? '', /^input\.value\.0\.0\./);
      assert.match(problem.detail, /deeper than 64 levels/);
      // The whole body counts, on every route that reads one.
      const schedule = await send({
        method: 'POST',
        path: '/v1/schedules',
        headers: { 'content-type': 'application/json' },
        body: `{"id":"deep","note":${nested(100)}}`,
      });
      expectProblem(schedule, 400, 'invalid-request');
      // The body and input are two levels; 62 arrays in value make 64.
      const fine = await submit({}, { type: 'echo', input: { value: JSON.parse(nested(62)) as unknown } });
      assert.equal(fine.status, 202, fine.text);
      const tooDeep = await submit({}, { type: 'echo', input: { value: JSON.parse(nested(63)) as unknown } });
      expectProblem(tooDeep, 400, 'invalid-request');
    });

    it('an id too long to exist is 404 on every route that takes one, the artifact routes included', async () => {
      const long = 'a'.repeat(400);
      expectProblem(await send({ method: 'GET', path: `/v1/jobs/${long}/artifacts` }), 404, 'job-not-found');
      expectProblem(await send({ method: 'GET', path: `/v1/jobs/${long}/artifacts/report.csv` }), 404, 'artifact-not-found');
      const tooLong = 'b'.repeat(1_001);
      for (const [method, path] of [
        ['GET', `/v1/jobs/${tooLong}`],
        ['GET', `/v1/jobs/${tooLong}/result`],
        ['POST', `/v1/jobs/${tooLong}/cancel`],
        ['GET', `/v1/jobs/${tooLong}/failed-items`],
        ['POST', `/v1/jobs/${tooLong}/retry-failed`],
        ['GET', `/v1/jobs/${tooLong}/artifacts`],
        ['GET', `/v1/dead-letters/${tooLong}`],
        ['POST', `/v1/dead-letters/${tooLong}/discard`],
      ] as const) {
        expectProblem(await send({ method, path }), 404, 'job-not-found');
      }
      expectProblem(await send({ method: 'GET', path: `/v1/schedules/${tooLong}` }), 404, 'schedule-not-found');
    });
  });

  describe('item 6: cross-site requests', () => {
    it('a text/plain body is 415 on cancel and trigger (a cross-site form can send one)', async () => {
      const textPlain = { 'content-type': 'text/plain' };
      expectProblem(
        await send({ method: 'POST', path: '/v1/jobs/echo-any/cancel', headers: textPlain, body: 'cancel' }),
        415,
        'unsupported-media-type',
      );
      expectProblem(
        await send({ method: 'POST', path: '/v1/schedules/any/trigger', headers: textPlain, body: '{}' }),
        415,
        'unsupported-media-type',
      );
    });

    it('an empty form POST is 415 on pause, resume, retry and discard', async () => {
      const emptyForm = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' };
      for (const path of [
        '/v1/schedules/any/pause',
        '/v1/schedules/any/resume',
        '/v1/dead-letters/echo-any/retry',
        '/v1/dead-letters/echo-any/discard',
        '/v1/jobs/echo-any/cancel',
      ]) {
        expectProblem(await send({ method: 'POST', path, headers: emptyForm }), 415, 'unsupported-media-type');
      }
    });

    it('a body without a content type is 415', async () => {
      expectProblem(await send({ method: 'POST', path: '/v1/jobs/echo-any/cancel', body: '{}' }), 415, 'unsupported-media-type');
    });

    it('a foreign Origin, Origin: null or Sec-Fetch-Site: cross-site is 403, even with a JSON body', async () => {
      for (const headers of [
        { origin: 'http://evil.example' } as Record<string, string>,
        { origin: 'null' },
        { origin: `${stack.baseUrl.replace('127.0.0.1', 'localhost')}` },
        { 'sec-fetch-site': 'cross-site' },
      ]) {
        expectProblem(await submit(headers), 403, 'cross-site-request');
      }
      expectProblem(
        await send({ method: 'POST', path: '/v1/jobs/echo-any/cancel', headers: { origin: 'https://evil.example' } }),
        403,
        'cross-site-request',
      );
    });

    it('the same origin is served, and a POST with no body and no content type is fine', async () => {
      const created = await submit(
        { origin: stack.baseUrl, 'sec-fetch-site': 'same-origin' },
        { type: 'echo', input: { sleepMs: 60_000 } },
      );
      assert.equal(created.status, 202, created.text);
      const { id } = JSON.parse(created.text) as { id: string };
      const cancelled = await send({ method: 'POST', path: `/v1/jobs/${id}/cancel`, headers: { origin: stack.baseUrl } });
      assert.equal(cancelled.status, 202, cancelled.text);
      // No Origin at all (curl, server-side clients) is not cross-site.
      const again = await send({ method: 'POST', path: `/v1/jobs/${id}/cancel` });
      assert.notEqual(again.status, 415);
      assert.notEqual(again.status, 403);
    });

    it('reading is not limited: a GET from another origin is answered', async () => {
      const reply = await send({
        method: 'GET',
        path: '/v1/job-types',
        headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
      });
      assert.equal(reply.status, 200);
    });
  });

  describe('item 6: the Host allow list (DNS rebinding)', () => {
    const port = () => new URL(stack.baseUrl).port;

    it('a foreign Host is 421 misdirected-request, on reads and writes alike', async () => {
      for (const host of ['evil.example', `evil.example:${port()}`, 'localhost.evil.example', 'a'.repeat(300)]) {
        expectProblem(await send({ method: 'GET', path: '/v1/jobs', headers: { host } }), 421, 'misdirected-request');
      }
      expectProblem(await submit({ host: 'rebound.example' }), 421, 'misdirected-request');
    });

    it('loopback names and IP addresses with any port are served', async () => {
      for (const host of [
        `localhost:${port()}`,
        'localhost',
        `127.0.0.1:${port()}`,
        `[::1]:${port()}`,
        `app.localhost:${port()}`,
        'LOCALHOST.',
        '10.1.2.3:8080',
      ]) {
        const reply = await send({ method: 'GET', path: '/v1/job-types', headers: { host } });
        assert.equal(reply.status, 200, `${host}: ${reply.text}`);
      }
    });

    it('JOBLINE_ALLOWED_HOSTS extends the list; * turns the check off', async () => {
      const extended = await startStack({ worker: false, env: { JOBLINE_ALLOWED_HOSTS: 'api.internal, *.corp.example' } });
      const open = await startStack({ worker: false, env: { JOBLINE_ALLOWED_HOSTS: '*' } });
      try {
        const status = async (target: Stack, host: string) =>
          (await rawRequest(target.baseUrl, { method: 'GET', path: '/v1/job-types', headers: { host } })).status;
        assert.equal(await status(extended, 'api.internal:3000'), 200);
        assert.equal(await status(extended, 'jobs.corp.example'), 200);
        assert.equal(await status(extended, 'corp.example.evil'), 421);
        assert.equal(await status(extended, 'evil.example'), 421);
        assert.equal(await status(stack, 'api.internal'), 421, 'the default list does not know api.internal');
        assert.equal(await status(open, 'anything.example'), 200);
      } finally {
        await extended.stop();
        await open.stop();
      }
    });

    it('JOBLINE_PUBLIC_URL names an allowed host and the own origin', async () => {
      const behindProxy = await startStack({ worker: false, env: { JOBLINE_PUBLIC_URL: 'https://jobs.example.com' } });
      try {
        const host = { host: 'jobs.example.com' };
        assert.equal((await rawRequest(behindProxy.baseUrl, { method: 'GET', path: '/v1/job-types', headers: host })).status, 200);
        // The proxy speaks https to the browser and http to us: the public origin is ours all the same.
        const cancel = await rawRequest(behindProxy.baseUrl, {
          method: 'POST',
          path: '/v1/jobs/echo-none/cancel',
          headers: { ...host, origin: 'https://jobs.example.com' },
        });
        expectProblem(cancel, 404, 'job-not-found');
      } finally {
        await behindProxy.stop();
      }
    });

    it('parses Host headers strictly', () => {
      assert.equal(hostNameOf('LocalHost:3000'), 'localhost');
      assert.equal(hostNameOf('[::1]:3000'), '[::1]');
      assert.equal(hostNameOf('example.com.'), 'example.com');
      for (const bad of [undefined, '', '::1', 'a:b:c', 'host:port', 'host:123456']) assert.equal(hostNameOf(bad), undefined, String(bad));
      const allowed = hostAllowList({ allowedHosts: ['api'], bindHost: 'jobline.lan', publicUrl: 'http://jobs.example.com:8080/base' });
      for (const name of ['api', 'jobline.lan', 'jobs.example.com', 'localhost', '127.0.0.1', '[::1]', '192.168.1.9'])
        assert.ok(allowed(name), name);
      for (const name of ['apis', 'example.com', 'localhost.example', '[::g]', '999.1.1.1']) assert.ok(!allowed(name), name);
      assert.ok(!hostAllowList({ bindHost: '0.0.0.0' })('0.0.0.0.example'));
    });
  });

  it("maps Temporal's INVALID_ARGUMENT to 400 and NOT_FOUND to 404, also when wrapped, never to 500", async () => {
    // The SDK throws grpc-js errors (a numeric `code`), often as the `cause` of its own error.
    const grpcError = (code: number) => Object.assign(new Error(`${code} grpc`), { code, details: 'refused' });
    const app = express();
    app.get('/bare/:code', (req) => {
      throw grpcError(Number(req.params.code));
    });
    app.get('/wrapped/:code', (req) => {
      throw new Error('service error', { cause: grpcError(Number(req.params.code)) });
    });
    app.use(problemHandler(logger));
    const server = await listen(app, '127.0.0.1', 0);
    try {
      for (const kind of ['bare', 'wrapped']) {
        expectProblem(await rawRequest(server.url, { method: 'GET', path: `/${kind}/3` }), 400, 'invalid-request');
        expectProblem(await rawRequest(server.url, { method: 'GET', path: `/${kind}/5` }), 404, 'not-found');
        expectProblem(await rawRequest(server.url, { method: 'GET', path: `/${kind}/14` }), 503, 'temporal-unavailable');
      }
    } finally {
      await server.close();
    }
  });

  it('leaves the JSON content-type rules of the routes as they were', async () => {
    expectProblem(await send({ method: 'POST', path: '/v1/jobs' }), 415, 'unsupported-media-type');
    expectProblem(
      await send({ method: 'POST', path: '/v1/jobs', headers: { 'content-type': 'application/merge-patch+json' }, body: '{}' }),
      415,
      'unsupported-media-type',
    );
  });
});
