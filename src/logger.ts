import pino from 'pino';

/** The one JSON logger outside workflow and activity code (those use Temporal's own loggers). */
// The entry points set the validated LOG_LEVEL once config has loaded; until then an invalid value must
// not crash the import that would report it.
const initialLevel = process.env.LOG_LEVEL && pino.levels.values[process.env.LOG_LEVEL] ? process.env.LOG_LEVEL : 'info';

export const logger = pino({
  level: initialLevel,
  base: { service: 'jobline' },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export type Logger = pino.Logger;
