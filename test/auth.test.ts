import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { KeyRing } from '../src/auth/key-ring';
import { watchKeyFile } from '../src/auth/watch-key-file';
import { logger } from '../src/logger';
import { authModeFor, UnsafeAuthConfigError } from '../src/auth/auth-mode';
import { hashApiKey, keyMatches, newApiKey } from '../src/auth/api-key';
import { bearer, writeKeyFile } from './support/api-keys';
import { useStack } from './support/use-stack';

const AUTH_TENANT = `auth-${process.pid}-${Date.now() % 100_000}`;

describe('authentication: API keys', () => {
  const { file, keys } = writeKeyFile(
    [
      // A tenant of this suite's own: the namespace is shared with every other suite's jobs.
      { id: 'acme-reader', tenant: AUTH_TENANT, role: 'reader' },
      { id: 'acme-submitter', tenant: AUTH_TENANT, role: 'submitter' },
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

describe('authentication: the key file reloads without a restart', function () {
  this.timeout(60_000);
  const { file, keys: first } = writeKeyFile([
    { id: 'stays', tenant: 'acme', role: 'reader' },
    { id: 'leaves', tenant: 'acme', role: 'reader' },
  ]);
  const suite = useStack({ env: { JOBLINE_API_KEYS_FILE: file }, worker: false });
  const status = async (key: string) => (await fetch(`${suite.stack.baseUrl}/v1/jobs?limit=1`, { headers: bearer(key) })).status;
  const eventually = async (key: string, expected: number, withinMs = 3_000) => {
    const deadline = Date.now() + withinMs;
    let last = 0;
    while (Date.now() < deadline) {
      last = await status(key);
      if (last === expected) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`expected ${expected} within ${withinMs} ms, last ${last}`);
  };

  it('takes a new key and drops a removed one when the file changes; an invalid file keeps the keys', async () => {
    assert.equal(await status(first.stays!), 200);
    assert.equal(await status(first.leaves!), 200);
    // Rewritten as an operator would: `stays` kept (same hash), `leaves` removed, `arrives` new.
    const stays = { id: 'stays', tenant: 'acme', role: 'reader' as const, hash: hashApiKey(first.stays!) };
    const arrives = newApiKey('arrives');
    writeFileSync(file, JSON.stringify({ keys: [stays, { id: 'arrives', tenant: 'acme', role: 'reader', hash: hashApiKey(arrives) }] }));
    await eventually(arrives, 200);
    await eventually(first.leaves!, 401);
    assert.equal(await status(first.stays!), 200);

    writeFileSync(file, 'keys: [{ id: "broken", hash: "not-a-hash" }]');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(await status(arrives), 200, 'an invalid file keeps the keys loaded before');
    assert.equal(await status(first.stays!), 200);
  });

  it('reloads on SIGHUP', async () => {
    const { file: other, keys: before } = writeKeyFile([{ id: 'old', tenant: 'acme', role: 'reader' }]);
    const ring = new KeyRing(other);
    const stop = watchKeyFile(ring, logger, { fileEvents: false });
    try {
      const { keys: after } = writeKeyFile([{ id: 'new', tenant: 'acme', role: 'reader' }], 'json', other);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(ring.authenticate(before.old!), 'not reloaded before the signal');
      assert.equal(ring.authenticate(after.new!), undefined);
      process.kill(process.pid, 'SIGHUP');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(ring.authenticate(after.new!)?.keyId, 'new');
      assert.equal(ring.authenticate(before.old!), undefined);
    } finally {
      stop();
    }
  });
});
