import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { caller, writeKeyFile, type KeyedReply } from './support/api-keys';
import { startStack, type Stack } from './support/stack';
import { useStack } from './support/use-stack';

const REDIS_URL = 'redis://127.0.0.1:6379';
const echo = (run: string) => ({ type: 'echo', input: { value: run }, metadata: { run } });

function expectRateLimited(reply: KeyedReply, quota: number): void {
  assert.equal(reply.status, 429, JSON.stringify(reply.body));
  assert.match(reply.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(reply.body.type, '/problems/rate-limited');
  const retryAfter = Number(reply.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${reply.headers.get('retry-after')}`);
  assert.equal(reply.headers.get('ratelimit-policy'), `"submit";q=${quota};w=60`);
  assert.equal(reply.headers.get('ratelimit'), `"submit";r=0;t=${retryAfter}`);
}

/** The echo jobs the listing shows with this value, once the listing has caught up (SQLite visibility lags). */
async function jobsWithValue(stack: Stack, key: string, value: string, expected: number): Promise<number> {
  const list = caller(stack.baseUrl, key);
  let count = -1;
  for (let i = 0; i < 20; i++) {
    const page = await list('GET', '/v1/jobs?type=echo&limit=100');
    count = ours(page.body.jobs, value);
    if (count >= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // A moment more, so that a job started late by a refused request would show too.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const page = await list('GET', '/v1/jobs?type=echo&limit=100');
  return ours(page.body.jobs, value);
}

const ours = (jobs: Array<{ metadata: Record<string, string> }>, run: string) => jobs.filter((job) => job.metadata.run === run).length;

describe('rate limit per key (in memory)', function () {
  this.timeout(60_000);
  const { file, keys } = writeKeyFile([
    { id: 'limited', tenant: 'acme', role: 'operator', rateLimit: { requests: 3, perSeconds: 60 } },
    { id: 'unlimited', tenant: 'acme', role: 'submitter' },
  ]);
  const suite = useStack({ env: { JOBLINE_API_KEYS_FILE: file } });

  it('accepts the quota with RateLimit headers, then answers 429 with Retry-After and starts nothing', async () => {
    const limited = caller(suite.stack.baseUrl, keys.limited);
    const value = `memory-${randomBytes(4).toString('hex')}`;
    for (const remaining of [2, 1, 0]) {
      const reply = await limited('POST', '/v1/jobs', echo(value));
      assert.equal(reply.status, 202, JSON.stringify(reply.body));
      assert.equal(reply.headers.get('ratelimit-policy'), '"submit";q=3;w=60');
      assert.match(reply.headers.get('ratelimit') ?? '', new RegExp(`^"submit";r=${remaining};t=\\d+$`));
    }
    expectRateLimited(await limited('POST', '/v1/jobs', echo(value)), 3);
    // Other job-starting operations share the budget; reads do not count.
    expectRateLimited(await limited('POST', '/v1/schedules/nope/trigger'), 3);
    assert.equal((await limited('GET', '/v1/jobs')).status, 200);
    assert.equal(await jobsWithValue(suite.stack, keys.limited!, value, 3), 3);
  });

  it('does not count keys without a rateLimit (no headers either)', async () => {
    const unlimited = caller(suite.stack.baseUrl, keys.unlimited);
    for (let i = 0; i < 5; i++) {
      const reply = await unlimited('POST', '/v1/jobs', echo(`unlimited-${i}`));
      assert.equal(reply.status, 202);
      assert.equal(reply.headers.get('ratelimit'), null);
    }
  });
});

describe('rate limit per key (Redis, shared by two API processes)', function () {
  this.timeout(60_000);
  // A key id of its own per run: Redis keeps counts between runs for the window's length.
  const id = `shared-${randomBytes(4).toString('hex')}`;
  const { file, keys } = writeKeyFile([{ id, tenant: 'acme', role: 'submitter', rateLimit: { requests: 4, perSeconds: 60 } }]);
  let first: Stack;
  let second: Stack;
  before(async () => {
    const env = { JOBLINE_API_KEYS_FILE: file, JOBLINE_REDIS_URL: REDIS_URL };
    first = await startStack({ env });
    second = await startStack({ env, worker: false });
  });
  after(async () => {
    await first?.stop();
    await second?.stop();
  });

  it('counts one budget across both APIs', async () => {
    const value = `redis-${randomBytes(4).toString('hex')}`;
    const viaFirst = caller(first.baseUrl, keys[id]);
    const viaSecond = caller(second.baseUrl, keys[id]);
    const remaining: string[] = [];
    for (const call of [viaFirst, viaSecond, viaFirst, viaSecond]) {
      const reply = await call('POST', '/v1/jobs', echo(value));
      assert.equal(reply.status, 202, JSON.stringify(reply.body));
      remaining.push(/r=(\d+)/.exec(reply.headers.get('ratelimit') ?? '')?.[1] ?? '?');
    }
    assert.deepEqual(remaining, ['3', '2', '1', '0']);
    expectRateLimited(await viaFirst('POST', '/v1/jobs', echo(value)), 4);
    expectRateLimited(await viaSecond('POST', '/v1/jobs', echo(value)), 4);
    // Both stacks list the same namespace; only the four accepted submissions exist.
    assert.equal(await jobsWithValue(first, keys[id]!, value, 4), 4);
  });
});
