import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

const LEVELS: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/**
 * Sends the SDK's logs (worker, workflow `log`, activity `log`) to our JSON logger. Must run before the
 * first worker or native connection is made; the Runtime can be installed only once per process.
 */
export function installRuntime(logger: Logger, level: string): void {
  Runtime.install({
    logger: new DefaultLogger(LEVELS[level] ?? 'INFO', ({ level: entryLevel, message, meta }) => {
      const method = entryLevel.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      logger[method]({ ...meta, source: 'temporal' }, message);
    }),
  });
}
