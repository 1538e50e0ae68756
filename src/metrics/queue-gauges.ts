import { Gauge, type Registry } from 'prom-client';
import type { QueueStats, TaskKind, TaskQueueStats } from './task-queue-stats';

type Reading = { taskQueue: string; kind: string; value: QueueStats };

/**
 * Queue depth, oldest-task age and pollers per task queue and kind, read at scrape time from the shared
 * (cached) TaskQueueStats: one DescribeTaskQueue per queue and kind per interval, not per request.
 */
export function registerQueueGauges(
  registry: Registry,
  stats: TaskQueueStats,
  taskQueues: () => ReadonlyArray<{ taskQueue: string; kinds: readonly TaskKind[] }>,
): void {
  // prom-client collects the gauges of one scrape concurrently: they share one reading.
  let reading: { at: number; value: Promise<Reading[]> } | undefined;
  const read = (): Promise<Reading[]> => {
    if (reading && Date.now() - reading.at < 1_000) return reading.value;
    const reads = taskQueues().flatMap(({ taskQueue, kinds }) =>
      kinds.map(async (kind) => ({ taskQueue, kind, value: await stats.get(taskQueue, kind) })),
    );
    // A queue Temporal could not describe this time has no sample, rather than a made-up zero.
    const value = Promise.allSettled(reads).then((results) => results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
    reading = { at: Date.now(), value };
    return value;
  };
  const gauge = (name: string, help: string, pick: (stats: QueueStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['task_queue', 'kind'],
      registers: [registry],
      async collect() {
        const readings = await read();
        this.reset();
        for (const { taskQueue, kind, value } of readings) this.set({ task_queue: taskQueue, kind }, pick(value));
      },
    });
  gauge('jobline_task_queue_backlog', 'Tasks waiting in the task queue (approximate, from DescribeTaskQueue)', (s) => s.backlog);
  gauge('jobline_task_queue_backlog_age_seconds', 'Age of the oldest waiting task (approximate)', (s) => s.oldestAgeSeconds);
  gauge('jobline_task_queue_pollers', 'Workers that polled the task queue recently', (s) => s.pollers);
}
