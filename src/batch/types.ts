// Shapes shared by the batch workflow, its activities and the API. Types only: workflow code imports this.

/** Where a batch's items come from, after validation at the edge. */
export type BatchSource =
  { type: 'inline' } | { type: 'csv' | 'ndjson'; path: string } | { type: 'postgres'; query: string; params: unknown };

/** What the workflow runs: the validated `input` of a `batch` job. */
export interface BatchPlan {
  handler: string;
  handlerInput: unknown;
  source: BatchSource;
  /** The items themselves for an inline batch (bounded at the edge); absent otherwise. */
  items?: unknown[];
  chunkSize: number;
  concurrency: number;
  /** For the whole batch; split evenly across its concurrent chunks. */
  maxItemsPerSecond?: number;
  /** Dead-letter the batch once more items than this have failed. */
  maxFailedItems?: number;
  /** Dead-letter the batch once failed / total exceeds this (0…1). */
  maxFailedRatio?: number;
}

/**
 * Where one chunk's items are in the source: positions `[first, first + count)` of the batch, plus what the
 * source needs to read exactly those items again (a byte range of whole lines, or a key range).
 */
export interface ChunkRef {
  index: number;
  first: number;
  count: number;
  range: ChunkRange;
}

export type ChunkRange =
  | { kind: 'inline' }
  | { kind: 'file'; start: number; end: number }
  /** Keys in `(after, through]`, in key order; `after` null = from the first key. */
  | { kind: 'table'; after: string | null; through: string };

/** How far planning has got through a source. */
export interface PlanCursor {
  nextIndex: number;
  nextPosition: number;
  /** File sources: the byte offset of the next unplanned line. */
  offset?: number;
  /** Table sources: the last key planned. */
  afterKey?: string | null;
}

export interface PlanPage {
  chunks: ChunkRef[];
  cursor: PlanCursor;
  exhausted: boolean;
  /** A CSV source's column names (first page only): every chunk reader needs them. */
  header?: string[];
}

/** The planning activity's input. */
export interface PlanRequest {
  jobId: string;
  source: BatchSource;
  chunkSize: number;
  cursor: PlanCursor;
  maxChunks: number;
  /** First call only: read a CSV header. */
  first: boolean;
}

/** The counting activity's input. */
export interface CountRequest {
  jobId: string;
  source: BatchSource;
}

/** One chunk to run: a first run, or a re-run of the items a failure record lists. */
export interface ChunkTask {
  index: number;
  /**
   * Where the chunk's items are. A retry of a file or table chunk has none: its failure record holds it,
   * so the workflow never has to keep a reference for every chunk that failed.
   */
  ref?: ChunkRef;
  /** Re-run only the failed items of this chunk, as recorded in that round; `failed` is how many. */
  retryOf?: { round: number; failed: number };
}

/** The chunk activity's input. */
export interface ChunkInput {
  jobId: string;
  round: number;
  handler: string;
  handlerInput: unknown;
  source: BatchSource;
  header?: string[];
  /** Inline batches: the chunk's own items (positions ref.first …). */
  items?: unknown[];
  task: ChunkTask;
  /** This chunk's share of the batch's rate limit. */
  maxItemsPerSecond?: number;
}

export interface ChunkOutcome {
  /** Items this run handled (a retry handles only the ones that had failed). */
  processed: number;
  succeeded: number;
  failed: number;
}

/** A chunk whose latest run left failed items; the round names the failure record that lists them. */
export interface FailedChunk {
  index: number;
  round: number;
  failed: number;
}

export interface BatchCounters {
  /** Unknown until the source is counted (CSV/NDJSON/PostgreSQL count on the first planning call). */
  total?: number;
  succeeded: number;
  failed: number;
}

/** What one run hands to the next through continue-as-new (and a retry-failed run gets from the result). */
export interface BatchCarry {
  round: number;
  counters: BatchCounters;
  cursor: PlanCursor;
  exhausted: boolean;
  header?: string[];
  /** Planned chunks not yet started (and, after a dead letter, chunks whose attempts ran out). */
  pending: ChunkTask[];
  failedChunks: FailedChunk[];
  /** Runs of this workflow id so far, this one included. */
  runs: number;
  round0StartedAt: string;
  roundStartedAt: string;
  processedThisRound: number;
  /** ISO time the overall timeout ends the batch. */
  deadline: string;
  /** Every failure that dead-lettered the batch, oldest first. */
  deadLetters: Array<{ type: string; message: string; round: number; at: string }>;
}

/** A failed item as its failure record keeps it. */
export interface ItemFailure {
  position: number;
  key: string;
  error: string;
}

/** The artifact a chunk run writes when items failed: enough to re-read and re-run exactly those items. */
export interface FailureRecord {
  version: 1;
  round: number;
  chunk: ChunkRef;
  failures: ItemFailure[];
}

export interface BatchProgress {
  round: number;
  total?: number;
  /** Items handled (succeeded + failed). */
  done: number;
  succeeded: number;
  failed: number;
  /** In the current round: items handled per second since it started. */
  itemsPerSecond: number;
  runningChunks: number;
  /** Runs of the workflow so far (continue-as-new keeps each run's history small). */
  runs: number;
}

/** A finished batch: counts, and where its failures are recorded. */
export interface BatchResult extends Omit<BatchProgress, 'runningChunks'> {
  failedChunks: FailedChunk[];
  durationMs: number;
}
