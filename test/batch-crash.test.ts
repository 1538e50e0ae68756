import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BatchResult } from '../src/batch/types';
import { upsertTableDdl } from '../src/batch/upsert-table';
import { dropTables, makeReportDirs, tempTableName, withPg, type ReportDirs } from './support/reports';
import { startStack, type Stack } from './support/stack';
import { testEnv } from './support/temporal-env';
import { spawnWorker } from './support/worker-process';

const ITEMS = 3_000;
const CHUNK_SIZE = 50;
const CONCURRENCY = 4;

const rowStats = (table: string) =>
  withPg(async (client) => {
    const row = (
      await client.query(
        `SELECT count(*)::int AS rows, count(DISTINCT item_key)::int AS keys, coalesce(sum(writes), 0)::int AS writes FROM ${table}`,
      )
    ).rows[0];
    return row as { rows: number; keys: number; writes: number };
  });

describe('a worker SIGKILLed in the middle of a batch', function () {
  this.timeout(120_000);
  let stack: Stack;
  let dirs: ReportDirs;
  let worker: ChildProcess | undefined;
  let table: string;
  before(async () => {
    dirs = makeReportDirs();
    // The API only: the batch starts in the child process.
    stack = await startStack({ worker: false, env: dirs.env });
    table = tempTableName('crash');
    await withPg((client) => client.query(upsertTableDdl(table)));
    const lines = Array.from({ length: ITEMS }, (_, i) => JSON.stringify({ id: `order-${i}`, amountCents: i }));
    fs.writeFileSync(path.join(dirs.sourceDir, 'orders.ndjson'), `${lines.join('\n')}\n`);
  });
  after(async () => {
    worker?.kill('SIGKILL');
    await stack.stop();
    await dropTables([table]);
    dirs.cleanup();
  });

  it('loses at most the chunks in flight, which are retried; the upsert keeps duplicates out of the table', async () => {
    worker = spawnWorker(stack.taskQueue, dirs.env);
    const res = await stack.submit({
      type: 'batch',
      input: {
        handler: 'pg-upsert',
        handlerInput: { table },
        source: { type: 'ndjson', path: 'orders.ndjson' },
        chunkSize: CHUNK_SIZE,
        concurrency: CONCURRENCY,
        // Slow enough that the kill lands mid-batch.
        maxItemsPerSecond: 600,
      },
      heartbeatTimeoutMs: 2_000,
      retry: { initialIntervalMs: 100 },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.id;
    await stack.waitFor(id, (j) => (j.progress?.done ?? 0) >= 900, 60_000);
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));
    const atKill = await rowStats(table);
    assert.ok(atKill.rows >= 900 && atKill.rows < ITEMS, `${atKill.rows} rows written when the worker died`);

    const replacement = await startStack({ env: { ...dirs.env, JOBLINE_TASK_QUEUE: stack.taskQueue } });
    try {
      const done = await replacement.waitFor(id, (j) => j.status === 'completed', 90_000);
      const result = done.result as BatchResult;
      assert.deepEqual(
        { total: result.total, succeeded: result.succeeded, failed: result.failed },
        { total: ITEMS, succeeded: ITEMS, failed: 0 },
      );
      const final = await rowStats(table);
      assert.equal(final.rows, ITEMS, 'every item is in the table');
      assert.equal(final.keys, ITEMS, 'and only once');
      // Rows written twice are those of chunks in flight when the worker died (their retry wrote them again).
      const rewritten = final.writes - ITEMS;
      if (process.env.JOBLINE_TEST_REPORT)
        process.stdout.write(`killed at ${atKill.rows} rows; rows written twice after the kill: ${rewritten}\n`);
      assert.ok(rewritten >= 0 && rewritten <= CHUNK_SIZE * CONCURRENCY, `${rewritten} rows written again`);
      const runs = await testEnv().client.workflow.count(`WorkflowId = '${id}'`);
      assert.equal(runs.count, 1, 'one job, one run: the crash did not start the batch again');
    } finally {
      await replacement.stop();
    }
  });
});
