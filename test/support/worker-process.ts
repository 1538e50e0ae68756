import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/config';
import { testEnv } from './temporal-env';

/**
 * A Jobline entry point (`src/worker.ts`, `src/api/main.ts`) as one process of its own, against the test
 * server, so that SIGKILL reaches it itself: the `tsx` CLI would run it in a child that outlives a kill of
 * the wrapper.
 */
export function spawnEntryPoint(
  entry: string,
  taskQueue: string,
  env: Record<string, string> = {},
  options: { pipeOutput?: boolean } = {},
): ChildProcess {
  return spawn(process.execPath, ['--require', 'tsx/cjs', entry], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      // Several workers on one host: each picks free metrics ports (a test may still name its own).
      JOBLINE_WORKER_METRICS_PORT: '0',
      JOBLINE_WORKER_SDK_METRICS_PORT: '0',
      ...env,
      TEMPORAL_ADDRESS: testEnv().server.address,
      TEMPORAL_NAMESPACE: testEnv().namespace,
      JOBLINE_TASK_QUEUE: taskQueue,
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    },
    // A test that reads the process's log lines asks for its output.
    stdio: options.pipeOutput ? ['ignore', 'pipe', 'pipe'] : 'ignore',
  });
}

/** `src/worker.ts`, what `npm run worker` runs. */
export function spawnWorker(taskQueue: string, env: Record<string, string> = {}, options: { pipeOutput?: boolean } = {}): ChildProcess {
  return spawnEntryPoint('src/worker.ts', taskQueue, env, options);
}
