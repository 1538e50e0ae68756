import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import type { ChunkRef, PlanPage } from '../../src/batch/types';
import { loadConfig } from '../../src/config';
import type { AttemptContext } from '../../src/jobs/spec';
import type { AttemptOutcome } from '../../src/workflows/job-state';
import { activityDeps } from '../../src/worker';
import { summarize } from '../stats';
import { writeNdjson } from './items';

/**
 * `npx tsx bench/batch/chunk-cost.ts [--items 100000] [--chunk-size 500]`: the batch activities' own cost,
 * without Temporal. Plans the same NDJSON file as `bench:batch` and runs every chunk one after the other
 * through the worker's real activity functions (`createActivities`, so input validation included) in a
 * MockActivityEnvironment. Prints wall and CPU time: the ceiling of the activity code on one core.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { items: { type: 'string', default: '100000' }, 'chunk-size': { type: 'string', default: '500' } },
  });
  const items = Number(values.items);
  const chunkSize = Number(values['chunk-size']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-chunk-cost-'));
  try {
    writeNdjson(path.join(dir, 'items.ndjson'), items);
    const config = loadConfig({ ...process.env, JOBLINE_REPORT_SOURCE_DIR: dir, JOBLINE_ARTIFACT_DIR: path.join(dir, 'artifacts') });
    const activities = createActivities(activityDeps(config));
    const env = new MockActivityEnvironment();
    const source = { type: 'ndjson' as const, path: 'items.ndjson' };
    const context: AttemptContext = {
      jobId: 'batch:cost',
      type: 'batch',
      correlationId: 'cost',
      maxAttempts: 1,
      retry: { initialIntervalMs: 1000, backoffCoefficient: 2, maxIntervalMs: 1000, jitter: 0 },
    };
    for (let pass = 1; pass <= 2; pass++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const refs: ChunkRef[] = [];
      const planMs: number[] = [];
      let cursor = { nextIndex: 0, nextPosition: 0 } as PlanPage['cursor'];
      for (let exhausted = false; !exhausted;) {
        const p0 = performance.now();
        const page = (await env.run(
          activities.planBatchChunks,
          { jobId: 'batch:cost', source, chunkSize, cursor, maxChunks: 100, first: cursor.nextIndex === 0 },
          context,
        )) as AttemptOutcome<PlanPage>;
        planMs.push(performance.now() - p0);
        refs.push(...page.result.chunks);
        cursor = page.result.cursor;
        exhausted = page.result.exhausted;
      }
      const planned = performance.now();
      const chunkMs: number[] = [];
      let succeeded = 0;
      for (const ref of refs) {
        const c0 = performance.now();
        const input = { jobId: 'batch:cost', round: 1, handler: 'noop', handlerInput: {}, source, task: { index: ref.index, ref } };
        const outcome = (await env.run(activities.runBatchChunk, input, context)) as AttemptOutcome<{ succeeded: number }>;
        succeeded += outcome.result.succeeded;
        chunkMs.push(performance.now() - c0);
      }
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (succeeded !== items) throw new Error(`${succeeded} of ${items} items succeeded`);
      const p50 = summarize(chunkMs)?.p50 ?? Number.NaN;
      process.stdout.write(
        `pass ${pass}: ${items} items, ${refs.length} chunks of ${chunkSize}: planning ${planMs.length} calls ${(planned - t0).toFixed(0)} ms ` +
          `(first, with the count: ${planMs[0]?.toFixed(0)} ms); chunks ${(wall - (planned - t0)).toFixed(0)} ms (p50 ${p50.toFixed(1)} ms a chunk); ` +
          `total ${wall.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU → ${Math.round(items / (wall / 1000))} items/s on one core\n`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
