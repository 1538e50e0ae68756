import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { z } from 'zod';
import type { ArtifactStore } from '../../artifacts';
import { readFailureRecord, writeFailureRecord } from '../../batch/failure-records';
import { findBatchHandler } from '../../batch/handlers';
import { openItemSource, type BatchItem, type ItemSourceDeps } from '../../batch/sources';
import type { ChunkInput, ChunkOutcome, ChunkRef, ItemFailure } from '../../batch/types';
import { itemError, type HandlerContext, type ItemHandler } from './handler';

export interface ChunkDeps extends ItemSourceDeps {
  artifacts: ArtifactStore;
}

/**
 * What a chunk attempt heartbeats: how far it got and what failed so far. A retried attempt (after a
 * crash or a timeout) resumes after the last slice it finished, so items are not handled twice by a
 * healthy run; handlers are idempotent for the ones a crash does repeat.
 */
interface ChunkCheckpoint {
  version: 1;
  round: number;
  next: number;
  succeeded: number;
  failures: ItemFailure[];
}

/** Runs one chunk: reads its items, hands them to the handler a slice at a time, records the failures. */
export async function runChunk(deps: ChunkDeps, handlers: Record<string, ItemHandler<never>>, input: ChunkInput): Promise<ChunkOutcome> {
  const context = Context.current();
  const definition = findBatchHandler(input.handler);
  const handler = handlers[input.handler];
  if (!definition || !handler) throw ApplicationFailure.nonRetryable(`unknown batch handler "${input.handler}"`, 'InvalidInput');
  const handlerInput = definition.input.safeParse(input.handlerInput);
  if (!handlerInput.success) throw ApplicationFailure.nonRetryable(`invalid handlerInput: ${handlerInput.error.message}`, 'InvalidInput');

  const { ref, items } = await chunkItems(deps, input);
  const resumed = checkpointFrom(context.info.heartbeatDetails, input.round);
  const done: ChunkCheckpoint = resumed ?? { version: 1, round: input.round, next: 0, succeeded: 0, failures: [] };
  const resumedAt = done.next;
  if (resumed) log.info('resuming chunk from its checkpoint', { jobId: input.jobId, chunk: ref.index, next: resumedAt });

  let details: unknown = { progress: { done: done.next, total: items.length, unit: 'items' } };
  const heartbeat = () => context.heartbeat(details);
  const handlerContext: HandlerContext = {
    jobId: input.jobId,
    signal: context.cancellationSignal,
    heartbeat,
    sleep: (ms) => context.sleep(ms),
  };
  const pace = input.maxItemsPerSecond ? pacer(input.maxItemsPerSecond, context) : undefined;
  // A chunk that finishes within the tick sends no heartbeat at all: each one is a call to the server,
  // which for a quick chunk costs as much as the chunk. A slow one (paced, or a slow handler) heartbeats
  // on the tick, and its checkpoint after each slice.
  const tick = setInterval(heartbeat, heartbeatTickMs(context.info.heartbeatTimeoutMs));
  try {
    while (done.next < items.length) {
      if (pace) await pace(done.next - resumedAt);
      const slice = items.slice(done.next, done.next + handler.sliceSize);
      await runSlice(slice, definition.item, (valid) => handler.handle(valid, handlerInput.data as never, handlerContext), done);
      // A copy: the tick may send it while the next slice is half done.
      details = {
        progress: { done: done.next, total: items.length, unit: 'items' },
        checkpoint: { ...done, failures: [...done.failures] },
      };
      if (done.next < items.length) heartbeat();
      // Cancellation arrives through heartbeats; stop between slices once it has.
      if (context.cancellationSignal.aborted) await context.cancelled;
    }
    // The chunk holds its share of the rate until its last item's interval is over: the next chunk starts fresh.
    if (pace) await pace(items.length - resumedAt);
  } finally {
    clearInterval(tick);
  }

  const { failures } = done;
  if (failures.length > 0) {
    failures.sort((a, b) => a.position - b.position);
    await writeFailureRecord(deps.artifacts, input.jobId, { version: 1, round: input.round, chunk: ref, failures });
  }
  return { processed: items.length, succeeded: done.succeeded, failed: failures.length };
}

/** One slice: items the source could not read or the schema refuses fail without the handler; the rest go to it. */
async function runSlice(
  slice: BatchItem[],
  itemSchema: z.ZodType,
  handle: (valid: BatchItem[]) => Promise<Array<string | undefined>>,
  done: ChunkCheckpoint,
): Promise<void> {
  const valid: BatchItem[] = [];
  for (const item of slice) {
    const problem = item.error ?? invalidItem(itemSchema.safeParse(item.value));
    if (problem) done.failures.push({ position: item.position, key: item.key, error: problem });
    else valid.push(item);
  }
  const results = valid.length ? await handle(valid) : [];
  valid.forEach((item, i) => {
    const error = results[i];
    if (error === undefined) done.succeeded += 1;
    else done.failures.push({ position: item.position, key: item.key, error: itemError(error) });
  });
  done.next += slice.length;
}

/** The chunk's items: all of them, or for a retry only those its failure record lists. */
async function chunkItems(deps: ChunkDeps, input: ChunkInput): Promise<{ ref: ChunkRef; items: BatchItem[] }> {
  const { task } = input;
  let ref = task.ref;
  let only: Set<string> | undefined;
  if (task.retryOf) {
    const record = await readFailureRecord(deps.artifacts, input.jobId, task.retryOf.round, task.index);
    if (record) {
      ref ??= record.chunk;
      only = new Set(record.failures.map((failure) => failure.key));
    } else if (!ref) {
      throw ApplicationFailure.nonRetryable(
        `the failure record of chunk ${task.index} (round ${task.retryOf.round}) is missing from the artifact store`,
        'MissingFailureRecord',
      );
    }
    // An inline chunk without its record runs whole: its handler is idempotent.
  }
  if (!ref) throw ApplicationFailure.nonRetryable(`chunk ${task.index} has no reference`, 'InvalidInput');
  const all =
    ref.range.kind === 'inline' ? inlineItems(ref, input.items ?? []) : await openItemSource(input.source, deps).read(ref, input.header);
  return { ref, items: only ? all.filter((item) => only.has(item.key)) : all };
}

function inlineItems(ref: ChunkRef, values: unknown[]): BatchItem[] {
  return values.map((value, i) => ({ position: ref.first + i, key: String(ref.first + i), value }));
}

function invalidItem(parsed: z.ZodSafeParseResult<unknown>): string | undefined {
  if (parsed.success) return undefined;
  return `invalid item: ${parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(item)'}: ${i.message}`).join('; ')}`;
}

function checkpointFrom(details: unknown, round: number): ChunkCheckpoint | undefined {
  const checkpoint = (details as { checkpoint?: Partial<ChunkCheckpoint> } | undefined)?.checkpoint;
  if (!checkpoint || checkpoint.version !== 1 || checkpoint.round !== round || typeof checkpoint.next !== 'number') return undefined;
  return checkpoint as ChunkCheckpoint;
}

/** Often enough that a live chunk is never taken for dead, and a cancellation reaches it within seconds. */
function heartbeatTickMs(heartbeatTimeoutMs: number | undefined): number {
  return Math.max(200, Math.min(5_000, (heartbeatTimeoutMs ?? 15_000) / 3));
}

/** Sleeps (cancellably) until `items` items may have gone at `itemsPerSecond` since this attempt started. */
function pacer(itemsPerSecond: number, context: Context): (items: number) => Promise<void> {
  const startedAt = Date.now();
  return async (items) => {
    const ahead = startedAt + (items / itemsPerSecond) * 1000 - Date.now();
    if (ahead > 0) await context.sleep(ahead);
  };
}
