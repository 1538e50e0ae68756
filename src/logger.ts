import pino from 'pino';
import { SECRET_HEADER_NAMES } from './jobs/secret-headers';
import { traceLogFields } from './tracing/log-fields';

/** What a redacted field reads as in the log. */
export const LOG_CENSOR = '[Redacted]';

/** A header's name as callers write it (`x-api-key`, `X-Api-Key`, `X-API-KEY`): log paths match keys exactly. */
function casings(name: string): string[] {
  const title = name.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => dash + letter.toUpperCase());
  return [...new Set([name, title, name.toUpperCase(), title.replace('Api', 'API')])];
}

const SECRET_HEADER_KEYS = SECRET_HEADER_NAMES.flatMap(casings).map((name) => `["${name}"]`);

/**
 * Fields no log line may show: API callers' own credentials (pino-http's `req.headers`, Node lower-cases
 * them), cookies we might set, credential headers of a job's input wherever a line carries one, and the
 * SDK's dump of an activity task (its payloads are the job's input) when an activity fails to start.
 */
export const LOG_REDACT_PATHS: string[] = [
  ...SECRET_HEADER_NAMES.map((name) => `req.headers["${name}"]`),
  'res.headers["set-cookie"]',
  ...['headers', '*.headers', 'input.headers', '*.input.headers', 'handlerInput.headers', '*.handlerInput.headers'].flatMap((holder) =>
    SECRET_HEADER_KEYS.map((key) => `${holder}${key}`),
  ),
  'task',
  'taskEncoded',
];

/** Pino's `redact` option for every Jobline logger: the shared one and the HTTP request logger. */
export const LOG_REDACTION = { paths: LOG_REDACT_PATHS, censor: LOG_CENSOR };

// The entry points set the validated LOG_LEVEL once config has loaded; until then an invalid value must
// not crash the import that would report it.
const initialLevel = process.env.LOG_LEVEL && pino.levels.values[process.env.LOG_LEVEL] ? process.env.LOG_LEVEL : 'info';

/** A JSON logger with Jobline's base fields and redaction; `destination` is for tests that read the lines. */
export function createLogger(destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = {
    level: initialLevel,
    base: { service: 'jobline' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: LOG_REDACTION,
    // The active span's trace id (tracing on), so an API or activity line leads to its trace.
    mixin: traceLogFields,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The one JSON logger outside workflow and activity code (those use Temporal's own loggers). */
export const logger = createLogger();

export type Logger = pino.Logger;
