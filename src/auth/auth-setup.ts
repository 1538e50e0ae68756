import type { Config } from '../config';
import type { Logger } from '../logger';
import { authModeFor, type AuthMode } from './auth-mode';
import { KeyRing } from './key-ring';
import { SubmissionRateLimiter } from './submission-rate';
import { watchKeyFile } from './watch-key-file';

/** Authentication as a process runs it: the mode, the key ring (reloaded on SIGHUP and on change), the rate limiter. */
export interface AuthSetup {
  mode: AuthMode;
  keys?: KeyRing;
  rateLimiter?: SubmissionRateLimiter;
  /** One line for the start-up banner and log: whether keys are required, and from where. */
  summary: string;
  close(): Promise<void>;
}

/** Refuses an unsafe combination (no keys off loopback) before anything listens. */
export function setUpAuth(config: Config, log: Logger): AuthSetup {
  const mode = authModeFor(config.auth, config.api.host);
  if (mode !== 'keys') {
    return {
      mode,
      summary:
        mode === 'open'
          ? `OPEN (no API keys, loopback only): anyone on this host can use the API; set JOBLINE_API_KEYS_FILE to require keys`
          : `none (JOBLINE_AUTH=none): no API keys; whatever is in front of Jobline must authenticate`,
      close: async () => {},
    };
  }
  const keys = new KeyRing(config.auth.keysFile!);
  const stopWatching = watchKeyFile(keys, log);
  const rateLimiter = new SubmissionRateLimiter({ redisUrl: config.redisUrl, logger: log });
  return {
    mode,
    keys,
    rateLimiter,
    summary: `API keys required (${keys.size} key${keys.size === 1 ? '' : 's'} from ${keys.file}; reloaded on change and SIGHUP; submission rates counted in ${rateLimiter.store})`,
    close: async () => {
      stopWatching();
      await rateLimiter.close();
    },
  };
}

/** The start-up line about authentication: a warning when the API is open (no keys), so that it is seen at any level. */
export function logAuthSetup(log: Logger, auth: AuthSetup): void {
  if (auth.mode === 'keys') log.info({ auth: auth.mode, keys: auth.keys?.size }, `authentication: ${auth.summary}`);
  else log.warn({ auth: auth.mode }, `authentication: ${auth.summary}`);
}
