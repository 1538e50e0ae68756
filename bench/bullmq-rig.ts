import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import { BenchChild } from './children';
import type { ProcessMonitor } from './procfs';
import { ensureRedis, redisPid, type RedisTarget } from './redis';

export type BenchQueue = Queue<{ value?: unknown }, { value: unknown }>;

/** What both benches run BullMQ on: the local Redis (started if down), a fresh queue, and its worker process. */
export interface BullmqRig {
  queue: BenchQueue;
  worker: BenchChild;
  /** Stops the worker, removes the queue, and stops Redis if the bench started it. */
  stop(): Promise<void>;
}

export interface BullmqRigOptions {
  target: RedisTarget;
  /** The BullMQ worker's concurrency: the same number of slots as the system it is compared with. */
  concurrency: number;
  queuePrefix: string;
  profile: boolean;
  logDir: string;
}

/** Watches Redis and the worker in `monitor`; bench/processes/bullmq-worker.ts's processor returns at once. */
export async function startBullmqRig(options: BullmqRigOptions, monitor: ProcessMonitor): Promise<BullmqRig> {
  const { target, logDir } = options;
  const redis = await ensureRedis(target);
  const pid = await redisPid(target);
  if (pid) monitor.watch('redis-server', pid);
  const queueName = `${options.queuePrefix}-${randomUUID().slice(0, 8)}`;
  const queue: BenchQueue = new Queue(queueName, { connection: target });
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
  return {
    queue,
    worker,
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
