import assert from 'node:assert/strict';
import request from 'supertest';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../src/api/app';
import { openApiDocument } from '../src/api/openapi';
import { operationFor } from '../src/auth/operations';
import { JOB_TYPES } from '../src/jobs';
import { logger } from '../src/logger';
import { startStack, type Stack } from './support/stack';

describe('OpenAPI document and docs page', function () {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ worker: false });
  });
  after(() => stack.stop());

  it('serves /openapi.json with every route and a request schema per job type, generated from the zod schemas', async () => {
    const doc = (await request(stack.baseUrl).get('/openapi.json').expect(200)).body;
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/v1/jobs',
      '/v1/jobs/{id}',
      '/v1/jobs/{id}/result',
      '/v1/jobs/{id}/cancel',
      '/v1/dead-letters',
      '/v1/dead-letters/{id}/retry',
      '/v1/dead-letters/{id}/discard',
      '/v1/schedules',
      '/v1/schedules/{id}',
      '/v1/schedules/{id}/trigger',
      '/v1/jobs/{id}/retry-failed',
      '/v1/jobs/{id}/failed-items',
    ]) {
      assert.ok(doc.paths[path], `${path} documented`);
    }
    for (const jobType of JOB_TYPES) {
      const schema = doc.components.schemas[`Submit_${jobType.type}`];
      assert.ok(schema, `${jobType.type} documented`);
      assert.deepEqual(schema.properties.type, { const: jobType.type });
    }
    const http = doc.components.schemas.Submit_http.properties.input;
    assert.deepEqual(http.required, ['url']);
    assert.deepEqual(http.properties.method.enum, ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
    assert.equal(doc.components.schemas.Submit_http.properties.priority.maximum, 5);
    const batch = doc.components.schemas.Submit_batch.properties.input;
    assert.deepEqual(batch.required, ['handler']);
    assert.equal(batch.properties.chunkSize.maximum, 1_000);
  });

  it('lists the batch handlers and named queries with their schemas', async () => {
    const { handlers } = (await request(stack.baseUrl).get('/v1/batch-handlers').expect(200)).body;
    assert.deepEqual(
      handlers.map((h: { name: string }) => h.name),
      ['http-deliver', 'pg-upsert', 'noop'],
    );
    const deliver = handlers.find((h: { name: string }) => h.name === 'http-deliver');
    assert.deepEqual(deliver.handlerInput.required, ['url']);
    assert.equal(deliver.handlerInput.properties.breaker.properties.failures.default, 5);
    const { queries } = (await request(stack.baseUrl).get('/v1/batch-queries').expect(200)).body;
    assert.equal(queries[0].name, 'orders');
    assert.ok(queries[0].params.properties.regions);
  });

  it('serves a browsable docs page', async () => {
    const res = await request(stack.baseUrl).get('/docs/').expect(200);
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assert.match(res.text, /swagger-ui/i);
  });

  it('lists the job types with their input schemas and defaults', async () => {
    const { jobTypes } = (await request(stack.baseUrl).get('/v1/job-types').expect(200)).body;
    const http = jobTypes.find((t: { type: string }) => t.type === 'http');
    assert.equal(http.defaults.maxAttempts, 8);
    assert.deepEqual(http.defaults.nonRetryableErrorTypes, ['HttpClientError', 'TargetNotAllowed']);
    assert.ok(http.input.properties.url);
  });

  it('declares the bearer scheme and, from the operations table, the role of every operation but the probes', () => {
    type Op = { security?: unknown[]; 'x-required-role'?: string; description?: string; responses: Record<string, unknown> };
    const doc = openApiDocument() as {
      security: unknown[];
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, Op>>;
    };
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
      ...doc.components.securitySchemes.bearerAuth,
      type: 'http',
      scheme: 'bearer',
    });
    assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method} ${path}`;
        const role = operationFor(method, path)!.role;
        assert.equal(operation['x-required-role'], role, where);
        if (path === '/healthz' || path === '/readyz') {
          assert.deepEqual(operation.security, [], `${where} is open`);
          continue;
        }
        assert.deepEqual(operation.security, [{ bearerAuth: [] }], where);
        assert.match(operation.description ?? '', role === 'reader' ? /any role/ : new RegExp(`role ${role} or above`), where);
        assert.ok(operation.responses[401], `${where} documents 401`);
        if (role !== 'reader') assert.ok(operation.responses[403], `${where} documents 403`);
      }
    }
    assert.equal(doc.paths['/v1/jobs']!.post!['x-required-role'], 'submitter');
    assert.equal(doc.paths['/v1/dead-letters/{id}/retry']!.post!['x-required-role'], 'operator');
    assert.ok(doc.paths['/v1/jobs']!.post!.responses[429], 'a submission documents 429');
  });

  it('documents every route the API serves and serves every documented one, each with a unique operationId', async () => {
    type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
    // The app is only built, never listened on: its router holds the routes as Express registered them.
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const app = createApp({ client: new Client({ connection }), namespace: 'n', taskQueue: 'q', logger, bodyLimitBytes: 1_024 });
    const served: string[] = [];
    const walk = (stack: Layer[]) => {
      for (const layer of stack) {
        if (layer.route)
          for (const method of Object.keys(layer.route.methods)) served.push(`${method} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
        else if (layer.handle?.stack) walk(layer.handle.stack);
      }
    };
    walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
    await connection.close();
    const doc = openApiDocument() as { paths: Record<string, Record<string, { operationId?: string }>> };
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    assert.ok(served.length >= 25, `found ${served.length} routes`);
    assert.deepEqual(
      served.filter((route) => !documented.includes(route)),
      [],
      'served but not documented',
    );
    assert.deepEqual(
      documented.filter((route) => !served.includes(route)),
      [],
      'documented but not served',
    );
    const ids = Object.values(doc.paths).flatMap((operations) => Object.values(operations).map((operation) => operation.operationId));
    assert.ok(
      ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id)),
      JSON.stringify(ids),
    );
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    // The fields views carry are documented too.
    const job = (openApiDocument() as { components: { schemas: { Job: { properties: Record<string, unknown> } } } }).components.schemas.Job;
    for (const field of ['nodes', 'batch', 'progress', 'lastError', 'dependsOn']) assert.ok(job.properties[field], `Job.${field}`);
  });
});
