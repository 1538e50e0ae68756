import type { Config } from '../config';

/** The address a worker or API process uses: TEMPORAL_ADDRESS, or the embedded server `npm start` runs. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `${config.embedded.ip}:${config.embedded.port}`;
}
