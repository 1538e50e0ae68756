import type { Pool } from 'pg';
import type { ReportSource } from '../../jobs/report';
import type { OrderFilter } from '../definition';
import { FileRowSource } from './file-source';
import { PostgresRowSource } from './postgres-source';
import type { RowSource } from './source';

export interface SourceDeps {
  /** Root of file sources (JOBLINE_REPORT_SOURCE_DIR). */
  sourceDir: string;
  pgPool(): Pool;
}

/** The source a job's input names, reading only rows that pass `filter`. */
export function openSource(source: ReportSource, filter: OrderFilter, deps: SourceDeps): RowSource {
  switch (source.type) {
    case 'csv':
    case 'ndjson':
      return new FileRowSource(FileRowSource.resolve(deps.sourceDir, source.path), source.type, filter);
    case 'postgres':
      return new PostgresRowSource(deps.pgPool(), source.table, filter);
  }
}
