import { isIP } from 'node:net';
import type { Config } from '../config';
import type { DevServerOptions } from './dev-server';

/** The address a browser on this machine reaches the API at: JOBLINE_PUBLIC_URL, or the bind address and port. */
export function apiUrlOf(config: Config, port: number): string {
  if (config.api.publicUrl) return config.api.publicUrl.replace(/\/+$/, '');
  const host = config.api.host;
  const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : isIP(host) === 6 ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

/**
 * The embedded dev server as `npm start` runs it: every port on JOBLINE_TEMPORAL_IP (loopback by default), the
 * database under JOBLINE_DATA_DIR, and, when payloads are encrypted, the Web UI pointed at the API's codec server.
 */
export function embeddedServerOptions(config: Config, apiUrl: string): DevServerOptions {
  return {
    binary: config.embedded.cliPath,
    ip: config.embedded.ip,
    port: config.embedded.port,
    uiPort: config.embedded.uiPort,
    metricsPort: config.embedded.metricsPort,
    dbFile: config.embedded.dbFile,
    sqliteSynchronous: config.embedded.sqliteSynchronous,
    namespace: config.temporal.namespace,
    ...(config.encryption ? { uiCodecEndpoint: `${apiUrl}/codec` } : {}),
  };
}
