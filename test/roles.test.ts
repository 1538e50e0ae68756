import assert from 'node:assert/strict';
import express from 'express';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../src/api/app';
import { KeyRing } from '../src/auth/key-ring';
import { OPERATIONS, openApiKey } from '../src/auth/operations';
import { assertEveryRouteListed, servedRoutes, UnlistedRouteError } from '../src/auth/resolve-operation';
import { logger } from '../src/logger';
import { caller, writeKeyFile } from './support/api-keys';
import { useStack } from './support/use-stack';

const fast = { initialIntervalMs: 100, backoffCoefficient: 2, maxIntervalMs: 500 };

describe('roles: one table of operations', function () {
  this.timeout(60_000);
  const { file, keys } = writeKeyFile([
    { id: 'acme-reader', tenant: 'acme', role: 'reader' },
    { id: 'acme-submitter', tenant: 'acme', role: 'submitter' },
    { id: 'acme-operator', tenant: 'acme', role: 'operator' },
    { id: 'root', tenant: 'ops', role: 'admin' },
  ]);
  const suite = useStack({ env: { JOBLINE_API_KEYS_FILE: file }, apiKey: keys['acme-submitter'] });
  const as = (id: string) => caller(suite.stack.baseUrl, keys[id]);

  const expectForbidden = (reply: { status: number; headers: Headers; body: { type: string; detail: string } }, role: string) => {
    assert.equal(reply.status, 403, JSON.stringify(reply.body));
    assert.match(reply.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(reply.body.type, '/problems/forbidden');
    assert.match(reply.body.detail, new RegExp(`needs the role ${role} or above`));
  };

  const echoCount = async () => (await as('acme-reader')('GET', '/v1/jobs?type=echo&limit=100')).body.jobs.length as number;

  /** A job that dead-letters at once: its target answers 400 (not retryable). */
  async function deadLetter(): Promise<string> {
    const target = await suite.target([400, 200, 200]);
    const submitted = await suite.stack.submit({ type: 'http', input: { url: `${target.url}/hook` }, retry: fast });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    await suite.stack.waitFor(submitted.body.id, (job) => job.status === 'dead_lettered');
    return submitted.body.id;
  }

  it('a reader may read but not submit (403 naming submitter); nothing is started', async () => {
    const before = await echoCount();
    expectForbidden(await as('acme-reader')('POST', '/v1/jobs', { type: 'echo', input: { value: 'no' } }), 'submitter');
    // Express matches paths case-insensitively and with a trailing slash: so does the table, so neither slips past it.
    expectForbidden(await as('acme-reader')('POST', '/V1/Jobs/', { type: 'echo', input: { value: 'no' } }), 'submitter');
    assert.equal((await as('acme-reader')('GET', '/v1/jobs')).status, 200);
    assert.equal((await as('acme-reader')('GET', '/v1/job-types')).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await echoCount(), before);
  });

  it('a submitter may submit and cancel, but not retry a dead letter or create a schedule (403 naming operator)', async () => {
    const submitter = as('acme-submitter');
    const job = await submitter('POST', '/v1/jobs', { type: 'echo', input: { value: 'later' }, delayMs: 60_000 });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    const cancelled = await submitter('POST', `/v1/jobs/${encodeURIComponent(job.body.id)}/cancel`);
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));

    const id = await deadLetter();
    expectForbidden(await submitter('POST', `/v1/dead-letters/${encodeURIComponent(id)}/retry`, {}), 'operator');
    expectForbidden(await submitter('POST', `/v1/dead-letters/${encodeURIComponent(id)}/discard`, {}), 'operator');
    expectForbidden(await submitter('POST', '/v1/dead-letters/retry', {}), 'operator');
    expectForbidden(
      await submitter('POST', '/v1/schedules', { id: 'forbidden-schedule', intervalMs: 60_000, job: { type: 'echo', input: {} } }),
      'operator',
    );
    assert.equal((await as('acme-reader')('GET', '/v1/schedules/forbidden-schedule')).status, 404, 'no schedule was created');
    // The dead letter is still parked: the refused retry did not reach it.
    assert.equal((await suite.stack.getJob(id)).status, 'dead_lettered');
  });

  it('an operator may retry a dead letter and create, trigger, pause and delete a schedule; an admin too', async () => {
    const operator = as('acme-operator');
    const id = await deadLetter();
    const retried = await operator('POST', `/v1/dead-letters/${encodeURIComponent(id)}/retry`, {});
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    await suite.stack.waitFor(id, (job) => job.status === 'completed');

    const scheduleId = `roles-${Date.now()}`;
    const created = await operator('POST', '/v1/schedules', { id: scheduleId, intervalMs: 3_600_000, job: { type: 'echo', input: {} } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await operator('POST', `/v1/schedules/${scheduleId}/trigger`)).status, 202);
    assert.equal((await operator('POST', `/v1/schedules/${scheduleId}/pause`, { note: 'roles test' })).status, 200);
    expectForbidden(await as('acme-submitter')('DELETE', `/v1/schedules/${scheduleId}`), 'operator');
    // An admin names another tenant's schedule as its listing shows it: `<tenant>:<id>`.
    assert.equal((await as('root')('DELETE', `/v1/schedules/acme:${scheduleId}`)).status, 204);
  });
});

describe('roles: the table covers every route', () => {
  it('lists every route the API serves, and a route missing from it stops the app from starting', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const { file } = writeKeyFile([{ id: 'k', tenant: 't', role: 'reader' }]);
    const app = createApp({
      client: new Client({ connection }),
      namespace: 'n',
      taskQueue: 'q',
      logger,
      bodyLimitBytes: 1_024,
      keys: new KeyRing(file),
    });
    await connection.close();
    const served = servedRoutes(app);
    assert.ok(served.length >= 25, `found ${served.length} routes`);
    const listed = new Set(OPERATIONS.map((operation) => openApiKey(operation.method, operation.path)));
    assert.deepEqual(
      served.filter((route) => !listed.has(route)),
      [],
      'served but not in src/auth/operations.ts',
    );
    assert.ok(served.includes('post /v1/jobs') && served.includes('post /v1/dead-letters/{id}/retry'));

    const extra = express();
    extra.post('/v1/jobs', (_req, res) => void res.end());
    extra.post('/v1/unlisted/:id', (_req, res) => void res.end());
    assert.throws(
      () => assertEveryRouteListed(extra),
      (err: unknown) => err instanceof UnlistedRouteError && /post \/v1\/unlisted\/\{id\}/.test(err.message),
    );
  });
});
