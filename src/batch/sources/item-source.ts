import { ApplicationFailure } from '@temporalio/common';
import type { ChunkRef, PlanCursor, PlanPage } from '../types';

/** One item of a batch as a handler gets it. */
export interface BatchItem {
  /** 0-based place in the batch. */
  position: number;
  /** What identifies the item across re-runs: its position, or a table source's key. */
  key: string;
  value: unknown;
  /** Set when the source could not read the item (a line that is not JSON): it fails without the handler. */
  error?: string;
}

/** A source of batch items: planned into chunks once, and read back chunk by chunk (again, after a crash). */
export interface ItemSource {
  /** Items in the whole source: a pass over a file, `count(*)` for a query. */
  count(): Promise<number>;
  /** The next `maxChunks` chunks from `cursor`; `first` (the first call) also reads a CSV header. */
  plan(cursor: PlanCursor, chunkSize: number, maxChunks: number, first: boolean): Promise<PlanPage>;
  read(ref: ChunkRef, header?: string[]): Promise<BatchItem[]>;
}

/** A source that retrying cannot fix (no such file, table or column): fails the batch's chunk for good. */
export function invalidBatchSource(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'InvalidBatchSource');
}
