import { startBullmqRig } from '../bullmq-rig';
import { sleep } from '../load';
import type { ProcessMonitor } from '../procfs';
import { itemOf } from './items';
import { loadAverage, type BatchRun } from './measure';
import type { BatchBenchOptions } from './options';

export interface BullmqBatchBench {
  /** Adds `items` jobs (one per item) with addBulk and waits until the worker has completed them all. */
  run(items: number): Promise<BatchRun>;
  stop(): Promise<void>;
}

/**
 * BullMQ on the local Redis (started if none answers): a fresh queue and the core bench's BullMQ worker
 * process (bench/processes/bullmq-worker.ts: the processor returns at once) with `concurrency` = the batch's.
 * Completed jobs stay in Redis (BullMQ's default), so the last one's `finishedOn` ends the measurement.
 */
export async function startBullmqBatch(options: BatchBenchOptions, monitor: ProcessMonitor, logDir: string): Promise<BullmqBatchBench> {
  const { queue, worker, stop } = await startBullmqRig(
    {
      target: { host: options.redisHost, port: options.redisPort },
      concurrency: options.concurrency,
      queuePrefix: 'bench-batch',
      profile: options.profile,
      logDir,
    },
    monitor,
  );
  const finished = async () => {
    const counts = await queue.getJobCounts('completed', 'failed');
    return { completed: counts.completed ?? 0, failed: counts.failed ?? 0 };
  };

  return {
    async run(items) {
      const jobs = Array.from({ length: items }, (_, i) => ({ name: 'item', data: { value: itemOf(i) } }));
      const before = await finished();
      await worker.collectStarts(); // forget the previous run's
      await sleep(500);
      const loadBefore = loadAverage();
      const mark = monitor.startPhase();
      const started = Date.now();
      const deadline = started + options.timeoutSec * 1000;
      for (let i = 0; i < items; i += options.bulkSize) await queue.addBulk(jobs.slice(i, i + options.bulkSize));
      const addedMs = Date.now() - started;
      let now = await finished();
      while (now.completed + now.failed - before.completed - before.failed < items) {
        if (Date.now() > deadline)
          throw new Error(`BullMQ: ${now.completed - before.completed} of ${items} jobs completed within ${options.timeoutSec} s`);
        await sleep(options.pollMs);
        now = await finished();
      }
      const usage = monitor.endPhase(mark);
      const completed = now.completed - before.completed;
      if (completed !== items || now.failed !== before.failed) {
        throw new Error(`BullMQ: ${completed} of ${items} jobs completed, ${now.failed - before.failed} failed`);
      }
      const [last] = await queue.getJobs(['completed'], 0, 0, false);
      if (!last?.finishedOn) throw new Error('BullMQ: the last completed job has no finishedOn');
      const starts = (await worker.collectStarts()).map(([, at]) => at);
      const ms = last.finishedOn - started;
      return {
        system: 'bullmq',
        items,
        ms,
        itemsPerSecond: items / (ms / 1000),
        usage,
        load: [loadBefore, loadAverage()],
        detail: {
          queue: queue.name,
          addBulkMs: addedMs,
          bulkSize: options.bulkSize,
          firstStartAfterMs: starts.length ? starts.reduce((a, b) => Math.min(a, b)) - started : undefined,
          processorStarts: starts.length,
        },
      };
    },
    stop,
  };
}
