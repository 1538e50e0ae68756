import { ApplicationFailure } from '@temporalio/common';
import type { OrderRow } from '../definition';

/** Where a resumed read starts: a byte offset in a file (after its header) or the last id read from a table. */
export type SourcePosition = { kind: 'file'; offset: number; header: string[] } | { kind: 'table'; lastId: number };

export interface RowBatch {
  /** Rows that pass the filter. */
  rows: OrderRow[];
  /** Rows read, matching or not: what progress counts. */
  scanned: number;
  /** Where the next batch starts: a checkpoint taken after this batch resumes here. */
  position: SourcePosition;
}

/** A stream of order rows in a stable order, readable from any position it handed out. */
export interface RowSource {
  /** Rows a full read scans, when the source can tell cheaply. */
  total(): Promise<number | undefined>;
  batches(from: SourcePosition | undefined): AsyncIterable<RowBatch>;
}

/** A source that retrying cannot fix (no such file or table, a bad row): fails the attempt for good. */
export function invalidSource(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'InvalidReportSource');
}
