import type { Pool } from 'pg';
import { isUndefinedTable, qualifiedTable, TABLE_UNAVAILABLE, TableUnavailableError, type TablePolicy } from '../../tables/table-access';
import type { OrderFilter } from '../definition';
import { checkedRow } from './file-source';
import { invalidSource, type RowBatch, type RowSource, type SourcePosition } from './source';

const BATCH_ROWS = 10_000;
const UNDEFINED_COLUMN = '42703';

/** The SELECT list that reads an order row in ORDER_COLUMNS order (checkedRow turns it into an OrderRow). */
export const ORDER_SELECT = 'id, ordered_at, region, product, quantity, amount_cents';

/** A report filter as SQL conditions on an orders table, with parameters `$1…` (values, never SQL text). */
export function orderFilterSql(filter: OrderFilter): { clauses: string[]; values: unknown[] } {
  const clauses: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.from) clauses.push(`ordered_at >= ${param(`${filter.from}T00:00:00Z`)}::timestamptz`);
  if (filter.to) clauses.push(`ordered_at < ${param(`${filter.to}T00:00:00Z`)}::timestamptz`);
  if (filter.regions) clauses.push(`region = ANY(${param(filter.regions)}::text[])`);
  return { clauses, values };
}

/**
 * Orders from a PostgreSQL table, read by keyset pagination on `id` (`WHERE id > $last ORDER BY id LIMIT n`):
 * each page is an indexed range scan, nothing stays open between pages, and the last id read is the whole
 * position a checkpoint needs. The report's filter becomes the WHERE clause (parameters, never SQL text).
 */
export class PostgresRowSource implements RowSource {
  private readonly table: string;
  private readonly where: string[] = [];
  private readonly params: unknown[] = [];

  constructor(
    private readonly pool: Pool,
    tables: TablePolicy,
    table: string,
    filter: OrderFilter,
  ) {
    try {
      this.table = qualifiedTable(tables, table);
    } catch (err) {
      throw err instanceof TableUnavailableError ? unavailable() : err;
    }
    const sql = orderFilterSql(filter);
    this.where.push(...sql.clauses);
    this.params.push(...sql.values);
  }

  async total(): Promise<number> {
    const where = this.where.length ? `WHERE ${this.where.join(' AND ')}` : '';
    const result = await this.query<[number]>(`SELECT count(*)::float8 FROM ${this.table} ${where}`, this.params);
    return result[0]?.[0] ?? 0;
  }

  async *batches(from: SourcePosition | undefined): AsyncIterable<RowBatch> {
    if (from && from.kind !== 'table') throw invalidSource('checkpoint is not for a table source');
    let lastId = from?.lastId ?? Number.MIN_SAFE_INTEGER;
    const n = this.params.length;
    const where = [`id > $${n + 1}`, ...this.where].join(' AND ');
    // Plain columns: casts and to_char() in SQL cost PostgreSQL more than the conversion costs here.
    const sql = `SELECT ${ORDER_SELECT} FROM ${this.table} WHERE ${where} ORDER BY id LIMIT $${n + 2}`;
    // One page ahead: PostgreSQL reads the next page while this process aggregates the current one.
    const fetchAfter = (id: number) => {
      const page = this.query<unknown[]>(sql, [...this.params, id, BATCH_ROWS]);
      page.catch(() => undefined); // a consumer that stops early never awaits it
      return page;
    };
    let next = fetchAfter(lastId);
    for (;;) {
      const page = await next;
      if (page.length === 0) return;
      const rows = page.map(checkedRow);
      lastId = rows[rows.length - 1]!.id;
      const more = page.length === BATCH_ROWS;
      if (more) next = fetchAfter(lastId);
      yield { rows, scanned: rows.length, position: { kind: 'table', lastId } };
      if (!more) return;
    }
  }

  private async query<Row extends unknown[]>(text: string, values: unknown[]): Promise<Row[]> {
    try {
      const result = await this.pool.query<Row>({ text, values, rowMode: 'array' });
      return result.rows;
    } catch (err) {
      // A missing table answers exactly as a forbidden one; a missing column only exists in an allowed table.
      if (isUndefinedTable(err)) throw unavailable();
      if ((err as { code?: string }).code === UNDEFINED_COLUMN) throw invalidSource(`source table: ${(err as Error).message}`);
      throw err; // connection trouble and the like: the attempt is retried
    }
  }
}

function unavailable() {
  return invalidSource(`source.table ${TABLE_UNAVAILABLE}`);
}
