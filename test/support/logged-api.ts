import { createApp, type AppOptions } from '../../src/api/app';
import { listen, type RunningServer } from '../../src/api/server';
import { createArtifactStore } from '../../src/artifacts';
import { createLogger } from '../../src/logger';
import type { Stack } from './stack';
import { testEnv } from './temporal-env';

/**
 * A second API on a stack's task queue whose log lines are kept as raw text, for tests that read the log
 * itself (redaction, audit lines): the stack's worker runs the jobs.
 */
export async function startLoggedApi(stack: Stack, extra: Partial<AppOptions> = {}): Promise<{ lines: string[]; server: RunningServer }> {
  const lines: string[] = [];
  const captured = createLogger({ write: (line: string) => void lines.push(line) });
  captured.level = 'info';
  const config = stack.config;
  const app = createApp({
    client: testEnv().client,
    namespace: config.temporal.namespace,
    taskQueue: stack.taskQueue,
    logger: captured,
    bodyLimitBytes: config.api.bodyLimitBytes,
    artifacts: createArtifactStore(config.artifacts),
    ...extra,
  });
  return { lines, server: await listen(app, '127.0.0.1', 0) };
}
