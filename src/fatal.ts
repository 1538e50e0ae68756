import { ConfigError } from './config';
import { logger } from './logger';

/** How every entry point dies: a config error as plain text naming the variables, anything else logged. */
export function exitOnFatal(what: string) {
  return (err: unknown): never => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else logger.fatal({ err }, `${what} failed`);
    process.exit(1);
  };
}
