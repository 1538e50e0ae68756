import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ReportJobResult } from '../src/activities/report';
import { seedDemo } from '../src/reports/demo/seed';
import { comparable, databaseUrl, makeReportDirs, type ReportDirs } from './support/reports';
import { startStack, type Stack } from './support/stack';
import { spawnWorker } from './support/worker-process';

const ROWS = 300_000;
/** Slow enough that the kill lands mid-way on a loaded 2-core machine, fast enough to finish in seconds. */
const ROWS_PER_SECOND = 60_000;

describe('a report whose worker is SIGKILLed mid-way', function () {
  this.timeout(90_000);
  let dirs: ReportDirs;
  let env: Record<string, string>;
  let api: Stack;
  let worker: ChildProcess | undefined;

  before(async () => {
    dirs = makeReportDirs();
    env = { ...dirs.env, JOBLINE_REPORT_CHECKPOINT_MS: '200' };
    await seedDemo({ rows: ROWS, seed: 3, csvFile: path.join(dirs.sourceDir, 'big.csv'), databaseUrl: databaseUrl() });
    api = await startStack({ worker: false, env });
  });
  after(async () => {
    worker?.kill('SIGKILL');
    await api.stop();
    dirs.cleanup();
  });

  it('resumes from the last checkpoint on another worker and gives the uninterrupted result', async () => {
    worker = spawnWorker(api.taskQueue, env);
    const input = { report: 'sales-summary', source: { type: 'csv', path: 'big.csv' } };
    const { body } = await api.submit({
      type: 'report',
      input: { ...input, maxRowsPerSecond: ROWS_PER_SECOND },
      heartbeatTimeoutMs: 2_000,
      retry: { initialIntervalMs: 100 },
    });
    // Progress comes from the attempt's heartbeats.
    const midway = await api.waitFor(body.id, (j) => j.status === 'running' && (j.progress?.done ?? 0) >= ROWS / 4, 60_000);
    assert.equal(midway.progress?.unit, 'rows');
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));

    const replacement = await startStack({ env: { ...env, JOBLINE_TASK_QUEUE: api.taskQueue } });
    try {
      const done = await replacement.waitFor(body.id, (j) => j.status === 'completed', 45_000);
      assert.equal(done.attempts, 2);
      const resumed = done.result as ReportJobResult;
      const [first, second] = resumed.stats.attempts;
      assert.equal(resumed.stats.attempts.length, 2);
      assert.ok(first && second);
      assert.ok(second.resumedFrom > 0, 'the second attempt started from a checkpoint');
      assert.ok(second.rows < ROWS, `after the crash ${second.rows} rows were read, of ${ROWS}`);
      assert.equal(second.resumedFrom + second.rows, ROWS);
      assert.ok(first.rows >= ROWS / 4 - 20_000, `the first attempt checkpointed ${first.rows} rows`);

      // The same report, uninterrupted and unthrottled, on a fresh task queue: the killed worker's
      // abandoned polls can hold the next task on the old queue for up to a minute (server-side poll timeout).
      const fresh = await startStack({ env });
      try {
        const again = await fresh.submit({ type: 'report', input });
        const clean = await fresh.waitFor(again.body.id, (j) => j.status === 'completed', 30_000);
        const uninterrupted = clean.result as ReportJobResult;
        assert.equal(uninterrupted.stats.attempts.length, 1);
        assert.deepEqual(comparable(resumed), comparable(uninterrupted));
      } finally {
        await fresh.stop();
      }
      assert.deepEqual(resumed.rows, { scanned: ROWS, matched: ROWS });
    } finally {
      await replacement.stop();
    }
  });
});
