import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client, escapeIdentifier } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ORDER_COLUMNS } from '../definition';
import { demoCsvStream } from './generate';

export interface SeedOptions {
  rows: number;
  seed: number;
  /** The CSV file to write. */
  csvFile: string;
  /** The table to (re)create; undefined: CSV only. */
  table?: string;
  databaseUrl: string;
}

export interface SeedOutcome {
  csvFile: string;
  csvBytes: number;
  table?: string;
  rows: number;
}

/**
 * Writes the demo orders to a CSV file (temp file + rename), then copies that file into a fresh table with
 * COPY FROM STDIN: both stream, so memory stays flat for millions of rows, and both hold the same rows.
 */
export async function seedDemo(options: SeedOptions): Promise<SeedOutcome> {
  await fsp.mkdir(path.dirname(options.csvFile), { recursive: true });
  const temp = `${options.csvFile}.${process.pid}.tmp`;
  await pipeline(demoCsvStream(options.rows, options.seed), fs.createWriteStream(temp));
  await fsp.rename(temp, options.csvFile);
  const { size } = await fsp.stat(options.csvFile);
  if (options.table) await loadTable(options.databaseUrl, options.table, options.csvFile);
  return { csvFile: options.csvFile, csvBytes: size, table: options.table, rows: options.rows };
}

async function loadTable(databaseUrl: string, table: string, csvFile: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const name = escapeIdentifier(table);
  try {
    await client.query('BEGIN');
    await client.query(`DROP TABLE IF EXISTS ${name}`);
    await client.query(
      `CREATE TABLE ${name} (id bigint NOT NULL, ordered_at timestamptz NOT NULL, region text NOT NULL, ` +
        `product text NOT NULL, quantity integer NOT NULL, amount_cents bigint NOT NULL)`,
    );
    await pipeline(
      fs.createReadStream(csvFile),
      client.query(copyFrom(`COPY ${name} (${ORDER_COLUMNS.join(', ')}) FROM STDIN WITH (FORMAT csv, HEADER true)`)),
    );
    // The key after the load: building the index once is faster than maintaining it row by row.
    await client.query(`ALTER TABLE ${name} ADD PRIMARY KEY (id)`);
    await client.query('COMMIT');
    await client.query(`ANALYZE ${name}`);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
