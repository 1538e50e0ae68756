import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { TemporalTarget } from '../config';

/** What the client `Connection` and the worker's `NativeConnection` both accept. */
export interface SharedConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

export function connectionOptions(target: TemporalTarget, address: string): SharedConnectionOptions {
  const options: SharedConnectionOptions = { address };
  if (target.tls) {
    const { certPath, keyPath, caPath, serverName } = target.tls;
    options.tls = {
      serverNameOverride: serverName,
      serverRootCACertificate: caPath ? fs.readFileSync(caPath) : undefined,
      clientCertPair: certPath && keyPath ? { crt: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) } : undefined,
    };
  }
  if (target.apiKey) options.apiKey = target.apiKey;
  return options;
}
