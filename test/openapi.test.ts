import assert from 'node:assert/strict';
import request from 'supertest';
import { JOB_TYPES } from '../src/jobs';
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
    for (const path of ['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/result', '/v1/jobs/{id}/cancel', '/v1/dead-letters', '/v1/dead-letters/{id}/retry', '/v1/dead-letters/{id}/discard', '/v1/schedules', '/v1/schedules/{id}', '/v1/schedules/{id}/trigger', '/v1/jobs/{id}/retry-failed', '/v1/jobs/{id}/failed-items']) {
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
    assert.deepEqual(handlers.map((h: { name: string }) => h.name), ['http-deliver', 'pg-upsert', 'noop']);
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
});
