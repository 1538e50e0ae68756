import { EchoJobInput } from '../jobs/echo';
import { HttpJobInput } from '../jobs/http';
import { ReportJobInput } from '../jobs/report';
import { awaitJob } from './await-job';
import { ChunkInputSchema, CountRequestSchema, createBatchActivities, PlanRequestSchema, type BatchActivityDeps } from './batch';
import { echo } from './echo';
import { createHttpActivities, type HttpActivityDeps } from './http';
import type { ChunkInput, CountRequest, PlanRequest } from '../batch/types';
import { jobAttempt } from './job-attempt';
import { createReportActivities, type ReportActivityDeps } from './report';

export type ActivityDeps = HttpActivityDeps & ReportActivityDeps & BatchActivityDeps;

/**
 * Every activity the worker registers, built from its dependencies. Each job type's `activity` names one
 * of these keys; `jobAttempt` gives them the shared attempt semantics (validation, jittered retries).
 */
export function createActivities(deps: ActivityDeps) {
  const http = createHttpActivities(deps);
  const reports = createReportActivities(deps);
  const batch = createBatchActivities(deps);
  return {
    callHttp: jobAttempt(HttpJobInput, (input) => http.callHttp(input)),
    echo: jobAttempt(EchoJobInput, echo),
    runReport: jobAttempt(ReportJobInput, reports.runReport),
    // A batch job's work: planning its source into chunks, and one chunk of items.
    countBatchItems: jobAttempt(CountRequestSchema, (request) => batch.countBatchItems(request as unknown as CountRequest)),
    planBatchChunks: jobAttempt(PlanRequestSchema, (request) => batch.planBatchChunks(request as unknown as PlanRequest)),
    runBatchChunk: jobAttempt(ChunkInputSchema, (input) => batch.runBatchChunk(input as unknown as ChunkInput)),
    // Not a job type's work: a job with `dependsOn` waits with one of these per dependency.
    awaitJob,
  };
}

export type Activities = ReturnType<typeof createActivities>;
