import type { ItemHandler } from '../handler';
import { createHttpDeliverHandler, type HttpDeliverDeps } from './http-deliver';
import { createNoopHandler } from './noop';
import { createPgUpsertHandler, type PgUpsertDeps } from './pg-upsert';

export type BatchHandlerDeps = HttpDeliverDeps & PgUpsertDeps;

/** The work of every handler in src/batch/handlers.ts, by name. */
export function createBatchHandlers(deps: BatchHandlerDeps): Record<string, ItemHandler<never>> {
  return {
    'http-deliver': createHttpDeliverHandler(deps),
    'pg-upsert': createPgUpsertHandler(deps),
    noop: createNoopHandler(),
  };
}
