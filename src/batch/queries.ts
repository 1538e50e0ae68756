import { z } from 'zod';
import { SqlText, TableName } from '../jobs/fields';
import { qualifiedTable, type TablePolicy } from '../tables/table-access';
import { checkedRow } from '../reports/sources/file-source';
import { ORDER_SELECT, orderFilterSql } from '../reports/sources/postgres-source';

/** A query as a batch source reads it: rows of `from` that meet `where`, in the order of `key`. */
export interface BuiltQuery {
  from: string;
  select: string;
  /** A unique, indexed column: chunks are key ranges of it. */
  key: string;
  where: string[];
  values: unknown[];
}

/**
 * A named PostgreSQL source for batches: clients choose it by name and pass parameters, never SQL.
 * Add a definition to BATCH_QUERIES to publish it.
 */
export interface BatchQueryDefinition<Params extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  params: Params;
  /** Names tables through `tables` (qualifiedTable), which throws TableUnavailableError for a refused one. */
  build(params: z.output<Params>, tables: TablePolicy): BuiltQuery;
  /** The tables `params` name, by field: the API refuses one the policy does not allow before anything starts. */
  tables(params: z.output<Params>): Array<{ field: string; table: string }>;
  /** One row (in `select` order) → the item the handler gets. */
  toItem(row: unknown[]): unknown;
}

export function defineBatchQuery<Params extends z.ZodType>(definition: BatchQueryDefinition<Params>): BatchQueryDefinition<Params> {
  return definition;
}

const IsoDate = z.iso.date({ error: 'must be a date YYYY-MM-DD' });

const OrdersParams = z
  .object({
    table: TableName.default('demo_orders'),
    /** First day included (UTC). */
    from: IsoDate.optional(),
    /** First day excluded (UTC). */
    to: IsoDate.optional(),
    regions: z.array(SqlText.min(1).max(64)).min(1).max(100).optional(),
  })
  .strict()
  .refine((p) => !p.from || !p.to || p.from < p.to, { error: 'must be after `from`', path: ['to'] });

export const ordersQuery = defineBatchQuery({
  name: 'orders',
  description: 'Orders (the report demo table, or another with its columns), filtered by date range and regions; items are order objects.',
  params: OrdersParams,
  build: ({ table, ...filter }, tables) => {
    const { clauses, values } = orderFilterSql(filter);
    return { from: qualifiedTable(tables, table), select: ORDER_SELECT, key: 'id', where: clauses, values };
  },
  toItem: (row) => checkedRow(row),
  tables: ({ table }) => [{ field: 'table', table }],
});

export const BATCH_QUERIES: readonly BatchQueryDefinition[] = [ordersQuery as unknown as BatchQueryDefinition];
const byName = new Map(BATCH_QUERIES.map((query) => [query.name, query]));

export function findBatchQuery(name: string): BatchQueryDefinition | undefined {
  return byName.get(name);
}
