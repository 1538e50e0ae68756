import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { scrubCredentialText } from '../jobs/redact';
import { LOG_CENSOR, type Logger } from '../logger';
import { JOB_SECONDS } from '../metrics/buckets';

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
 * The SDK logs a whole activity task (`task`, `taskEncoded`: its payloads are the job's input, headers and
 * all) when an activity fails to start. Our logger redacts those fields too; this holds for any logger.
 */
const PAYLOAD_DUMPS = ['task', 'taskEncoded'];

/** What of an SDK log entry reaches our logger: no payload dumps, no credential in the message text. */
export function forwardedEntry(message: string, meta: LogMetadata | undefined): { fields: Record<string, unknown>; message: string } {
  const fields: Record<string, unknown> = { ...meta, source: 'temporal' };
  for (const key of PAYLOAD_DUMPS) if (key in fields) fields[key] = LOG_CENSOR;
  return { fields, message: scrubCredentialText(message) };
}

/**
 * Sends the SDK's logs (worker, workflow `log`, activity `log`) to our JSON logger. Must run before the
 * first worker or native connection is made; the Runtime can be installed only once per process.
 * Pino redacts structured fields only, so the message text is scrubbed here.
 */
export function installRuntime(logger: Logger, level: string, options: { sdkMetricsAddress?: string } = {}): void {
  Runtime.install({
    ...(options.sdkMetricsAddress ? { telemetryOptions: { metrics: sdkMetrics(options.sdkMetricsAddress) } } : {}),
    logger: new DefaultLogger(LEVELS[level] ?? 'INFO', ({ level: entryLevel, message, meta }) => {
      const method = entryLevel.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      const entry = forwardedEntry(message, meta);
      logger[method](entry.fields, entry.message);
    }),
  });
}

/**
 * The SDK's own series (schedule-to-start latency, polls, slots) and the workflows' (jobs ended, end-to-end
 * time) in Prometheus conventions: `_total` counters, durations in seconds, job-length buckets.
 */
function sdkMetrics(bindAddress: string) {
  return {
    prometheus: {
      bindAddress,
      countersTotalSuffix: true,
      useSecondsForDurations: true,
      histogramBucketOverrides: { jobline_job_end_to_end_seconds: JOB_SECONDS },
    },
  };
}
