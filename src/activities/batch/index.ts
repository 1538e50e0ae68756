import { z } from 'zod';
import { openItemSource } from '../../batch/sources';
import type { ChunkInput, CountRequest, PlanPage, PlanRequest } from '../../batch/types';
import { createBatchHandlers, type BatchHandlerDeps } from './handlers';
import { runChunk, type ChunkDeps } from './run-chunk';
import { whileHeartbeating } from '../keep-alive';

export type BatchActivityDeps = ChunkDeps & BatchHandlerDeps;

/** The shape of a chunk's input, checked before it runs: a stored payload may be old or foreign. */
export const ChunkInputSchema = z.looseObject({
  jobId: z.string().min(1),
  round: z.number().int().positive(),
  handler: z.string().min(1),
  handlerInput: z.unknown(),
  source: z.looseObject({ type: z.enum(['inline', 'csv', 'ndjson', 'postgres']) }),
  header: z.array(z.string()).optional(),
  items: z.array(z.unknown()).optional(),
  task: z.looseObject({ index: z.number().int().min(0), ref: z.looseObject({ range: z.looseObject({ kind: z.string() }) }).optional() }),
  maxItemsPerSecond: z.number().positive().optional(),
});

export const CountRequestSchema = z.looseObject({
  jobId: z.string().min(1),
  source: z.looseObject({ type: z.enum(['csv', 'ndjson', 'postgres']) }),
});

export const PlanRequestSchema = z.looseObject({
  jobId: z.string().min(1),
  source: z.looseObject({ type: z.enum(['csv', 'ndjson', 'postgres']) }),
  chunkSize: z.number().int().positive(),
  cursor: z.looseObject({ nextIndex: z.number().int().min(0), nextPosition: z.number().int().min(0) }),
  maxChunks: z.number().int().positive(),
  first: z.boolean(),
});

/** A batch's activities: counting its source, planning it into chunks, and running one chunk. */
export function createBatchActivities(deps: BatchActivityDeps) {
  const handlers = createBatchHandlers(deps);
  return {
    planBatchChunks: (request: PlanRequest): Promise<PlanPage> =>
      whileHeartbeating(() =>
        openItemSource(request.source, deps).plan(request.cursor, request.chunkSize, request.maxChunks, request.first),
      ),
    countBatchItems: (request: CountRequest): Promise<number> => whileHeartbeating(() => openItemSource(request.source, deps).count()),
    runBatchChunk: (input: ChunkInput) => runChunk(deps, handlers, input),
  };
}
