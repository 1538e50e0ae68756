import { startBullmqRig } from '../bullmq-rig';
import { sleep } from '../load';
import type { BenchOptions } from '../options';
import type { System } from '../phase';
import type { ProcessMonitor } from '../procfs';

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
  const { queue, worker, stop } = await startBullmqRig(
    {
      target: { host: options.redisHost, port: options.redisPort },
      concurrency: options.activitySlots,
      queuePrefix: 'bench',
      profile: options.profile,
      logDir,
    },
    monitor,
  );

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
    stop,
  };
}
