import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/config';
import { testEnv } from './temporal-env';

/**
 * `src/worker.ts` (what `npm run worker` runs) as one process of its own, so that SIGKILL reaches the
 * worker itself: the `tsx` CLI would run it in a child that outlives a kill of the wrapper.
 */
export function spawnWorker(taskQueue: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--require', 'tsx/cjs', 'src/worker.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...env,
      TEMPORAL_ADDRESS: testEnv().server.address,
      TEMPORAL_NAMESPACE: testEnv().namespace,
      JOBLINE_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
}
