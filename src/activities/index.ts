import { EchoJobInput } from '../jobs/echo';
import { HttpJobInput } from '../jobs/http';
import { ReportJobInput } from '../jobs/report';
import { awaitJob } from './await-job';
import { echo } from './echo';
import { createHttpActivities, type HttpActivityDeps } from './http';
import { jobAttempt } from './job-attempt';
import { createReportActivities, type ReportActivityDeps } from './report';

export type ActivityDeps = HttpActivityDeps & ReportActivityDeps;

/**
 * Every activity the worker registers, built from its dependencies. Each job type's `activity` names one
 * of these keys; `jobAttempt` gives them the shared attempt semantics (validation, jittered retries).
 */
export function createActivities(deps: ActivityDeps) {
  const http = createHttpActivities(deps);
  const reports = createReportActivities(deps);
  return {
    callHttp: jobAttempt(HttpJobInput, (input) => http.callHttp(input)),
    echo: jobAttempt(EchoJobInput, echo),
    runReport: jobAttempt(ReportJobInput, reports.runReport),
    // Not a job type's work: a job with `dependsOn` waits with one of these per dependency.
    awaitJob,
  };
}

export type Activities = ReturnType<typeof createActivities>;
