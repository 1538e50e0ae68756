import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { upsertTableDdl } from '../src/batch/upsert-table';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { seedDemo } from '../src/reports/demo/seed';

/**
 * `npm run seed:demo -- --rows N [--seed S] [--table demo_orders] [--csv orders.csv] [--no-postgres]`:
 * deterministic demo orders as a CSV file under JOBLINE_REPORT_SOURCE_DIR and a PostgreSQL table, and
 * an empty `demo_order_copies` table for `pg-upsert` batches to write to.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '42' },
      table: { type: 'string', default: 'demo_orders' },
      csv: { type: 'string', default: 'orders.csv' },
      'no-postgres': { type: 'boolean', default: false },
    },
  });
  const rows = Number(values.rows);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(rows) || rows < 1) throw new Error('--rows must be a positive integer');
  if (!Number.isSafeInteger(seed)) throw new Error('--seed must be an integer');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(values.table)) throw new Error('--table must be a lower-case SQL identifier');
  const config = loadConfig();
  const started = Date.now();
  const outcome = await seedDemo({
    rows,
    seed,
    csvFile: path.resolve(config.reports.sourceDir, values.csv),
    table: values['no-postgres'] ? undefined : values.table,
    databaseUrl: config.reports.databaseUrl,
  });
  if (outcome.table) await createUpsertTable(config.reports.databaseUrl, UPSERT_TABLE);
  const database = config.reports.databaseUrl.replace(/\/\/[^@/]*@/, '//');
  const lines = [
    `seeded ${outcome.rows} demo orders (seed ${seed}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    `  CSV:        ${outcome.csvFile} (${(outcome.csvBytes / 1e6).toFixed(1)} MB)`,
    outcome.table ? `  PostgreSQL: table ${outcome.table} in ${database}` : '  PostgreSQL: skipped (--no-postgres)',
    outcome.table ? `  PostgreSQL: table ${UPSERT_TABLE} for pg-upsert batches` : '',
    `  try: {"type":"report","input":{"report":"sales-summary","source":{"type":"csv","path":"${values.csv}"}}}`,
    outcome.table
      ? `  or:  {"type":"batch","input":{"handler":"pg-upsert","handlerInput":{"table":"${UPSERT_TABLE}"},"source":{"type":"postgres","query":"orders","params":{"table":"${outcome.table}"}}}}`
      : '',
  ];
  process.stdout.write(lines.filter(Boolean).join('\n') + '\n');
}

const UPSERT_TABLE = 'demo_order_copies';

async function createUpsertTable(databaseUrl: string, table: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(upsertTableDdl(table));
  } finally {
    await client.end();
  }
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'seed failed');
  process.exit(1);
});
