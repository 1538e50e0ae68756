import { isLoopbackHost } from '../net/loopback-host';

/**
 * How the API authenticates:
 * - `keys`: a key file is configured (JOBLINE_API_KEYS_FILE); every route but the probes needs a key;
 * - `open`: no key file and the API bound to loopback (the `npm start` default): anyone on this host is admin;
 * - `none`: no key file, bound elsewhere, and the operator said so explicitly (JOBLINE_AUTH=none), e.g. behind
 *   a gateway that authenticates.
 * Without keys on any other address Jobline refuses to start: an open job runner on a network is a proxy
 * into that network for whoever finds it.
 */
export type AuthMode = 'keys' | 'open' | 'none';

export class UnsafeAuthConfigError extends Error {
  constructor(host: string) {
    super(
      `the API would listen on ${host} with no API keys: set JOBLINE_API_KEYS_FILE (npm run apikey prints a key), ` +
        `or JOBLINE_AUTH=none if something in front of Jobline authenticates, or bind to 127.0.0.1`,
    );
    this.name = 'UnsafeAuthConfigError';
  }
}

export function authModeFor(auth: { keysFile?: string; mode?: 'none' }, apiHost: string): AuthMode {
  if (auth.keysFile) return 'keys';
  if (auth.mode === 'none') return 'none';
  if (isLoopbackHost(apiHost)) return 'open';
  throw new UnsafeAuthConfigError(apiHost);
}
