import assert from 'node:assert/strict';
import dns from 'node:dns';
import { Agent } from 'undici';
import { fetchFollowingRedirects, MAX_REDIRECTS } from '../src/activities/http';
import { TargetNotAllowedError } from '../src/activities/network-guard';
import { HttpJobInput } from '../src/jobs/http';
import { useStack } from './support/use-stack';

const fastRetry = { initialIntervalMs: 200, backoffCoefficient: 2, maxIntervalMs: 2_000, jitter: 0.2 };
const CREDENTIALS = {
  Authorization: 'Bearer s3cret',
  Cookie: 'session=s3cret',
  'X-Api-Key': 's3cret',
  'Proxy-Authorization': 'Basic s3cret',
};

describe('http job: redirects (two loopback origins, real HTTP)', function () {
  const suite = useStack(); // private targets allowed: both origins are on 127.0.0.1

  it('drops credential headers on a redirect to another origin, and keeps the others', async () => {
    const b = await suite.target([200]);
    const a = await suite.target([{ status: 307, headers: { location: `${b.url}/landing` } }]);
    const { body } = await suite.stack.submit({
      type: 'http',
      input: { url: `${a.url}/start`, method: 'POST', body: { n: 1 }, headers: { ...CREDENTIALS, 'X-Trace': 't-1' } },
    });
    const job = await suite.stack.waitFor(body.id, (j) => j.status === 'completed');
    assert.equal((job.result as { status: number }).status, 200);
    assert.equal(a.calls[0]!.headers.authorization, 'Bearer s3cret', 'origin A got its credentials');
    assert.equal(b.calls.length, 1);
    const landed = b.calls[0]!;
    for (const name of ['authorization', 'cookie', 'x-api-key', 'proxy-authorization']) assert.equal(landed.headers[name], undefined, name);
    assert.equal(landed.headers['x-trace'], 't-1');
    // 307 keeps the method and the body.
    assert.equal(landed.method, 'POST');
    assert.deepEqual(JSON.parse(landed.body), { n: 1 });
    assert.equal(landed.headers['content-type'], 'application/json');
  });

  it('keeps credential headers on a same-origin redirect', async () => {
    const a = await suite.target([{ status: 302, headers: { location: '/next' } }, 200]);
    const { body } = await suite.stack.submit({ type: 'http', input: { url: `${a.url}/first`, method: 'GET', headers: CREDENTIALS } });
    await suite.stack.waitFor(body.id, (j) => j.status === 'completed');
    assert.deepEqual(
      a.calls.map((call) => call.path),
      ['/first', '/next'],
    );
    const second = a.calls[1]!.headers;
    assert.equal(second.authorization, 'Bearer s3cret');
    assert.equal(second.cookie, 'session=s3cret');
    assert.equal(second['x-api-key'], 's3cret');
  });

  it('turns a POST into a GET on a 303, without the body and the headers that describe it', async () => {
    const b = await suite.target([200]);
    const a = await suite.target([{ status: 303, headers: { location: `${b.url}/see-other` } }]);
    const { body } = await suite.stack.submit({
      type: 'http',
      input: { url: a.url, method: 'POST', body: 'plain text', headers: { 'Content-Type': 'text/plain', 'Content-Language': 'en' } },
    });
    await suite.stack.waitFor(body.id, (j) => j.status === 'completed');
    assert.equal(a.calls[0]!.headers['content-type'], 'text/plain');
    const landed = b.calls[0]!;
    assert.equal(landed.method, 'GET');
    assert.equal(landed.body, '');
    assert.equal(landed.headers['content-type'], undefined);
    assert.equal(landed.headers['content-language'], undefined);
    assert.equal(landed.headers['content-length'], undefined);
  });

  it(`fails for good after ${MAX_REDIRECTS} redirects, without retrying`, async () => {
    const a = await suite.target([{ status: 302, headers: { location: '/again' } }]);
    const { body } = await suite.stack.submit({
      type: 'http',
      input: { url: `${a.url}/loop?token=s3cret`, method: 'GET' },
      retry: fastRetry,
    });
    const job = await suite.stack.waitFor(body.id, (j) => j.status === 'dead_lettered');
    assert.equal(job.attempts, 1);
    assert.equal(job.lastError?.type, 'HttpClientError');
    assert.match(job.lastError?.message ?? '', new RegExp(`more than ${MAX_REDIRECTS} redirects`));
    assert.doesNotMatch(job.lastError?.message ?? '', /s3cret/, 'query values are not printed');
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(a.calls.length, MAX_REDIRECTS + 1);
  });

  it('fails for good on a redirect to a URL with credentials, and never prints them', async () => {
    const b = await suite.target([200]);
    const a = await suite.target([{ status: 302, headers: { location: b.url.replace('http://', 'http://user:s3cret@') } }]);
    const { body } = await suite.stack.submit({ type: 'http', input: { url: a.url, method: 'GET' }, retry: fastRetry });
    const job = await suite.stack.waitFor(body.id, (j) => j.status === 'dead_lettered');
    assert.equal(job.lastError?.type, 'HttpClientError');
    assert.match(job.lastError?.message ?? '', /credentials/);
    assert.doesNotMatch(JSON.stringify(job), /s3cret/);
    assert.equal(b.calls.length, 0);
  });
});

describe('http job: every redirect hop is checked against private targets', function () {
  const suite = useStack();

  /**
   * An "allowed" origin on this machine: a name that this agent's lookup answers with 127.0.0.1, as a
   * public DNS name would be answered with a public address. The literal check is the real one.
   */
  const ALLOWED_NAME = 'allowed-origin.test';
  const dispatcher = new Agent({
    connect: {
      lookup: (hostname, options, callback) => {
        if (hostname !== ALLOWED_NAME) return dns.lookup(hostname, options, callback);
        if (options.all) return callback(null, [{ address: '127.0.0.1', family: 4 }]);
        return callback(null, '127.0.0.1', 4);
      },
    },
  });
  after(() => dispatcher.close());

  for (const literal of ['127.0.0.1', '[::ffff:7f00:1]', '2130706433', '0x7f.1', '[::127.0.0.1]', 'localhost']) {
    it(`refuses a redirect from an allowed origin to http://${literal}:port/`, async () => {
      const b = await suite.target([200]);
      const port = new URL(b.url).port;
      const a = await suite.target([{ status: 302, headers: { location: `http://${literal}:${port}/inner` } }]);
      const input = HttpJobInput.parse({ url: a.url.replace('127.0.0.1', ALLOWED_NAME), method: 'GET' });
      const error = await fetchFollowingRedirects(input, dispatcher, false, new AbortController().signal).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(error instanceof TargetNotAllowedError, `expected TargetNotAllowed, got ${String(error)}`);
      assert.equal(a.calls.length, 1, 'the allowed origin was called');
      assert.equal(b.calls.length, 0, 'the private hop was not');
    });
  }
});
