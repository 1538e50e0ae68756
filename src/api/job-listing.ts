import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { z } from 'zod';
import { TENANT_PATTERN, type Principal } from '../auth/principal';
import { tenantClauses } from '../tenancy/tenant-clause';
import { JOB_WORKFLOWS, type JobReader } from './job-reader';
import { JOB_STATUSES, statusClause } from '../jobs/status';
import { toJobView, type JobView } from './job-view';
import { HttpProblem } from './problem';

const NOT_A_CURSOR = 'not a cursor from a previous page';

/**
 * What Temporal's visibility stores put in a page token, as far as their decoders read it: a JSON object
 * with RFC 3339 times and a run id (SQL stores), or search-after values (Elasticsearch). A token they cannot
 * decode fails as gRPC UNKNOWN, which the client retries for ~20 s before a 500: refuse it here instead.
 */
const VisibilityPageToken = z.looseObject({
  CloseTime: z.iso.datetime({ offset: true }).optional(),
  StartTime: z.iso.datetime({ offset: true }).optional(),
  RunID: z.string().optional(),
  SearchAfter: z.array(z.unknown()).optional(),
  PointInTimeID: z.string().optional(),
  ScrollID: z.string().optional(),
});

function decodesToPageToken(cursor: string): boolean {
  try {
    return VisibilityPageToken.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).success;
  } catch {
    return false;
  }
}

/** `cursor` of the listings (jobs, dead letters): the base64url of a page token `listJobs` handed out. */
export const ListingCursor = z
  .string()
  .max(8_192, { abort: true })
  .refine((cursor) => /^[A-Za-z0-9_-]+$/.test(cursor) && decodesToPageToken(cursor), NOT_A_CURSOR);

/** `?tenant=`: an admin's filter by tenant (another key lists its own tenant's jobs whatever it asks). */
export const ListingTenant = z.string().regex(TENANT_PATTERN, 'a tenant id (lower-case letters, digits and dashes)');

export const ListJobsQuery = z
  .object({
    type: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'a job type name')
      .optional(),
    status: z.enum(JOB_STATUSES).optional(),
    tenant: ListingTenant.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: ListingCursor.optional(),
  })
  .strict();
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;

export interface JobPage {
  jobs: JobView[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** The listing's visibility query; the tenant clauses are part of it, so another tenant's jobs never leave the server. */
export function visibilityQuery(query: Pick<ListJobsQuery, 'type' | 'status' | 'tenant'>, principal: Principal): string {
  const clauses = [
    `WorkflowType IN (${[...JOB_WORKFLOWS].map((type) => `'${type}'`).join(', ')})`,
    // A batch continues as new to keep its history small: only the last run of the chain is the job.
    `ExecutionStatus != 'ContinuedAsNew'`,
  ];
  if (query.type) clauses.push(`JobType = '${query.type}'`);
  if (query.status) clauses.push(statusClause(query.status));
  clauses.push(...tenantClauses(principal, query.tenant));
  return clauses.join(' AND ');
}

/** Lists jobs newest first from Temporal visibility; live jobs are described to tell their exact state. */
export async function listJobs(reader: JobReader, query: ListJobsQuery, principal: Principal): Promise<JobPage> {
  const { client } = reader;
  const namespace = client.options.namespace;
  const response = await client.workflowService.listWorkflowExecutions({
    namespace,
    pageSize: query.limit,
    nextPageToken: decodeCursor(query.cursor),
    query: visibilityQuery(query, principal),
  });
  const converter = client.options.loadedDataConverter;
  const views = await Promise.all(
    (response.executions ?? []).map(async (raw) => {
      const info = await executionInfoFromRaw(raw, converter, raw, namespace);
      if (info.status.name !== 'RUNNING') return toJobView(info, undefined, reader.links);
      // The SQLite visibility store lags a moment behind; describe tells the live state.
      return reader.viewOf(await client.workflow.getHandle(info.workflowId).describe());
    }),
  );
  // A batch whose failed items were retried has a finished run before the current one: list the newest only.
  const seen = new Set<string>();
  const newest = views.filter((job) => !seen.has(job.id) && seen.add(job.id));
  const jobs = query.status ? newest.filter((job) => job.status === query.status) : newest;
  const token = response.nextPageToken;
  return { jobs, ...(token && token.length > 0 ? { nextCursor: Buffer.from(token).toString('base64url') } : {}) };
}

/** The page token behind a cursor. Routes validate with `ListingCursor`; internal callers pass ours back. */
function decodeCursor(cursor: string | undefined): Uint8Array | undefined {
  if (!cursor) return undefined;
  if (!ListingCursor.safeParse(cursor).success) {
    throw new HttpProblem(400, 'invalid-request', `cursor: ${NOT_A_CURSOR}`, { errors: [{ field: 'cursor', message: NOT_A_CURSOR }] });
  }
  return Buffer.from(cursor, 'base64url');
}
