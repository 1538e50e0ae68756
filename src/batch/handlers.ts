import { z } from 'zod';
import type { SecretFields } from '../jobs/define';
import { HttpHeaders, HttpUrl } from '../jobs/http';
import { TableName } from '../jobs/fields';
import type { ResourceClass } from '../jobs/resource-classes';

/**
 * A per-item handler, declared like a job type: its name, the schema of the batch's `handlerInput`, and
 * the schema each item must meet. The work itself is in `src/activities/batch/handlers/<name>.ts`.
 */
export interface BatchHandlerDefinition<Input extends z.ZodType = z.ZodType, Item extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: Input;
  item: Item;
  /** The tables `input` names, by field: the API refuses one the table policy does not allow before anything starts. */
  tables?(input: z.output<Input>): Array<{ field: string; table: string }>;
  /** The handler input's secret fields (credential headers, tokens): redacted wherever the batch's input is shown. */
  secrets?: SecretFields;
  /** The worker pool a batch with this handler runs its activities on (src/jobs/resource-classes.ts). */
  resourceClass: ResourceClass;
}

export function defineBatchHandler<Input extends z.ZodType, Item extends z.ZodType>(
  definition: BatchHandlerDefinition<Input, Item>,
): BatchHandlerDefinition<Input, Item> {
  return definition;
}

/** A field of an item (an object) by name: the item's key for idempotency. */
const KeyField = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a field name (letters, digits, _)');

export const HttpDeliverInput = z
  .object({
    /** The same rules as the http job's: http(s), no credentials in it, bounded length. */
    url: HttpUrl,
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
    headers: HttpHeaders.default({}),
    timeoutMs: z.number().int().positive().max(120_000).default(10_000),
    /** Tries per item (5xx, 429, 408, network errors) before the item is recorded as failed. */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** The item field whose value makes the `Idempotency-Key`; by default the item's position in the batch. */
    keyField: KeyField.optional(),
    /** Per target host: open after `failures` consecutive failures; let one probe through after `halfOpenAfterMs`. */
    breaker: z
      .object({
        failures: z.number().int().min(1).max(1_000).default(5),
        halfOpenAfterMs: z
          .number()
          .int()
          .min(100)
          .max(10 * 60_000)
          .default(10_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type HttpDeliverInput = z.output<typeof HttpDeliverInput>;

export const httpDeliver = defineBatchHandler({
  name: 'http-deliver',
  description:
    'Sends each item as JSON to an HTTP endpoint with an Idempotency-Key header ({jobId}:{item key}); retries 5xx/429/network errors per item, and waits behind a per-host circuit breaker while the target is down.',
  input: HttpDeliverInput,
  item: z.unknown(),
  secrets: { headers: true },
  resourceClass: 'io',
});

export const PgUpsertInput = z
  .object({
    /** An existing table with `item_key text primary key`, `payload jsonb`, `job_id text`, `writes int`, `updated_at timestamptz` (docs/batch.md). */
    table: TableName,
    /** The item field that identifies it: a second write of the same key updates the row, never adds one. */
    keyField: KeyField.default('id'),
  })
  .strict();
export type PgUpsertInput = z.output<typeof PgUpsertInput>;

export const pgUpsert = defineBatchHandler({
  name: 'pg-upsert',
  description:
    'Upserts each item (an object) into a PostgreSQL table by its key field: idempotent, so a re-run chunk never duplicates a row.',
  input: PgUpsertInput,
  item: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }),
  tables: ({ table }) => [{ field: 'table', table }],
  resourceClass: 'io',
});

export const noop = defineBatchHandler({
  name: 'noop',
  description: 'Accepts every item and does nothing with it: for dry runs of a source, and for benchmarks.',
  input: z.object({}).strict().prefault({}),
  item: z.unknown(),
  resourceClass: 'default',
});

export const BATCH_HANDLERS: readonly BatchHandlerDefinition[] = [httpDeliver, pgUpsert, noop];
const byName = new Map(BATCH_HANDLERS.map((handler) => [handler.name, handler]));

export function findBatchHandler(name: string): BatchHandlerDefinition | undefined {
  return byName.get(name);
}
