import { escapeIdentifier } from 'pg';

/**
 * The table the `pg-upsert` handler writes: one row per item key, however often the item is written. It
 * lives in the schema the handler writes to (JOBLINE_PG_SCHEMA).
 */
export function upsertTableDdl(table: string, schema = 'public'): string {
  return `CREATE TABLE IF NOT EXISTS ${escapeIdentifier(schema)}.${escapeIdentifier(table)} (
  item_key text PRIMARY KEY,
  payload jsonb NOT NULL,
  job_id text NOT NULL,
  writes integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;
}
