import type { NativeConnectionPlugin, WorkerOptions, WorkerPlugin } from '@temporalio/worker';
import type { StartClock } from '../ipc';

/** Env var through which the bench passes extra Worker options (JSON) to its Temporal workers, for experiments. */
export const WORKER_OPTIONS_ENV = 'BENCH_WORKER_OPTIONS';

export function workerOverrides(): Partial<WorkerOptions> {
  const raw = process.env[WORKER_OPTIONS_ENV];
  return raw ? (JSON.parse(raw) as Partial<WorkerOptions>) : {};
}

/**
 * A plugin on the worker's NativeConnection (the SDK hands connection plugins to every Worker built on it):
 * it adds an activity interceptor that notes the moment each activity begins, keyed by workflow id, and
 * applies the bench's Worker option overrides. This way the Jobline worker is built by the unmodified
 * `createJoblineWorker`.
 */
export function activityClockPlugin(clock: StartClock, overrides: Partial<WorkerOptions>): NativeConnectionPlugin & WorkerPlugin {
  return {
    name: 'jobline-bench-activity-clock',
    configureWorker(options: WorkerOptions): WorkerOptions {
      const interceptors = options.interceptors ?? {};
      return {
        ...options,
        ...overrides,
        interceptors: {
          ...interceptors,
          activity: [
            (ctx) => ({
              inbound: {
                execute: (input, next) => {
                  clock.note(ctx.info.workflowExecution?.workflowId ?? ctx.info.activityId);
                  return next(input);
                },
              },
            }),
            ...(interceptors.activity ?? []),
          ],
        },
      };
    },
  };
}
