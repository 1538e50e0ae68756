import { Client, type Connection } from '@temporalio/client';
import type { Config } from '../config';
import { dataConverterFor } from './codec/data-converter';

/** The Temporal client every Jobline process uses: its namespace, and the payload codec when keys are configured. */
export function createJoblineClient(connection: Connection, config: Pick<Config, 'temporal' | 'encryption'>): Client {
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverterFor(config.encryption) });
}
