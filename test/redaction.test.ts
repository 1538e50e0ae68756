import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { JobView } from '../src/api/job-view';
import { findJobType } from '../src/jobs';
import { redactInput, REDACTED, scrubCredentialText, scrubSecrets, secretValues } from '../src/jobs/redact';
import { isSecretHeader, SECRET_HEADER_NAMES } from '../src/jobs/secret-headers';
import { logger } from '../src/logger';
import { forwardedEntry } from '../src/temporal/runtime';
import { startLoggedApi } from './support/logged-api';
import { useStack } from './support/use-stack';

const fast = { initialIntervalMs: 100, backoffCoefficient: 2, maxIntervalMs: 500, jitter: 0.2 };

/** Unique per run, so a hit in a body or a log line can only come from this test. */
const run = randomUUID().slice(0, 8);
const BEARER = `Bearer s3cr3t-${run}-bearer-token`;
const COOKIE = `session=c00kie-${run}-value`;
const API_KEY = `k3y-${run}-api-key`;
const PROXY = `Basic pr0xy-${run}-credentials`;
const SECRETS = [BEARER, COOKIE, API_KEY, PROXY, `s3cr3t-${run}`, `c00kie-${run}`, `k3y-${run}`, `pr0xy-${run}`];

const secretHeaders = () => ({
  Authorization: BEARER,
  Cookie: COOKIE,
  'X-Api-Key': API_KEY,
  'proxy-authorization': PROXY,
  'X-Other': `visible-${run}`,
});

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} shows ${secret}: ${text.slice(0, 2_000)}`);
}

describe('redaction of secrets in views, errors and logs', function () {
  this.timeout(60_000);
  const suite = useStack();
  const raw = async (path: string): Promise<string> => {
    const response = await fetch(`${suite.stack.baseUrl}${path}`);
    const text = await response.text();
    assert.equal(response.status, 200, `${path}: ${text}`);
    return text;
  };
  const post = (path: string, body: unknown) =>
    fetch(`${suite.stack.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** A target that answers 400 (non-retryable: parked at once) and echoes the credential back in its body. */
  async function deadLetteredHttpJob(): Promise<{ job: JobView; target: Awaited<ReturnType<typeof suite.target>> }> {
    const target = await suite.target([{ status: 400, body: `rejected: you sent ${BEARER} and ${API_KEY}` }, 200]);
    const { status, body } = await suite.stack.submit({
      type: 'http',
      input: { url: `${target.url}/hook`, headers: secretHeaders() },
      retry: fast,
    });
    assert.equal(status, 202, JSON.stringify(body));
    assertNoSecret(JSON.stringify(body), 'the submit answer');
    const job = await suite.stack.waitFor(body.id, (j) => j.status === 'dead_lettered');
    return { job, target };
  }

  it('sends the real headers, but no view of the job, its dead letter or a listing shows them', async () => {
    const { job, target } = await deadLetteredHttpJob();
    // The job still sends every credential.
    assert.equal(target.calls[0]!.headers.authorization, BEARER);
    assert.equal(target.calls[0]!.headers.cookie, COOKIE);
    assert.equal(target.calls[0]!.headers['x-api-key'], API_KEY);
    assert.equal(target.calls[0]!.headers['proxy-authorization'], PROXY);

    const detail = await raw(`/v1/dead-letters/${job.id}`);
    assertNoSecret(detail, 'GET /v1/dead-letters/{id}');
    const parsed = JSON.parse(detail) as {
      input: { headers: Record<string, string>; url: string };
      deadLetterHistory: Array<{ message: string }>;
    };
    assert.deepEqual(parsed.input.headers, {
      Authorization: REDACTED,
      Cookie: REDACTED,
      'X-Api-Key': REDACTED,
      'proxy-authorization': REDACTED,
      'X-Other': `visible-${run}`,
    });
    assert.match(parsed.input.url, /\/hook$/);
    // The target's echo reached the error, scrubbed at the attempt: the rest of the message is still there.
    assert.match(parsed.deadLetterHistory[0]!.message, /HTTP 400 .*rejected: you sent/);
    assert.ok(parsed.deadLetterHistory[0]!.message.includes(REDACTED));

    assertNoSecret(await raw(`/v1/jobs/${job.id}`), 'GET /v1/jobs/{id}');
    let listing = '';
    for (let i = 0; i < 50 && !listing.includes(job.id); i += 1) {
      listing = await raw('/v1/jobs?type=http&limit=100');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(listing.includes(job.id), 'the job is listed');
    assertNoSecret(listing, 'GET /v1/jobs?type=http');
    const deadLetters = await raw('/v1/dead-letters?type=http&limit=100');
    assertNoSecret(deadLetters, 'GET /v1/dead-letters');
  });

  it('retries a dead letter with its stored input: the real secret is sent again', async () => {
    const { job, target } = await deadLetteredHttpJob();
    const answer = await post(`/v1/dead-letters/${job.id}/retry`, {});
    assert.equal(answer.status, 202);
    assertNoSecret(await answer.text(), 'the retry answer');
    await suite.stack.waitFor(job.id, (j) => j.status === 'completed');
    assert.equal(target.calls.length, 2);
    assert.equal(target.calls[1]!.headers.authorization, BEARER, 'redaction is for views only');
  });

  it('retries a dead letter with a corrected input that carries a secret: it is sent, not shown', async () => {
    const { job } = await deadLetteredHttpJob();
    const good = await suite.target([200]);
    const answer = await post(`/v1/dead-letters/${job.id}/retry`, {
      input: { url: `${good.url}/fixed`, headers: { authorization: BEARER } },
    });
    assert.equal(answer.status, 202);
    const done = await suite.stack.waitFor(job.id, (j) => j.status === 'completed');
    assert.equal(good.calls.length, 1);
    assert.equal(good.calls[0]!.headers.authorization, BEARER);
    assertNoSecret(JSON.stringify(done), 'the completed job');
  });

  it('shows a dead-lettered batch’s http-deliver headers redacted, and scrubs its failed items’ errors', async () => {
    const target = await suite.target([{ status: 400, body: `no: ${BEARER}` }]);
    const { body } = await suite.stack.submit({
      type: 'batch',
      input: {
        handler: 'http-deliver',
        handlerInput: { url: target.url, headers: secretHeaders(), maxAttempts: 1 },
        items: [{ n: 1 }, { n: 2 }],
        maxFailedItems: 0,
      },
      retry: fast,
    });
    const job = await suite.stack.waitFor(body.id, (j) => j.status === 'dead_lettered');
    assert.equal(target.calls[0]!.headers.authorization, BEARER);
    const detail = await raw(`/v1/dead-letters/${job.id}`);
    assertNoSecret(detail, 'a batch dead letter');
    const input = (JSON.parse(detail) as { input: { handlerInput: { headers: Record<string, string> } } }).input;
    assert.equal(input.handlerInput.headers.Authorization, REDACTED);
    assert.equal(input.handlerInput.headers['X-Other'], `visible-${run}`);
    assertNoSecret(await raw(`/v1/jobs/${job.id}`), 'a batch view');
    const failed = await raw(`/v1/jobs/${job.id}/failed-items`);
    assert.match(failed, /HTTP 400/);
    assertNoSecret(failed, 'failed items');
  });

  it('shows a pipeline node’s dead letter redacted', async () => {
    const target = await suite.target([400]);
    const { body } = await suite.stack.submit({
      type: 'pipeline',
      input: { nodes: [{ id: 'call', type: 'http', input: { url: target.url, headers: secretHeaders() }, retry: fast }] },
    });
    const node = await suite.stack.waitFor(`${body.id}/call`, (j) => j.status === 'dead_lettered');
    assertNoSecret(await raw(`/v1/dead-letters/${encodeURIComponent(node.id)}`), 'a pipeline node’s dead letter');
    assertNoSecret(await raw(`/v1/jobs/${encodeURIComponent(body.id)}`), 'the pipeline view');
  });

  it('shows a schedule’s job input redacted; its runs still get the real value', async () => {
    const id = `redact-${run}`;
    const target = await suite.target([200]);
    const job = { type: 'http', input: { url: target.url, headers: secretHeaders() } };
    const created = await post('/v1/schedules', { id, intervalMs: 3_600_000, paused: true, job });
    const createdText = await created.text();
    assert.equal(created.status, 201, createdText);
    try {
      assertNoSecret(createdText, 'the created schedule');
      const view = await raw(`/v1/schedules/${encodeURIComponent(id)}`);
      assertNoSecret(view, 'GET /v1/schedules/{id}');
      const headers = (JSON.parse(view) as { job: { input: { headers: Record<string, string> } } }).job.input.headers;
      assert.equal(headers.Authorization, REDACTED);
      assert.equal(headers['X-Other'], `visible-${run}`);
      assertNoSecret(await raw('/v1/schedules'), 'GET /v1/schedules');
      const triggered = await post(`/v1/schedules/${encodeURIComponent(id)}/trigger`, {});
      assert.equal(triggered.status, 202);
      for (let i = 0; i < 100 && target.calls.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(target.calls[0]?.headers.authorization, BEARER, 'the scheduled run sends the real header');
    } finally {
      await fetch(`${suite.stack.baseUrl}/v1/schedules/${encodeURIComponent(id)}`, { method: 'DELETE' });
    }
  });

  it('keeps callers’ own Authorization, X-Api-Key and Cookie out of the request log', async () => {
    const { lines, server } = await startLoggedApi(suite.stack);
    try {
      const callerSecret = `Bearer caller-secret-${run}`;
      const callerKey = `caller-key-${run}`;
      const headers = {
        authorization: callerSecret,
        'x-api-key': callerKey,
        cookie: `sid=caller-cookie-${run}`,
        'proxy-authorization': `Basic caller-proxy-${run}`,
      };
      await fetch(`${server.url}/v1/jobs?limit=1`, { headers });
      await fetch(`${server.url}/v1/no-such-route`, { headers });
      const submitted = await fetch(`${server.url}/v1/jobs`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'echo', input: {} }),
      });
      assert.equal(submitted.status, 202);
      const text = lines.join('');
      assert.ok(lines.length >= 3, `request lines were logged: ${text}`);
      for (const secret of [callerSecret, callerKey, `caller-cookie-${run}`, `caller-proxy-${run}`])
        assert.ok(!text.includes(secret), `the log shows ${secret}: ${text}`);
      assert.ok(text.includes('[Redacted]'), text);
      // The rest of the request is still logged.
      assert.ok(text.includes('/v1/no-such-route'), text);
    } finally {
      await server.close();
    }
  });

  it('keeps job input secrets out of the worker’s log lines (the SDK’s own warnings included)', async () => {
    // The worker's SDK logs go through the shared logger: read what it writes while a job fails.
    const written: string[] = [];
    // pino writes each line to the stream under this symbol; children (the SDK's, pino-http's) share it.
    const streams = logger as unknown as Record<symbol, pino.DestinationStream>;
    const stream = streams[pino.symbols.streamSym]!;
    const level = logger.level;
    streams[pino.symbols.streamSym] = { write: (line: string) => void written.push(line) };
    logger.level = 'warn';
    try {
      await deadLetteredHttpJob();
    } finally {
      streams[pino.symbols.streamSym] = stream;
      logger.level = level;
    }
    const text = written.join('');
    assert.match(text, /Activity failed|job attempts ended in failure/, `the failure was logged: ${text}`);
    assertNoSecret(text, 'the worker log');
  });
});

describe('redaction rules (unit)', function () {
  it('names the credential headers, in any case, plus a job type’s own', function () {
    assert.deepEqual([...SECRET_HEADER_NAMES], ['authorization', 'cookie', 'proxy-authorization', 'x-api-key']);
    assert.ok(isSecretHeader('X-API-KEY') && isSecretHeader('Authorization') && !isSecretHeader('x-other'));
    assert.ok(isSecretHeader('X-Signature', ['x-signature']));
  });

  it('redacts a deep copy and leaves the input itself alone', function () {
    const input = { url: 'http://x', headers: { Authorization: BEARER, 'x-other': 'ok' } };
    const shown = redactInput(findJobType('http'), input) as typeof input;
    assert.equal(shown.headers.Authorization, REDACTED);
    assert.equal(shown.headers['x-other'], 'ok');
    assert.equal(input.headers.Authorization, BEARER);
  });

  it('follows paths, extra header names and nested declarations', function () {
    const declaration = {
      secrets: {
        headers: ['targets.*.headers'],
        secretHeaders: ['x-signature'],
        paths: ['auth.password', 'tokens.*'],
        nested: () => [{ path: ['inner'], declaration: findJobType('http') }],
      },
    };
    const shown = redactInput(declaration, {
      targets: [{ headers: { 'X-Signature': 'sig', Cookie: 'c', Accept: 'a' } }],
      auth: { user: 'u', password: 'p' },
      tokens: { a: 't1', b: 't2' },
      inner: { headers: { authorization: 'x' } },
    });
    assert.deepEqual(shown, {
      targets: [{ headers: { 'X-Signature': REDACTED, Cookie: REDACTED, Accept: 'a' } }],
      auth: { user: 'u', password: REDACTED },
      tokens: { a: REDACTED, b: REDACTED },
      inner: { headers: { authorization: REDACTED } },
    });
  });

  it('hides every credential-named field of an unknown job type, at any depth', function () {
    assert.deepEqual(redactInput(undefined, { a: [{ b: { COOKIE: 'c', keep: 1 } }] }), { a: [{ b: { COOKIE: REDACTED, keep: 1 } }] });
  });

  it('redacts a pipeline node’s input by its own job type, as planned and as written', function () {
    const pipeline = findJobType('pipeline')!;
    const plan = pipeline.input.parse({
      nodes: [{ id: 'a', type: 'http', input: { url: 'http://x', headers: { Authorization: BEARER } } }],
    });
    assertNoSecret(JSON.stringify(redactInput(pipeline, plan)), 'a redacted plan');
    const written = { nodes: [{ id: 'a', type: 'http', input: { url: 'http://x', headers: { Authorization: BEARER } } }] };
    assertNoSecret(JSON.stringify(redactInput(pipeline, written)), 'a redacted request');
  });

  it('scrubs a secret and its long parts from text', function () {
    const values = secretValues(findJobType('http'), { headers: { Authorization: BEARER, Cookie: COOKIE } });
    const text = scrubSecrets(`echo: ${BEARER} / ${BEARER.split(' ')[1]} / c00kie-${run}-value / Bearer alone`, values);
    assertNoSecret(text, 'scrubbed text');
    assert.ok(text.endsWith('Bearer alone'), text);
  });

  it('forwards SDK log entries without payload dumps or credentials in the message', function () {
    const entry = forwardedEntry(`Failed to parse activity args: {"headers":{"Authorization":"${BEARER}"}}`, {
      task: `{"input":"${BEARER}"}`,
      taskEncoded: 'AAAA',
      activityType: 'callHttp',
    });
    assertNoSecret(JSON.stringify(entry), 'a forwarded entry');
    assert.equal(entry.fields.activityType, 'callHttp');
    assert.equal(entry.fields.source, 'temporal');
    assert.match(entry.message, /Authorization":"\[redacted\]/);
    assert.equal(scrubCredentialText('authorization failed'), 'authorization failed');
  });
});
