import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { JobView } from '../src/api/job-view';
import type { HttpProblem } from '../src/api/problem';
import { jobIdFor } from '../src/jobs/resolve-spec';
import { IdempotencyKey } from '../src/jobs/submission';
import { ScheduleId } from '../src/schedules/schedule-request';
import { IN_FLIGHT_CACHE_MS, InFlightLimit } from '../src/tenancy/in-flight-limit';
import { tenantClause, tenantClauses } from '../src/tenancy/tenant-clause';
import { splitScopedId, tenantScopedId } from '../src/tenancy/tenant-ids';
import { bearer, writeKeyFile } from './support/api-keys';
import { testEnv } from './support/temporal-env';
import { useStack } from './support/use-stack';

type Json = Record<string, unknown>;

/** Two tenants with a key of each role, an admin of a third, a default-tenant reader and a capped tenant. */
const { file, keys } = writeKeyFile([
  { id: 'acme-reader', tenant: 'acme', role: 'reader' },
  { id: 'acme-submitter', tenant: 'acme', role: 'submitter' },
  { id: 'acme-operator', tenant: 'acme', role: 'operator' },
  { id: 'globex-reader', tenant: 'globex', role: 'reader' },
  { id: 'globex-submitter', tenant: 'globex', role: 'submitter' },
  { id: 'globex-operator', tenant: 'globex', role: 'operator' },
  { id: 'ops-admin', tenant: 'ops', role: 'admin' },
  { id: 'plain-reader', tenant: 'default', role: 'reader' },
  { id: 'capped-submitter', tenant: 'capped', role: 'submitter', maxInFlight: 2 },
]);
const key = (id: string) => bearer(keys[id]!);

const fast = { initialIntervalMs: 100, backoffCoefficient: 2, maxIntervalMs: 500, jitter: 0 };

describe('tenants', function () {
  this.timeout(120_000);
  const suite = useStack({ env: { JOBLINE_API_KEYS_FILE: file, JOBLINE_SCHEDULE_MIN_INTERVAL_MS: '1000' } });

  async function call(method: string, path: string, as: string, body?: unknown): Promise<{ status: number; body: Json; headers: Headers }> {
    const response = await fetch(`${suite.stack.baseUrl}${path}`, {
      method,
      headers: { ...key(as), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // An event stream (the owner's /events) stays open while the job runs: its status and headers are the answer.
    if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await response.body?.cancel();
      return { status: response.status, body: {}, headers: response.headers };
    }
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Json) : {}, headers: response.headers };
  }

  async function submitAs(as: string, job: Json, headers: Record<string, string> = {}): Promise<JobView & Json> {
    const submitted = await suite.stack.submit(job, { ...key(as), ...headers });
    assert.ok(submitted.status === 202 || submitted.status === 200, JSON.stringify(submitted.body));
    return submitted.body;
  }

  async function waitAs(as: string, id: string, done: (job: JobView) => boolean): Promise<JobView> {
    for (let i = 0; i < 300; i += 1) {
      const { status, body } = await call('GET', `/v1/jobs/${encodeURIComponent(id)}`, as);
      if (status === 200 && done(body as unknown as JobView)) return body as unknown as JobView;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job ${id} did not reach the expected state`);
  }

  /** Lists until `until` holds: visibility lags a moment behind. */
  async function listUntil(path: string, as: string, until: (ids: string[]) => boolean): Promise<string[]> {
    let ids: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      const { status, body } = await call('GET', path, as);
      assert.equal(status, 200, JSON.stringify(body));
      ids = ((body.jobs ?? body.schedules) as Array<{ id: string }>).map((entry) => entry.id);
      if (until(ids)) return ids;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return ids;
  }

  let acmeJob: JobView;
  let globexJob: JobView;
  let acmeDeadLetter: JobView;
  let globexDeadLetter: JobView;
  /** The owner's own calls in the every-route test retry and discard this one. */
  let probeDeadLetter: JobView;

  before(async () => {
    acmeJob = await submitAs('acme-submitter', { type: 'echo', input: { value: 'acme' } });
    globexJob = await submitAs('globex-submitter', { type: 'echo', input: { value: 'globex' } });
    const target = await suite.target([400, 400]);
    const parked = (as: string) => submitAs(as, { type: 'http', input: { url: `${target.url}/x` }, retry: fast });
    acmeDeadLetter = await parked('acme-submitter');
    globexDeadLetter = await parked('globex-submitter');
    probeDeadLetter = await parked('acme-submitter');
    acmeJob = await waitAs('acme-reader', acmeJob.id, (job) => job.status === 'completed');
    globexJob = await waitAs('globex-reader', globexJob.id, (job) => job.status === 'completed');
    await waitAs('acme-reader', acmeDeadLetter.id, (job) => job.status === 'dead_lettered');
    await waitAs('globex-reader', globexDeadLetter.id, (job) => job.status === 'dead_lettered');
    probeDeadLetter = await waitAs('acme-reader', probeDeadLetter.id, (job) => job.status === 'dead_lettered');
  });

  it("answers another tenant's job with the very 404 of a missing one, on every route that takes a job id", async () => {
    const { body: openapi } = await call('GET', '/openapi.json', 'ops-admin');
    const operations = Object.entries(openapi.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      path.includes('{id}') && !path.startsWith('/v1/schedules')
        ? Object.keys(item)
            .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
            .map((method) => ({ method: method.toUpperCase(), path }))
        : [],
    );
    // The routes known today; a new one is checked without being added here.
    assert.ok(operations.length >= 10, `only ${operations.length} operations with a job id`);
    const missing = `echo-${randomUUID()}`;
    const urlOf = (path: string, id: string) => path.replace('{id}', encodeURIComponent(id)).replace('{name}', 'report.html');
    const scrub = (body: Json, id: string) => JSON.parse(JSON.stringify(body).split(id).join('<id>')) as Json;
    const ownIdOf = (path: string) => (path.startsWith('/v1/dead-letters') ? probeDeadLetter.id : acmeJob.id);
    for (const { method, path } of operations) {
      const body = method === 'POST' ? {} : undefined;
      // The dead-letter routes get a dead letter, so that only the tenant tells the answers apart.
      const own = ownIdOf(path);
      const foreign = await call(method, urlOf(path, own), 'globex-operator', body);
      const absent = await call(method, urlOf(path, missing), 'globex-operator', body);
      const label = `${method} ${path}`;
      assert.equal(foreign.status, 404, `${label}: ${JSON.stringify(foreign.body)}`);
      assert.equal(foreign.headers.get('content-type'), absent.headers.get('content-type'), label);
      assert.deepEqual(scrub(foreign.body, own), scrub(absent.body, missing), label);
    }
    // Nothing was signalled or cancelled by the other tenant.
    const probe = (await call('GET', `/v1/jobs/${probeDeadLetter.id}`, 'acme-reader')).body;
    assert.equal(probe.status, 'dead_lettered');
    assert.equal(probe.attempts, probeDeadLetter.attempts);
    // The owner gets an answer about the job itself, so the 404s above came from the tenant check.
    for (const { method, path } of operations) {
      const owner = await call(method, urlOf(path, ownIdOf(path)), 'acme-operator', method === 'POST' ? {} : undefined);
      const label = `${method} ${path} as the owner`;
      assert.ok(!(owner.status === 404 && String(owner.body.type).endsWith('job-not-found')), `${label}: ${owner.status}`);
    }
    // Read-only and admin keys: the same 404 for another tenant, the job for an admin.
    assert.equal((await call('GET', `/v1/jobs/${acmeJob.id}`, 'globex-reader')).status, 404);
    assert.equal((await call('GET', `/v1/jobs/${acmeJob.id}`, 'plain-reader')).status, 404);
    assert.equal((await call('GET', `/v1/jobs/${acmeJob.id}`, 'ops-admin')).status, 200);
  });

  it('lists only the caller’s tenant in the visibility query; an admin lists all, or one tenant with ?tenant=', async () => {
    const both = (ids: string[]) => ids.includes(acmeJob.id) && ids.includes(globexJob.id);
    const acme = await listUntil('/v1/jobs?limit=100', 'acme-reader', (ids) => ids.includes(acmeJob.id));
    assert.ok(acme.includes(acmeJob.id) && acme.includes(acmeDeadLetter.id));
    assert.ok(!acme.includes(globexJob.id) && !acme.includes(globexDeadLetter.id));
    assert.ok(both(await listUntil('/v1/jobs?limit=100', 'ops-admin', both)));
    const onlyGlobex = await listUntil('/v1/jobs?limit=100&tenant=globex', 'ops-admin', (ids) => ids.includes(globexJob.id));
    assert.ok(onlyGlobex.includes(globexJob.id) && !onlyGlobex.includes(acmeJob.id));
    // A key that asks for another tenant gets nothing (not the other tenant's jobs, not its own).
    assert.deepEqual(await listUntil('/v1/jobs?limit=100&tenant=globex', 'acme-reader', () => true), []);
    // The default tenant (and jobs from before tenants) has its own clause.
    const plain = await listUntil('/v1/jobs?limit=100', 'plain-reader', () => true);
    assert.ok(!plain.includes(acmeJob.id) && !plain.includes(globexJob.id));
    const bad = await call('GET', '/v1/jobs?tenant=Not%20A%20Tenant', 'ops-admin');
    assert.equal(bad.status, 400);

    const letters = await listUntil('/v1/dead-letters?limit=100', 'acme-reader', (ids) => ids.includes(acmeDeadLetter.id));
    assert.ok(letters.includes(acmeDeadLetter.id) && !letters.includes(globexDeadLetter.id));
    const allLetters = (ids: string[]) => ids.includes(acmeDeadLetter.id) && ids.includes(globexDeadLetter.id);
    assert.ok(allLetters(await listUntil('/v1/dead-letters?limit=100', 'ops-admin', allLetters)));
  });

  it("bulk retry retries the caller's tenant's dead letters only", async () => {
    const { status, body } = await call('POST', '/v1/dead-letters/retry', 'globex-operator', { limit: 1_000 });
    assert.equal(status, 202, JSON.stringify(body));
    const retried = body.retried as string[];
    assert.ok(retried.includes(globexDeadLetter.id) && !retried.includes(acmeDeadLetter.id));
    assert.equal((await call('GET', `/v1/jobs/${acmeDeadLetter.id}`, 'acme-reader')).body.status, 'dead_lettered');
  });

  it("answers dependsOn naming another tenant's job like an unknown id", async () => {
    const missing = `echo-${randomUUID()}`;
    const foreign = await suite.stack.submit({ type: 'echo', input: {}, dependsOn: [acmeJob.id] }, key('globex-submitter'));
    const absent = await suite.stack.submit({ type: 'echo', input: {}, dependsOn: [missing] }, key('globex-submitter'));
    assert.equal(foreign.status, 400);
    assert.deepEqual(
      JSON.parse(JSON.stringify(foreign.body).split(acmeJob.id).join('<id>')),
      JSON.parse(JSON.stringify(absent.body).split(missing).join('<id>')),
    );
    const own = await suite.stack.submit({ type: 'echo', input: {}, dependsOn: [acmeJob.id] }, key('acme-submitter'));
    assert.equal(own.status, 202, JSON.stringify(own.body));
  });

  it('scopes idempotency keys per tenant: the same key makes two jobs, and neither tenant gets a 409', async () => {
    const idem = { 'idempotency-key': `order-${randomUUID()}` };
    const acme = await suite.stack.submit({ type: 'echo', input: { value: 'a' } }, { ...key('acme-submitter'), ...idem });
    const globex = await suite.stack.submit({ type: 'echo', input: { value: 'g' } }, { ...key('globex-submitter'), ...idem });
    assert.equal(acme.status, 202, JSON.stringify(acme.body));
    assert.equal(globex.status, 202, JSON.stringify(globex.body));
    assert.notEqual(acme.body.id, globex.body.id);
    const again = await suite.stack.submit({ type: 'echo', input: { value: 'g' } }, { ...key('globex-submitter'), ...idem });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, globex.body.id);
    assert.equal((await call('GET', `/v1/jobs/${encodeURIComponent(globex.body.id)}`, 'acme-reader')).status, 404);
    const done = await waitAs('globex-reader', globex.body.id, (job) => job.status === 'completed');
    assert.deepEqual((done as JobView & { result?: unknown }).result, { value: 'g' });
  });

  it('scopes schedule ids per tenant, lists each tenant its own, and gives an admin all of them', async () => {
    const id = `nightly-${randomUUID().slice(0, 8)}`;
    const schedule = (value: string) => ({ id, cron: '0 3 1 1 *', job: { type: 'echo', input: { value } } });
    const acme = await call('POST', '/v1/schedules', 'acme-operator', schedule('acme'));
    const globex = await call('POST', '/v1/schedules', 'globex-operator', schedule('globex'));
    assert.equal(acme.status, 201, JSON.stringify(acme.body));
    assert.equal(globex.status, 201, JSON.stringify(globex.body));
    assert.equal(acme.body.id, id);
    assert.deepEqual(((await call('GET', `/v1/schedules/${id}`, 'globex-reader')).body.job as Json).input, { value: 'globex', sleepMs: 0 });
    assert.deepEqual(((await call('GET', `/v1/schedules/${id}`, 'acme-reader')).body.job as Json).input, { value: 'acme', sleepMs: 0 });
    // Another tenant's schedule is not there, even by its scoped name.
    assert.equal((await call('GET', `/v1/schedules/acme:${id}`, 'globex-reader')).status, 404);
    assert.equal((await call('POST', `/v1/schedules/acme:${id}/trigger`, 'globex-operator', {})).status, 404);

    const acmeList = await listUntil('/v1/schedules', 'acme-reader', (ids) => ids.includes(id));
    assert.deepEqual(
      acmeList.filter((listed) => listed.includes(id)),
      [id],
    );
    const adminSees = (ids: string[]) => ids.includes(`acme:${id}`) && ids.includes(`globex:${id}`);
    assert.ok(adminSees(await listUntil('/v1/schedules', 'ops-admin', adminSees)));
    const onlyAcme = await listUntil('/v1/schedules?tenant=acme', 'ops-admin', (ids) => ids.includes(`acme:${id}`));
    assert.ok(!onlyAcme.includes(`globex:${id}`));
    assert.ok(!(await listUntil('/v1/schedules', 'plain-reader', () => true)).some((listed) => listed.includes(id)));

    // A run of acme's schedule is acme's job.
    const triggered = await call('POST', `/v1/schedules/${id}/trigger`, 'acme-operator', {});
    assert.equal(triggered.status, 202, JSON.stringify(triggered.body));
    const runs = await listUntil('/v1/jobs?limit=100', 'acme-reader', (ids) => ids.some((job) => job.includes(`schedule-${id}`)));
    assert.ok(
      runs.some((job) => job.startsWith(`acme:echo-schedule-${id}`)),
      runs.join(', '),
    );

    assert.equal((await call('DELETE', `/v1/schedules/${id}`, 'acme-operator')).status, 204);
    assert.equal((await call('GET', `/v1/schedules/${id}`, 'acme-reader')).status, 404);
    assert.equal((await call('GET', `/v1/schedules/${id}`, 'globex-reader')).status, 200);
    assert.equal((await call('DELETE', `/v1/schedules/globex:${id}`, 'ops-admin')).status, 204);
  });

  it("puts a pipeline's nodes in the pipeline's tenant", async () => {
    const pipeline = await submitAs('acme-submitter', {
      type: 'pipeline',
      input: { nodes: [{ id: 'a', type: 'echo', input: { value: 1 } }] },
    });
    await waitAs('acme-reader', pipeline.id, (job) => job.status === 'completed');
    const node = `${pipeline.id}/a`;
    assert.equal((await call('GET', `/v1/jobs/${encodeURIComponent(node)}`, 'acme-reader')).status, 200);
    assert.equal((await call('GET', `/v1/jobs/${encodeURIComponent(node)}`, 'globex-reader')).status, 404);
  });

  it('refuses a job over the key’s maxInFlight with 429 and Retry-After, and starts nothing', async () => {
    const long = { type: 'echo', input: { sleepMs: 4_000 } };
    const first = await suite.stack.submit(long, key('capped-submitter'));
    const second = await suite.stack.submit(long, key('capped-submitter'));
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    const third = await suite.stack.submit(long, key('capped-submitter'));
    assert.equal(third.status, 429, JSON.stringify(third.body));
    assert.match(third.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.match(String(third.body.type), /rate-limited$/);
    assert.ok(Number(third.headers.get('retry-after')) >= 1);
    // Also once the cached count has expired and visibility counts the two running jobs itself.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    assert.equal((await suite.stack.submit(long, key('capped-submitter'))).status, 429);
    const capped = await listUntil('/v1/jobs?limit=100&tenant=capped', 'ops-admin', (ids) => ids.length >= 2);
    assert.equal(capped.length, 2);
    // Other tenants are not limited by it.
    assert.equal((await suite.stack.submit({ type: 'echo', input: {} }, key('acme-submitter'))).status, 202);
    await waitAs('ops-admin', first.body.id, (job) => job.status === 'completed');
    await waitAs('ops-admin', second.body.id, (job) => job.status === 'completed');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    assert.equal((await suite.stack.submit({ type: 'echo', input: {} }, key('capped-submitter'))).status, 202);
  });
});

describe('tenant ids, clauses and the in-flight count', () => {
  it('scopes ids so that no tenant can produce another tenant’s id, and keeps the default tenant’s ids', () => {
    assert.equal(jobIdFor('echo', 'k1'), 'echo-idem-k1');
    assert.equal(jobIdFor('echo', 'k1', 'default'), 'echo-idem-k1');
    assert.equal(jobIdFor('echo', 'k1', 'acme'), 'acme:echo-idem-k1');
    // An idempotency key may not hold the separator, so the default tenant cannot spell acme's id.
    assert.equal(IdempotencyKey.safeParse('acme:echo-idem-k1').success, false);
    assert.equal(ScheduleId.safeParse('acme:nightly').success, false);
    assert.deepEqual(splitScopedId(tenantScopedId('acme', 'a.b~c')), { tenant: 'acme', id: 'a.b~c' });
    assert.deepEqual(splitScopedId('nightly'), { tenant: 'default', id: 'nightly' });
  });

  it('builds tenant clauses from valid tenant ids only', () => {
    assert.equal(tenantClause('acme'), "JobTenant = 'acme'");
    assert.equal(tenantClause('default'), "(JobTenant = 'default' OR JobTenant IS NULL)");
    assert.throws(() => tenantClause("x' OR 'a' = 'a"));
    const reader = { keyId: 'r', tenant: 'acme', role: 'reader', weight: 1 } as const;
    const admin = { ...reader, role: 'admin' } as const;
    assert.deepEqual(tenantClauses(reader), ["JobTenant = 'acme'"]);
    assert.deepEqual(tenantClauses(reader, 'acme'), ["JobTenant = 'acme'"]);
    assert.deepEqual(tenantClauses(reader, 'globex'), ["JobTenant = 'acme'", "JobTenant = 'globex'"]);
    assert.deepEqual(tenantClauses(admin), []);
    assert.deepEqual(tenantClauses(admin, 'globex'), ["JobTenant = 'globex'"]);
  });

  it('counts a tenant’s running jobs once a second, shared by concurrent requests', async () => {
    const client = testEnv().client;
    let counts = 0;
    const counting = Object.create(client) as typeof client;
    Object.defineProperty(counting, 'workflow', {
      value: Object.assign(Object.create(client.workflow) as typeof client.workflow, {
        count: (query?: string) => {
          counts += 1;
          return client.workflow.count(query);
        },
      }),
    });
    let now = 0;
    const limit = new InFlightLimit(counting, () => now);
    const principal = { keyId: 'k', tenant: `t-${randomUUID().slice(0, 8)}`, role: 'submitter', weight: 1, maxInFlight: 3 } as const;
    await Promise.all(Array.from({ length: 50 }, () => limit.check(principal)));
    assert.equal(counts, 1);
    limit.started(principal);
    limit.started(principal);
    await limit.check(principal);
    limit.started(principal);
    // Three started in this second: the fourth is refused without asking visibility again.
    await assert.rejects(limit.check(principal), (err: HttpProblem) => err.status === 429 && err.headers['Retry-After'] === '1');
    assert.equal(counts, 1);
    now += IN_FLIGHT_CACHE_MS;
    // A new count: none of those jobs really started, so there is room again.
    await limit.check(principal);
    assert.equal(counts, 2);
  });
});
