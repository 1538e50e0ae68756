import { Client, type Connection } from '@temporalio/client';
import type { Config } from '../config';
import { clientTracing } from '../tracing/temporal';
import { dataConverterFor } from './codec/data-converter';

/** The Temporal client every Jobline process uses: its namespace, the payload codec when keys are configured,
 * and the tracing interceptors when tracing is on (StartWorkflow spans continue the request's trace). */
export function createJoblineClient(connection: Connection, config: Pick<Config, 'temporal' | 'encryption'>): Client {
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config.encryption),
    ...clientTracing(),
  });
}
