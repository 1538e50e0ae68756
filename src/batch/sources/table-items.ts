import type { Pool } from 'pg';
import { isUndefinedTable, TABLE_UNAVAILABLE, TableUnavailableError, type TablePolicy } from '../../tables/table-access';
import { findBatchQuery, type BuiltQuery } from '../queries';
import type { ChunkRef, PlanCursor, PlanPage } from '../types';
import { invalidBatchSource, type BatchItem, type ItemSource } from './item-source';

const UNDEFINED_COLUMN = '42703';

/**
 * Items from a named PostgreSQL query. Planning reads keys only and cuts them into key ranges
 * `(after, through]`; a chunk reads its range with an indexed range scan, so a chunk read again after a
 * crash reads the same rows (as they are then). Keys travel as text: PostgreSQL compares them in the
 * key column's own type.
 */
export class TableItemSource implements ItemSource {
  private readonly query: BuiltQuery;
  private readonly toItem: (row: unknown[]) => unknown;

  constructor(
    private readonly pool: Pool,
    tables: TablePolicy,
    name: string,
    params: unknown,
  ) {
    const definition = findBatchQuery(name);
    if (!definition) throw invalidBatchSource(`unknown batch query "${name}"`);
    const parsed = definition.params.safeParse(params);
    if (!parsed.success) throw invalidBatchSource(`batch query "${name}": ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    try {
      this.query = definition.build(parsed.data, tables);
    } catch (err) {
      throw err instanceof TableUnavailableError ? unavailable() : err;
    }
    this.toItem = definition.toItem;
  }

  async plan(cursor: PlanCursor, chunkSize: number, maxChunks: number): Promise<PlanPage> {
    const after = cursor.afterKey ?? null;
    const limit = chunkSize * maxChunks;
    const { sql, values } = this.select(`${this.query.key}::text AS batch_item_key`, after, undefined, limit);
    const keys = (await this.run<[string]>(sql, values)).map((row) => row[0]);
    const chunks: ChunkRef[] = [];
    let position = cursor.nextPosition;
    let previous = after;
    for (let i = 0; i < keys.length; i += chunkSize) {
      const slice = keys.slice(i, i + chunkSize);
      const through = slice[slice.length - 1]!;
      chunks.push({
        index: cursor.nextIndex + chunks.length,
        first: position,
        count: slice.length,
        range: { kind: 'table', after: previous, through },
      });
      position += slice.length;
      previous = through;
    }
    return {
      chunks,
      cursor: { nextIndex: cursor.nextIndex + chunks.length, nextPosition: position, afterKey: previous },
      exhausted: keys.length < limit,
    };
  }

  async read(ref: ChunkRef): Promise<BatchItem[]> {
    if (ref.range.kind !== 'table') throw invalidBatchSource(`chunk ${ref.index} is not a table chunk`);
    const { sql, values } = this.select(
      `${this.query.key}::text AS batch_item_key, ${this.query.select}`,
      ref.range.after,
      ref.range.through,
    );
    const rows = await this.run<unknown[]>(sql, values);
    return rows.map((row, i) => {
      const position = ref.first + i;
      try {
        return { position, key: String(row[0]), value: this.toItem(row.slice(1)) };
      } catch (err) {
        return { position, key: String(row[0]), value: undefined, error: (err as Error).message };
      }
    });
  }

  async count(): Promise<number> {
    const where = this.query.where.length ? `WHERE ${this.query.where.join(' AND ')}` : '';
    const rows = await this.run<[number]>(`SELECT count(*)::float8 FROM ${this.query.from} ${where}`, this.query.values);
    return rows[0]?.[0] ?? 0;
  }

  /** The query's rows with keys in `(after, through]`, in key order; parameters follow the query's own. */
  private select(columns: string, after: string | null, through?: string, limit?: number): { sql: string; values: unknown[] } {
    const values = [...this.query.values];
    const where = [...this.query.where];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (after !== null) where.push(`${this.query.key} > ${param(after)}`);
    if (through !== undefined) where.push(`${this.query.key} <= ${param(through)}`);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const tail = limit !== undefined ? ` LIMIT ${param(limit)}` : '';
    return { sql: `SELECT ${columns} FROM ${this.query.from} ${clause} ORDER BY ${this.query.key}${tail}`, values };
  }

  private async run<Row extends unknown[]>(text: string, values: unknown[]): Promise<Row[]> {
    try {
      return (await this.pool.query<Row>({ text, values, rowMode: 'array' })).rows;
    } catch (err) {
      // A missing table answers exactly as a forbidden one; a missing column only exists in an allowed table.
      if (isUndefinedTable(err)) throw unavailable();
      if ((err as { code?: string }).code === UNDEFINED_COLUMN) throw invalidBatchSource(`batch source: ${(err as Error).message}`);
      throw err; // connection trouble and the like: the attempt is retried
    }
  }
}

function unavailable() {
  return invalidBatchSource(`source.params.table ${TABLE_UNAVAILABLE}`);
}
