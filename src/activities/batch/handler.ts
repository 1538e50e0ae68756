import type { BatchItem } from '../../batch/sources';

/** What a handler may do besides its work: stay alive and cancellable while it waits. */
export interface HandlerContext {
  jobId: string;
  /** Aborted once the chunk is cancelled (the batch was cancelled or timed out). */
  signal: AbortSignal;
  /** Re-sends the chunk's latest checkpoint: call it while waiting, so the attempt is not taken for dead. */
  heartbeat(): void;
  /** A cancellable sleep. */
  sleep(ms: number): Promise<void>;
}

/** The outcome of one item: undefined when it succeeded, or why it failed. */
export type ItemResult = string | undefined;

/** The work of a batch handler (its declaration, with the schemas, is in src/batch/handlers.ts). */
export interface ItemHandler<Input = unknown> {
  /** Items per `handle` call; the chunk checkpoints between calls, so a retried chunk resumes after the last one. */
  sliceSize: number;
  /**
   * One result per item, in order; items are valid for the handler's item schema. Throwing fails the chunk
   * attempt (retried): do that for trouble that is not the items' fault, such as a database that is down.
   */
  handle(items: readonly BatchItem[], input: Input, context: HandlerContext): Promise<ItemResult[]>;
}

/** Shortens an error for a failure record: a record must stay small whatever the handler throws. */
export function itemError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 300 ? `${message.slice(0, 297)}...` : message;
}
