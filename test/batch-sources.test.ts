import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { BatchResult } from '../src/batch/types';
import { upsertTableDdl } from '../src/batch/upsert-table';
import { CHUNKS_PER_RUN } from '../src/workflows/run-batch';
import { dropTables, makeReportDirs, tempTableName, withPg, type ReportDirs } from './support/reports';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';

/** Every run of a workflow id, oldest first, with its history. */
async function runsOf(jobId: string) {
  const { client } = testEnv();
  const runs = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${jobId}'` })) runs.push(execution);
  runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  // Each run's status from describe (the run's own record), not from the list: on PostgreSQL visibility the
  // list shows a run's close a moment after the run closed.
  return Promise.all(
    runs.map(async ({ runId }) => {
      const handle = client.workflow.getHandle(jobId, runId);
      return { run: await handle.describe(), history: await handle.fetchHistory() };
    }),
  );
}

describe('batch sources: files, PostgreSQL, continue-as-new (real dev server, real PostgreSQL)', function () {
  this.timeout(180_000);
  let stack: Stack;
  let dirs: ReportDirs;
  const tables: string[] = [];
  before(async () => {
    dirs = makeReportDirs();
    stack = await startStack({ env: dirs.env });
  });
  after(async () => {
    await stack.stop();
    await dropTables(tables);
    dirs.cleanup();
  });

  const upsertTable = async (label: string) => {
    const table = tempTableName(label);
    tables.push(table);
    await withPg((client) => client.query(upsertTableDdl(table)));
    return table;
  };

  it(`continues as new every ${CHUNKS_PER_RUN} chunks: every run's history stays small, and every run replays`, async () => {
    const count = 2 * CHUNKS_PER_RUN * 10 + 123;
    const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ id: i, name: `item ${i}` }));
    // Blank lines are not items.
    lines.splice(100, 0, '');
    fs.writeFileSync(path.join(dirs.sourceDir, 'many.ndjson'), `${lines.join('\n')}\n`);
    const started = Date.now();
    const res = await stack.submit({
      type: 'batch',
      input: { handler: 'noop', source: { type: 'ndjson', path: 'many.ndjson' }, chunkSize: 10, concurrency: 8 },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const done = await stack.waitFor(res.body.id, (j) => j.status === 'completed', 150_000);
    const result = done.result as BatchResult;
    assert.deepEqual(
      { total: result.total, succeeded: result.succeeded, failed: result.failed },
      { total: count, succeeded: count, failed: 0 },
    );

    const runs = await runsOf(res.body.id);
    assert.equal(runs.length, 3, 'ceil(812 chunks / 400) runs');
    assert.equal(result.runs, 3);
    const events = runs.map(({ history }) => history.events?.length ?? 0);
    if (process.env.JOBLINE_TEST_REPORT)
      process.stdout.write(`${count} items in 812 chunks: ${Date.now() - started} ms; events per run: ${events.join(', ')}\n`);
    events.forEach((n, i) => assert.ok(n < 3_000, `run ${i + 1} has ${n} events`));
    assert.deepEqual(
      runs.map(({ run }) => run.status.name),
      ['CONTINUED_AS_NEW', 'CONTINUED_AS_NEW', 'COMPLETED'],
    );
    const replays = Worker.runReplayHistories(
      { workflowBundle: testEnv().workflowBundle },
      runs.map(({ run, history }) => ({ workflowId: run.workflowId, history: historyFromJSON(JSON.parse(historyToJSON(history))) })),
    );
    for await (const replay of replays) assert.equal(replay.error, undefined, `run does not replay: ${String(replay.error)}`);
  });

  it('upserts CSV rows into PostgreSQL by key; bad rows fail alone', async () => {
    const table = await upsertTable('csv');
    const rows = ['sku,name,price', 'A1,apple,3', 'B2,"pear, green",4', ',no key,5', 'C3,cherry', 'A1,apple again,6', 'D4,date,7'];
    fs.writeFileSync(path.join(dirs.sourceDir, 'products.csv'), `${rows.join('\r\n')}\r\n`);
    const res = await stack.submit({
      type: 'batch',
      input: {
        handler: 'pg-upsert',
        handlerInput: { table, keyField: 'sku' },
        source: { type: 'csv', path: 'products.csv' },
        chunkSize: 2,
        concurrency: 1,
      },
    });
    const done = await stack.waitFor(res.body.id, (j) => j.status === 'completed');
    assert.deepEqual(
      { total: done.progress?.total, succeeded: done.progress?.succeeded, failed: done.progress?.failed },
      { total: 6, succeeded: 4, failed: 2 },
    );
    const stored = await withPg(
      async (client) => (await client.query(`SELECT item_key, payload, writes, job_id FROM ${table} ORDER BY item_key`)).rows,
    );
    assert.deepEqual(
      stored.map((row) => [row.item_key, row.payload.name, row.writes]),
      [
        ['A1', 'apple again', 2],
        ['B2', 'pear, green', 1],
        ['D4', 'date', 1],
      ],
    );
    assert.ok(stored.every((row) => row.job_id === res.body.id));
    const failed = await fetch(`${stack.baseUrl}/v1/jobs/${res.body.id}/failed-items`).then(
      (r) => r.json() as Promise<{ items: Array<{ position: number; error: string }> }>,
    );
    assert.deepEqual(
      failed.items.map((item) => [item.position, item.error]),
      [
        [2, 'no "sku" field (a string or number) to key the row by'],
        [3, '2 fields where the header has 3'],
      ],
    );
  });

  it('reads a named PostgreSQL query in key ranges and writes each order once', async () => {
    const orders = tempTableName('orders');
    tables.push(orders);
    const target = await upsertTable('copy');
    await withPg(async (client) => {
      await client.query(
        `CREATE TABLE ${orders} (id bigint PRIMARY KEY, ordered_at timestamptz, region text, product text, quantity int, amount_cents bigint)`,
      );
      await client.query(
        `INSERT INTO ${orders} SELECT g * 3, '2025-01-01'::timestamptz + g * interval '1 hour', CASE WHEN g % 2 = 0 THEN 'north' ELSE 'south' END, 'Mug', 1, 100 + g FROM generate_series(1, 1000) g`,
      );
    });
    const res = await stack.submit({
      type: 'batch',
      input: {
        handler: 'pg-upsert',
        handlerInput: { table: target },
        source: { type: 'postgres', query: 'orders', params: { table: orders, regions: ['north'] } },
        chunkSize: 37,
        concurrency: 3,
      },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const done = await stack.waitFor(res.body.id, (j) => j.status === 'completed', 60_000);
    assert.deepEqual(
      { total: done.progress?.total, succeeded: done.progress?.succeeded, failed: done.progress?.failed },
      { total: 500, succeeded: 500, failed: 0 },
    );
    const check = await withPg(
      async (client) =>
        (
          await client.query(
            `SELECT count(*)::int AS n, count(DISTINCT item_key)::int AS keys, max(writes)::int AS writes,
                  bool_and(payload->>'region' = 'north') AS north, sum((payload->>'amountCents')::int)::int AS cents
           FROM ${target}`,
          )
        ).rows[0],
    );
    const expected = await withPg(
      async (client) => (await client.query(`SELECT sum(amount_cents)::int AS cents FROM ${orders} WHERE region = 'north'`)).rows[0],
    );
    assert.deepEqual(check, { n: 500, keys: 500, writes: 1, north: true, cents: expected.cents });
  });

  it('a missing source file is refused at submission with the reason (source-files.test.ts covers the worker’s check)', async () => {
    const res = await stack.submit({ type: 'batch', input: { handler: 'noop', source: { type: 'ndjson', path: 'missing.ndjson' } } });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(JSON.stringify(res.body), /input\.source\.path: no such source file: missing.ndjson/);
  });
});
