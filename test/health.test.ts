import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../src/api/app';
import { logger } from '../src/logger';
import { startDevServer } from '../src/temporal/dev-server';
import { freePort } from '../src/temporal/free-port';
import { testEnv } from './support/temporal-env';

describe('health endpoints', function () {
  this.timeout(60_000);
  const appFor = (client: Client, namespace = testEnv().namespace) =>
    createApp({ client, namespace, taskQueue: 'health-test', logger, bodyLimitBytes: 1024 });

  it('/healthz and /readyz answer 200 while Temporal answers', async () => {
    const app = appFor(testEnv().client);
    assert.deepEqual((await request(app).get('/healthz').expect(200)).body, { status: 'ok' });
    assert.deepEqual((await request(app).get('/readyz').expect(200)).body, { status: 'ready' });
  });

  it('/readyz answers 503 problem+json once Temporal is gone, while /healthz stays 200', async () => {
    const server = await startDevServer({ binary: testEnv().cliPath, port: await freePort() });
    const connection = await Connection.connect({ address: server.address });
    try {
      const app = appFor(new Client({ connection }), 'default');
      await request(app).get('/readyz').expect(200);
      await server.stop();
      const started = Date.now();
      const res = await request(app).get('/readyz');
      assert.equal(res.status, 503);
      assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
      assert.ok(Date.now() - started < 5_000, 'readiness answers within its deadline');
      await request(app).get('/healthz').expect(200);
    } finally {
      await connection.close();
      await server.stop();
    }
  });
});
