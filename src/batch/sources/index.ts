import type { Pool } from 'pg';
import type { TablePolicy } from '../../tables/table-access';
import type { BatchSource } from '../types';
import { FileItemSource } from './file-items';
import { invalidBatchSource, type ItemSource } from './item-source';
import { TableItemSource } from './table-items';

export type { BatchItem, ItemSource } from './item-source';

export interface ItemSourceDeps {
  /** Root of file sources (JOBLINE_REPORT_SOURCE_DIR, shared with reports). */
  sourceDir: string;
  pgPool(): Pool;
  /** The tables a query may name (JOBLINE_PG_SCHEMA, JOBLINE_PG_TABLES). */
  tables: TablePolicy;
}

/** The source a batch names; inline items never come here (the workflow hands them to the chunk). */
export function openItemSource(source: BatchSource, deps: ItemSourceDeps): ItemSource {
  switch (source.type) {
    case 'csv':
    case 'ndjson':
      return new FileItemSource(deps.sourceDir, source.path, source.type);
    case 'postgres':
      return new TableItemSource(deps.pgPool(), deps.tables, source.query, source.params);
    case 'inline':
      throw invalidBatchSource('inline items are planned by the workflow');
  }
}
