import { escapeIdentifier } from 'pg';

/**
 * Which PostgreSQL tables a client may name (a report's `source.table`, a batch query's `params.table`,
 * `pg-upsert`'s `table`): tables of one schema, and of those only the listed ones when a list is set.
 * Every name is schema-qualified in SQL, so `search_path` (which always holds `pg_catalog`) never
 * resolves it: `pg_authid` means `<schema>.pg_authid`, which does not exist.
 */
export interface TablePolicy {
  /** JOBLINE_PG_SCHEMA. */
  schema: string;
  /** JOBLINE_PG_TABLES; unset: every table of `schema`. */
  tables?: readonly string[];
}

/**
 * The one answer for a table a client may not use, whether it is missing, not allowed or not even a
 * valid name: telling these apart would make the field an existence oracle.
 */
export const TABLE_UNAVAILABLE = 'must name a table this service may use (it is missing or not allowed)';

/** Whether the policy allows `name` (from config alone: a listed name may still be missing). */
export function tableAllowed(policy: TablePolicy, name: string): boolean {
  return policy.tables === undefined || policy.tables.includes(name);
}

/** Thrown for a table the policy does not allow; callers turn it into their own non-retryable failure. */
export class TableUnavailableError extends Error {
  constructor() {
    super(TABLE_UNAVAILABLE);
    this.name = 'TableUnavailableError';
  }
}

/** `"schema"."name"` for SQL, or TableUnavailableError when the policy does not allow `name`. */
export function qualifiedTable(policy: TablePolicy, name: string): string {
  if (!tableAllowed(policy, name)) throw new TableUnavailableError();
  return `${escapeIdentifier(policy.schema)}.${escapeIdentifier(name)}`;
}

/** PostgreSQL's "undefined table": answered exactly like a table the policy refuses. */
export function isUndefinedTable(err: unknown): boolean {
  return (err as { code?: unknown }).code === '42P01';
}
