import { z } from 'zod';
import type { Principal } from '../auth/principal';
import { findJobType } from '../jobs';
import { redactInput, scrubSecrets, secretValues } from '../jobs/redact';
import type { JobStateSnapshot } from '../workflows/job-state';
import { discardSignal, getJobStateQuery, retrySignal } from '../workflows/messages';
import { listJobs, ListingTenant, type JobPage } from './job-listing';
import type { JobReader } from './job-reader';
import type { JobView } from './job-view';
import { HttpProblem, validationProblem } from './problem';

export const RetryDeadLetterBody = z
  .object({
    /** A corrected input; validated against the job type's schema. Omit to retry with the same input. */
    input: z.unknown().optional(),
    reason: z.string().max(1_000).optional(),
  })
  .strict();

export const DiscardDeadLetterBody = z.object({ reason: z.string().max(1_000).optional() }).strict();

export const BulkRetryBody = z
  .object({
    type: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'a job type name')
      .optional(),
    /** An admin's: only this tenant's dead letters (any other key retries its own tenant's only). */
    tenant: ListingTenant.optional(),
    /** At most this many dead letters, oldest last (the listing is newest first). */
    limit: z.number().int().min(1).max(1_000).default(100),
    reason: z.string().max(1_000).optional(),
  })
  .strict();

export interface DeadLetterDetail extends JobView {
  /** The input the next retry will use, and every failure that parked the job. */
  input?: unknown;
  deadLetterHistory?: JobStateSnapshot['deadLetterHistory'];
  round?: number;
}

const QUERY_DEADLINE_MS = 5_000;
const SIGNAL_CONCURRENCY = 16;

/** Parked jobs: list, inspect, retry with fresh attempts, discard. The same signals the `temporal` CLI sends. */
export class DeadLetterService {
  constructor(private readonly reader: JobReader) {}

  list(query: { type?: string; tenant?: string; limit: number; cursor?: string }, principal: Principal): Promise<JobPage> {
    return listJobs(this.reader, { ...query, status: 'dead_lettered' }, principal);
  }

  async inspect(id: string, principal: Principal): Promise<DeadLetterDetail> {
    const view = await this.requireDeadLettered(id, principal);
    // The input and history live in the workflow; a query needs a live worker, so it gets a deadline.
    const { connection } = this.reader.client;
    const state = await connection
      .withDeadline(Date.now() + QUERY_DEADLINE_MS, () => this.reader.client.workflow.getHandle(id).query(getJobStateQuery))
      .catch(() => undefined);
    return state ? detailOf(view, state) : view;
  }

  async retry(id: string, body: unknown, principal: Principal): Promise<JobView> {
    const request = parse(RetryDeadLetterBody, body);
    const view = await this.requireDeadLettered(id, principal);
    if (request.input !== undefined && view.type === 'batch') {
      throw new HttpProblem(
        400,
        'invalid-request',
        'a batch retry re-runs its failed items and unfinished chunks: its input cannot change',
        {
          errors: [{ field: 'input', message: 'not allowed for a batch' }],
        },
      );
    }
    if (request.input !== undefined) {
      const jobType = findJobType(view.type);
      const parsed = jobType?.input.safeParse(request.input);
      if (parsed && !parsed.success) throw validationProblem(parsed.error, ['input']);
      request.input = parsed?.data ?? request.input;
    }
    await this.reader.client.workflow.getHandle(id).signal(retrySignal, request);
    return view;
  }

  async discard(id: string, body: unknown, principal: Principal): Promise<JobView> {
    const request = parse(DiscardDeadLetterBody, body);
    const view = await this.requireDeadLettered(id, principal);
    await this.reader.client.workflow.getHandle(id).signal(discardSignal, request);
    return view;
  }

  /** Retries every dead letter (of a type) the principal may see, up to `limit`; returns the ids it signalled. */
  async retryAll(body: unknown, principal: Principal): Promise<{ retried: string[] }> {
    const request = parse(BulkRetryBody, body);
    const ids: string[] = [];
    let cursor: string | undefined;
    while (ids.length < request.limit) {
      const page = await this.list(
        { type: request.type, tenant: request.tenant, limit: Math.min(100, request.limit - ids.length), cursor },
        principal,
      );
      ids.push(...page.jobs.map((job) => job.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    const retried: string[] = [];
    for (let i = 0; i < ids.length; i += SIGNAL_CONCURRENCY) {
      await Promise.all(
        ids.slice(i, i + SIGNAL_CONCURRENCY).map(async (id) => {
          await this.reader.client.workflow.getHandle(id).signal(retrySignal, { reason: request.reason ?? 'bulk retry' });
          retried.push(id);
        }),
      );
    }
    return { retried };
  }

  private async requireDeadLettered(id: string, principal: Principal): Promise<JobView> {
    const view = await this.reader.view(id, principal);
    if (view.status !== 'dead_lettered') {
      throw new HttpProblem(409, 'invalid-state', `job ${id} is ${view.status}, not dead_lettered`, { jobStatus: view.status });
    }
    return view;
  }
}

/**
 * What an operator sees of a parked job: its input with the job type's secrets redacted, and its errors with
 * any secret they repeat (a target echoing a header) scrubbed. A retry without `input` still uses the real one.
 */
function detailOf(view: JobView, state: JobStateSnapshot): DeadLetterDetail {
  const jobType = findJobType(view.type);
  const secrets = secretValues(jobType, state.input);
  const scrub = <E extends { message: string }>(error: E): E => ({ ...error, message: scrubSecrets(error.message, secrets) });
  return {
    ...view,
    ...(view.lastError ? { lastError: scrub(view.lastError) } : {}),
    input: redactInput(jobType, state.input),
    deadLetterHistory: state.deadLetterHistory.map(scrub),
    round: state.round,
  };
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw validationProblem(parsed.error);
  return parsed.data;
}
