import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { PgUpsertInput } from '../../../batch/handlers';
import { isUndefinedTable, qualifiedTable, TABLE_UNAVAILABLE, TableUnavailableError, type TablePolicy } from '../../../tables/table-access';
import { itemError, type ItemHandler, type ItemResult } from '../handler';

export interface PgUpsertDeps {
  pgPool(): Pool;
  /** The tables `table` may name (JOBLINE_PG_SCHEMA, JOBLINE_PG_TABLES). */
  tables: TablePolicy;
}

/** The table is not the shape the handler writes (docs/batch.md), or may not be written: no item can succeed. */
const TARGET_ERRORS = new Set(['42703', '42P10', '42501', '42804']);

interface Row {
  index: number;
  key: string;
  payload: string;
}

/**
 * Upserts a chunk's items in one statement, keyed by the item's key field: writing an item again (a chunk
 * re-run after a crash) updates its row, so the table never holds a key twice. `writes` counts how often
 * a row was written, which shows re-runs. When one item's data breaks the statement, the items are written
 * one by one to find which.
 */
export function createPgUpsertHandler(deps: PgUpsertDeps): ItemHandler<PgUpsertInput> {
  return {
    sliceSize: Number.MAX_SAFE_INTEGER,
    async handle(items, input, context) {
      const results: ItemResult[] = items.map(() => undefined);
      // Within one statement a key may appear once; the last item with a key wins, as if written in order.
      const latest = new Map<string, Row>();
      items.forEach((item, index) => {
        const key = (item.value as Record<string, unknown>)[input.keyField];
        if ((typeof key !== 'string' && typeof key !== 'number') || key === '') {
          results[index] = `no "${input.keyField}" field (a string or number) to key the row by`;
          return;
        }
        latest.set(String(key), { index, key: String(key), payload: JSON.stringify(item.value) });
      });
      const rows = [...latest.values()];
      if (rows.length === 0) return results;
      const pool = deps.pgPool();
      const table = targetTable(deps.tables, input.table);
      try {
        await upsert(pool, table, rows, context.jobId);
      } catch (err) {
        if (!isDataError(err)) throw asTargetError(err, input.table);
        for (const row of rows) {
          try {
            await upsert(pool, table, [row], context.jobId);
          } catch (rowErr) {
            if (!isDataError(rowErr)) throw asTargetError(rowErr, input.table);
            results[row.index] = itemError(rowErr);
          }
        }
      }
      return results;
    },
  };
}

/** The schema-qualified table, checked again here: the policy may have changed since the batch was submitted. */
function targetTable(tables: TablePolicy, name: string): string {
  try {
    return qualifiedTable(tables, name);
  } catch (err) {
    throw err instanceof TableUnavailableError ? unavailable() : err;
  }
}

function unavailable(): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`handlerInput.table ${TABLE_UNAVAILABLE}`, 'InvalidBatchTarget');
}

/** `target` is schema-qualified and quoted (targetTable). */
async function upsert(pool: Pool, target: string, rows: Row[], jobId: string): Promise<void> {
  await pool.query(
    `INSERT INTO ${target} AS t (item_key, payload, job_id)
     SELECT k, p, $3 FROM unnest($1::text[], $2::jsonb[]) AS u(k, p)
     ON CONFLICT (item_key) DO UPDATE SET payload = EXCLUDED.payload, job_id = EXCLUDED.job_id, writes = t.writes + 1, updated_at = now()`,
    [rows.map((row) => row.key), rows.map((row) => row.payload), jobId],
  );
}

/** Class 22 (data exception) and 23 (integrity constraint): the item's data, not the database. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

function asTargetError(err: unknown, table: string): unknown {
  // A missing table answers exactly as a forbidden one.
  if (isUndefinedTable(err)) return unavailable();
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && TARGET_ERRORS.has(code)) {
    return ApplicationFailure.nonRetryable(`table "${table}" cannot take upserts: ${(err as Error).message}`, 'InvalidBatchTarget');
  }
  return err; // connection trouble and the like: the chunk attempt is retried
}
