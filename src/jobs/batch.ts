import { z } from 'zod';
import { findBatchHandler, BATCH_HANDLERS } from '../batch/handlers';
import { BATCH_QUERIES, findBatchQuery } from '../batch/queries';
import type { BatchPlan, BatchSource } from '../batch/types';
import { sourceFileIssues, tableIssues, type AdmissionIssue, type SourceAccess } from './admission';
import { defineJobType } from './define';
import { batchView } from './batch-view';
import { SourcePath } from './fields';
import type { JobWorkflowName } from './workflow-names';

/** Items a request may carry itself; more come from a source (a file or a query), never through the workflow's input. */
/** The workflow that runs batches (continue-as-new, rounds, chunks). */
export const BATCH_WORKFLOW = 'runBatch' satisfies JobWorkflowName;

export const BATCH_MAX_INLINE_ITEMS = 1_000;
/** Inline items travel in the workflow's input (Temporal warns at 512 KiB a payload and refuses 2 MiB). */
export const BATCH_MAX_INLINE_BYTES = 256 * 1024;
export const BATCH_MAX_CHUNK_SIZE = 1_000;
export const BATCH_MAX_CONCURRENCY = 50;
export const BATCH_DEFAULT_CONCURRENCY = 4;
/** The smallest default chunk: below ~100 items a chunk's own cost (~13 ms of server and worker CPU) dominates. */
export const BATCH_MIN_DEFAULT_CHUNK_SIZE = 100;
/** A source's item count is unknown at submission (it is counted beside the first chunks): it is usually large. */
export const BATCH_SOURCE_DEFAULT_CHUNK_SIZE = 500;

/**
 * The chunk size of a batch whose request names none. Throughput is per chunk, not per item (each chunk is
 * an activity, ~3 history events and a share of a workflow task), so chunks should be as large as still
 * gives every slot work: inline items are cut into about two chunks per slot (`concurrency`), between 100
 * and 1,000 items; a source gets 500.
 */
export function defaultChunkSize(itemCount: number | undefined, concurrency: number): number {
  if (itemCount === undefined) return BATCH_SOURCE_DEFAULT_CHUNK_SIZE;
  const perSlot = Math.ceil(itemCount / (2 * concurrency));
  return Math.min(BATCH_MAX_CHUNK_SIZE, Math.max(BATCH_MIN_DEFAULT_CHUNK_SIZE, perSlot));
}
/** Item errors reported at submission before the rest are summarised. */
const MAX_ITEM_ERRORS = 10;

const BatchSourceInput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('csv'), path: SourcePath }).strict(),
  z.object({ type: z.literal('ndjson'), path: SourcePath }).strict(),
  z.object({ type: z.literal('postgres'), query: z.string().min(1).max(100), params: z.unknown().default({}) }).strict(),
]);

const handlerNames = BATCH_HANDLERS.map((handler) => handler.name).join(', ');
const queryNames = BATCH_QUERIES.map((query) => query.name).join(', ');

export const BatchJobInput = z
  .object({
    handler: z.string().min(1).max(100).describe(`the per-item handler: ${handlerNames}`),
    handlerInput: z.unknown().default({}),
    items: z
      .array(z.unknown())
      .min(1)
      .max(BATCH_MAX_INLINE_ITEMS, `at most ${BATCH_MAX_INLINE_ITEMS} inline items: use a source for more`)
      .optional(),
    source: BatchSourceInput.optional(),
    chunkSize: z
      .number()
      .int()
      .min(1)
      .max(BATCH_MAX_CHUNK_SIZE)
      .optional()
      .describe('items per chunk; by default about two chunks per slot of inline items (100…1,000), 500 for a source'),
    concurrency: z.number().int().min(1).max(BATCH_MAX_CONCURRENCY).default(BATCH_DEFAULT_CONCURRENCY),
    // At least one item per 100 s: slower is a batch that holds its slots for nothing.
    maxItemsPerSecond: z.number().min(0.01).max(1_000_000).optional(),
    maxFailedItems: z.number().int().min(0).max(1_000_000_000).optional(),
    maxFailedRatio: z.number().min(0).max(1).optional(),
  })
  .strict()
  .superRefine((batch, ctx) => {
    if ((batch.items === undefined) === (batch.source === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['items'], message: 'give either `items` or `source`' });
    }
    const handler = findBatchHandler(batch.handler);
    if (!handler) {
      ctx.addIssue({ code: 'custom', path: ['handler'], message: `unknown handler "${batch.handler}"; known: ${handlerNames}` });
      return;
    }
    addIssues(ctx, ['handlerInput'], handler.input.safeParse(batch.handlerInput));
    if (batch.items) {
      let reported = 0;
      batch.items.forEach((item, index) => {
        const parsed = handler.item.safeParse(item);
        if (!parsed.success && reported++ < MAX_ITEM_ERRORS) addIssues(ctx, ['items', index], parsed);
      });
      if (reported > MAX_ITEM_ERRORS)
        ctx.addIssue({
          code: 'custom',
          path: ['items'],
          message: `${reported} items are invalid (the first ${MAX_ITEM_ERRORS} are listed)`,
        });
      const bytes = Buffer.byteLength(JSON.stringify(batch.items));
      if (bytes > BATCH_MAX_INLINE_BYTES) {
        ctx.addIssue({
          code: 'custom',
          path: ['items'],
          message: `inline items take ${bytes} bytes, more than ${BATCH_MAX_INLINE_BYTES}: use a source`,
        });
      }
    }
    if (batch.source?.type === 'postgres') {
      const query = findBatchQuery(batch.source.query);
      if (!query)
        ctx.addIssue({ code: 'custom', path: ['source', 'query'], message: `unknown query "${batch.source.query}"; known: ${queryNames}` });
      else addIssues(ctx, ['source', 'params'], query.params.safeParse(batch.source.params));
    }
  })
  .transform((batch): BatchPlan => {
    const handler = findBatchHandler(batch.handler)!;
    return {
      handler: batch.handler,
      handlerInput: handler.input.parse(batch.handlerInput),
      source: sourceOf(batch.source),
      ...(batch.items ? { items: batch.items } : {}),
      chunkSize: batch.chunkSize ?? defaultChunkSize(batch.items?.length, batch.concurrency),
      concurrency: batch.concurrency,
      ...(batch.maxItemsPerSecond !== undefined ? { maxItemsPerSecond: batch.maxItemsPerSecond } : {}),
      ...(batch.maxFailedItems !== undefined ? { maxFailedItems: batch.maxFailedItems } : {}),
      ...(batch.maxFailedRatio !== undefined ? { maxFailedRatio: batch.maxFailedRatio } : {}),
    };
  });

function sourceOf(source: z.output<typeof BatchSourceInput> | undefined): BatchSource {
  if (!source) return { type: 'inline' };
  if (source.type !== 'postgres') return source;
  return { type: 'postgres', query: source.query, params: findBatchQuery(source.query)!.params.parse(source.params) };
}

function addIssues(ctx: z.RefinementCtx, prefix: Array<string | number>, parsed: { success: boolean; error?: z.ZodError }): void {
  for (const issue of parsed.error?.issues ?? []) {
    ctx.addIssue({ code: 'custom', path: [...prefix, ...(issue.path as Array<string | number>)], message: issue.message });
  }
}

/** The batch's source file and the tables its query and handler name, against this deployment. */
async function admitBatch(plan: BatchPlan, access: SourceAccess): Promise<AdmissionIssue[]> {
  const issues: AdmissionIssue[] = [];
  const { source } = plan;
  if (source.type === 'csv' || source.type === 'ndjson') issues.push(...(await sourceFileIssues(access, source.path, ['source', 'path'])));
  if (source.type === 'postgres') {
    for (const { field, table } of findBatchQuery(source.query)?.tables(source.params) ?? []) {
      issues.push(...tableIssues(access, table, ['source', 'params', field]));
    }
  }
  for (const { field, table } of findBatchHandler(plan.handler)?.tables?.(plan.handlerInput) ?? []) {
    issues.push(...tableIssues(access, table, ['handlerInput', field]));
  }
  return issues;
}

export const batchJob = defineJobType({
  type: 'batch',
  description:
    'Processes many items under one job id: inline items or a source (CSV/NDJSON file, named PostgreSQL query), in chunks with bounded parallelism, through a named per-item handler. Failed items are recorded and can be retried alone.',
  input: BatchJobInput,
  workflow: BATCH_WORKFLOW,
  view: batchView,
  admit: admitBatch,
  // Planning and chunks run where the handler's work belongs (http-deliver and pg-upsert: `io`).
  resourceClass: (plan) => findBatchHandler(plan.handler)?.resourceClass ?? 'default',
  // The handler input is the handler's to describe: its declaration names the secrets (http-deliver's headers).
  secrets: { nested: (plan) => [{ path: ['handlerInput'], declaration: findBatchHandler(String((plan as Partial<BatchPlan>).handler)) }] },
  defaults: {
    // Per chunk: a chunk's attempts run out only when something beyond its items is broken.
    maxAttempts: 5,
    attemptTimeoutMs: 30 * 60_000,
    heartbeatTimeoutMs: 20_000,
    // The whole batch.
    timeoutMs: 7 * 24 * 60 * 60_000,
    nonRetryableErrorTypes: ['InvalidBatchSource', 'InvalidBatchTarget', 'InvalidInput'],
  },
});
