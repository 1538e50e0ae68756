import assert from 'node:assert/strict';
import { authModeFor, UnsafeAuthConfigError } from '../src/auth/auth-mode';
import { hashApiKey, keyMatches, newApiKey } from '../src/auth/api-key';
import { bearer, writeKeyFile } from './support/api-keys';
import { useStack } from './support/use-stack';

describe('authentication: API keys', () => {
  const { file, keys } = writeKeyFile(
    [
      { id: 'acme-reader', tenant: 'acme', role: 'reader' },
      { id: 'acme-submitter', tenant: 'acme', role: 'submitter' },
    ],
    'yaml',
  );
  const suite = useStack({ env: { JOBLINE_API_KEYS_FILE: file }, apiKey: keys['acme-submitter'] });

  it('answers 401 problem+json with WWW-Authenticate: Bearer when no key is sent, and starts nothing', async () => {
    const { stack } = suite;
    const response = await fetch(`${stack.baseUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'echo', input: { value: 'anonymous' } }),
    });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="jobline"');
    const listing = (await (await fetch(`${stack.baseUrl}/v1/jobs`, { headers: bearer(keys['acme-reader']!) })).json()) as {
      jobs: unknown[];
    };
    assert.equal(listing.jobs.length, 0);
  });

  it('answers the same 401 for an unknown key id, a wrong secret and a malformed key', async () => {
    const { stack } = suite;
    const wrongSecret = keys['acme-reader']!.replace(/\.(.)/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
    for (const key of [newApiKey('nobody'), wrongSecret, 'not-a-key', keys['acme-reader']!.slice(0, -1)]) {
      const response = await fetch(`${stack.baseUrl}/v1/jobs`, { headers: bearer(key) });
      assert.equal(response.status, 401, key.slice(0, 12));
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="jobline", error="invalid_token"');
      const body = (await response.json()) as { detail: string };
      assert.equal(body.detail, 'the API key is not valid');
    }
  });

  it('accepts a valid key, and leaves /healthz and the docs open', async () => {
    const { stack } = suite;
    const submitted = await stack.submit({ type: 'echo', input: { value: 'with a key' } });
    assert.equal(submitted.status, 202);
    const done = await stack.waitFor(submitted.body.id, (job) => job.status === 'completed');
    assert.equal(done.status, 'completed');
    assert.equal((await fetch(`${stack.baseUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${stack.baseUrl}/openapi.json`)).status, 200);
  });
});

describe('authentication: keys and modes', () => {
  it('stores only a hash, and compares a presented key with it', () => {
    const key = newApiKey('ops');
    assert.match(key, /^jlk_ops\.[A-Za-z0-9_-]{43}$/);
    const hash = hashApiKey(key);
    assert.ok(!hash.includes(key.split('.')[1]!));
    assert.ok(keyMatches(key, hash));
    assert.ok(!keyMatches(newApiKey('ops'), hash));
  });

  it('runs open on loopback without keys, and refuses any other address unless JOBLINE_AUTH=none', () => {
    assert.equal(authModeFor({}, '127.0.0.1'), 'open');
    assert.equal(authModeFor({}, '::1'), 'open');
    assert.equal(authModeFor({}, 'localhost'), 'open');
    assert.throws(() => authModeFor({}, '0.0.0.0'), UnsafeAuthConfigError);
    assert.throws(() => authModeFor({}, '10.1.2.3'), UnsafeAuthConfigError);
    assert.equal(authModeFor({ mode: 'none' }, '0.0.0.0'), 'none');
    assert.equal(authModeFor({ keysFile: '/etc/jobline/keys.yaml' }, '0.0.0.0'), 'keys');
  });
});
