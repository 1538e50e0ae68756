import { echoJob } from '../jobs/echo';
import { httpJob } from '../jobs/http';
import { reportJob } from '../jobs/report';
import { awaitJob } from './await-job';
import { ChunkInputSchema, CountRequestSchema, createBatchActivities, PlanRequestSchema, type BatchActivityDeps } from './batch';
import { echo } from './echo';
import { createHttpActivities, type HttpActivityDeps } from './http';
import type { ChunkInput, CountRequest, PlanRequest } from '../batch/types';
import { jobActivity, jobAttempt } from './job-attempt';
import { createReportActivities, type ReportActivityDeps } from './report';
import { createWebhookActivities, type WebhookActivityDeps } from './deliver-webhook';

export type ActivityDeps = HttpActivityDeps & ReportActivityDeps & BatchActivityDeps & WebhookActivityDeps;

/**
 * Every activity the worker registers, built from its dependencies. A job type's activity is built from its
 * declaration (`jobActivity`: name, schema and secrets from the declaration); `jobAttempt` gives every one
 * the shared attempt semantics (validation, jittered retries).
 */
export function createActivities(deps: ActivityDeps) {
  const http = createHttpActivities(deps);
  const reports = createReportActivities(deps);
  const batch = createBatchActivities(deps);
  return {
    ...jobActivity(httpJob, (input) => http.callHttp(input)),
    ...jobActivity(echoJob, echo),
    ...jobActivity(reportJob, reports.runReport),
    // A batch job's work: planning its source into chunks, and one chunk of items.
    countBatchItems: jobAttempt(CountRequestSchema, (request) => batch.countBatchItems(request as unknown as CountRequest)),
    planBatchChunks: jobAttempt(PlanRequestSchema, (request) => batch.planBatchChunks(request as unknown as PlanRequest)),
    runBatchChunk: jobAttempt(ChunkInputSchema, (input) => batch.runBatchChunk(input as unknown as ChunkInput)),
    // Not a job type's work: a job with `dependsOn` waits with one of these per dependency.
    awaitJob,
    // Not a job either: one try of a webhook (src/workflows/deliver-webhook.ts).
    ...createWebhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
