import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import { BenchChild } from '../children';
import { sleep } from '../load';
import type { BenchOptions } from '../options';
import type { System } from '../phase';
import type { ProcessMonitor } from '../procfs';
import { ensureRedis, redisPid } from '../redis';

export interface RunningBullmq {
  system: System;
  stop(): Promise<void>;
}

/**
 * BullMQ on the local Redis: the bench adds jobs to a fresh queue; a worker process with the same
 * concurrency as the Temporal workers' activity slots runs them. A job's completion time is its
 * `finishedOn`, written by the worker when it marks the job completed.
 */
export async function startBullmq(options: BenchOptions, monitor: ProcessMonitor, logDir: string): Promise<RunningBullmq> {
  const target = { host: options.redisHost, port: options.redisPort };
  const redis = await ensureRedis(target);
  const pid = await redisPid(target);
  if (pid) monitor.watch('redis-server', pid);
  const queueName = `bench-${randomUUID().slice(0, 8)}`;
  const queue = new Queue<{ value?: unknown }, { value: unknown }>(queueName, { connection: target });
  const worker = await BenchChild.start({
    name: 'bullmq-worker',
    script: 'bullmq-worker',
    env: {
      ...process.env,
      BENCH_BULLMQ_QUEUE: queueName,
      BENCH_BULLMQ_CONCURRENCY: String(options.activitySlots),
      BENCH_REDIS_HOST: target.host,
      BENCH_REDIS_PORT: String(target.port),
    },
    logFile: path.join(logDir, 'bullmq-worker.log'),
    cpuProfileDir: options.profile ? path.join(logDir, 'profiles') : undefined,
  });
  monitor.watch('bullmq-worker', worker.pid);

  let finishedBefore = 0;
  const system: System = {
    name: 'bullmq',
    async submit() {
      const job = await queue.add('echo', { value: 1 });
      if (!job.id) throw new Error('queue.add returned a job without an id');
      return job.id;
    },
    async completions(ids, _since, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const counts = await queue.getJobCounts('completed', 'failed');
        if ((counts.completed ?? 0) + (counts.failed ?? 0) - finishedBefore >= ids.length || Date.now() > deadline) break;
        await sleep(100);
      }
      const wanted = new Set(ids);
      const finished = new Map<string, number>();
      for (const job of await queue.getJobs(['completed'], 0, -1)) {
        if (job.id && wanted.has(job.id) && job.finishedOn) finished.set(job.id, job.finishedOn);
      }
      const counts = await queue.getJobCounts('completed', 'failed');
      finishedBefore = (counts.completed ?? 0) + (counts.failed ?? 0);
      return { finishedAt: finished };
    },
    collectStarts: () => worker.collectStarts(),
  };
  return {
    system,
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
