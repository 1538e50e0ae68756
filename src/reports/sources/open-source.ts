import type { Pool } from 'pg';
import type { ReportSource } from '../../jobs/report';
import type { TablePolicy } from '../../tables/table-access';
import type { OrderFilter } from '../definition';
import { FileRowSource } from './file-source';
import { PostgresRowSource } from './postgres-source';
import type { RowSource } from './source';

export interface SourceDeps {
  /** Root of file sources (JOBLINE_REPORT_SOURCE_DIR). */
  sourceDir: string;
  pgPool(): Pool;
  /** The tables a source may name (JOBLINE_PG_SCHEMA, JOBLINE_PG_TABLES). */
  tables: TablePolicy;
}

/** The source a job's input names, reading only rows that pass `filter`. */
export function openSource(source: ReportSource, filter: OrderFilter, deps: SourceDeps): RowSource {
  switch (source.type) {
    case 'csv':
    case 'ndjson':
      return new FileRowSource(deps.sourceDir, source.path, source.type, filter);
    case 'postgres':
      return new PostgresRowSource(deps.pgPool(), deps.tables, source.table, filter);
  }
}
