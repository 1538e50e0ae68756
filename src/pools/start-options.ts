import { parseArgs } from 'node:util';
import { ConfigError } from '../config';

/** `npm start [-- --single-process]`: supervised child processes (the default), or everything in one process. */
export function startOptions(args: string[]): { singleProcess: boolean } {
  try {
    const { values } = parseArgs({ args, options: { 'single-process': { type: 'boolean' } }, strict: true, allowPositionals: false });
    return { singleProcess: values['single-process'] === true };
  } catch (err) {
    throw new ConfigError([`npm start arguments: ${(err as Error).message} (usage: npm start [-- --single-process])`]);
  }
}
