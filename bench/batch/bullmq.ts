import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import { BenchChild } from '../children';
import { sleep } from '../load';
import type { ProcessMonitor } from '../procfs';
import { ensureRedis, redisPid } from '../redis';
import { itemOf } from './items';
import { loadAverage, type BatchRun } from './measure';
import type { BatchBenchOptions } from './options';

export interface BullmqBatchBench {
  /** Adds `items` jobs (one per item) with addBulk and waits until the worker has completed them all. */
  run(items: number): Promise<BatchRun>;
  stop(): Promise<void>;
}

type ItemData = { value?: unknown };

/**
 * BullMQ on the local Redis (started if none answers): a fresh queue and the core bench's BullMQ worker
 * process (bench/processes/bullmq-worker.ts: the processor returns at once) with `concurrency` = the batch's.
 * Completed jobs stay in Redis (BullMQ's default), so the last one's `finishedOn` ends the measurement.
 */
export async function startBullmqBatch(options: BatchBenchOptions, monitor: ProcessMonitor, logDir: string): Promise<BullmqBatchBench> {
  const target = { host: options.redisHost, port: options.redisPort };
  const redis = await ensureRedis(target);
  const pid = await redisPid(target);
  if (pid) monitor.watch('redis-server', pid);
  const queueName = `bench-batch-${randomUUID().slice(0, 8)}`;
  const queue = new Queue<ItemData, { value: unknown }>(queueName, { connection: target });
  const worker = await BenchChild.start({
    name: 'bullmq-worker',
    script: 'bullmq-worker',
    env: {
      ...process.env,
      BENCH_BULLMQ_QUEUE: queueName,
      BENCH_BULLMQ_CONCURRENCY: String(options.concurrency),
      BENCH_REDIS_HOST: target.host,
      BENCH_REDIS_PORT: String(target.port),
    },
    logFile: path.join(logDir, 'bullmq-worker.log'),
    ...(options.profile ? { cpuProfileDir: path.join(logDir, 'profiles') } : {}),
  }).catch(async (err: unknown) => {
    await queue.close();
    await redis.stop();
    throw err;
  });
  monitor.watch('bullmq-worker', worker.pid);
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
        if (Date.now() > deadline) throw new Error(`BullMQ: ${now.completed - before.completed} of ${items} jobs completed within ${options.timeoutSec} s`);
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
          queue: queueName,
          addBulkMs: addedMs,
          bulkSize: options.bulkSize,
          firstStartAfterMs: starts.length ? starts.reduce((a, b) => Math.min(a, b)) - started : undefined,
          processorStarts: starts.length,
        },
      };
    },
    async stop() {
      monitor.unwatch('bullmq-worker');
      await worker.stop();
      await queue.obliterate({ force: true });
      await queue.close();
      if (pid) monitor.unwatch('redis-server');
      await redis.stop();
    },
  };
}
