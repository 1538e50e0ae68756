import { EchoJobInput } from '../jobs/echo';
import { HttpJobInput } from '../jobs/http';
import { echo } from './echo';
import { createHttpActivities, type HttpActivityDeps } from './http';
import { jobAttempt } from './job-attempt';

export type ActivityDeps = HttpActivityDeps;

/**
 * Every activity the worker registers, built from its dependencies. Each job type's `activity` names one
 * of these keys; `jobAttempt` gives them the shared attempt semantics (validation, jittered retries).
 */
export function createActivities(deps: ActivityDeps) {
  const http = createHttpActivities(deps);
  return {
    callHttp: jobAttempt(HttpJobInput, (input) => http.callHttp(input)),
    echo: jobAttempt(EchoJobInput, echo),
  };
}

export type Activities = ReturnType<typeof createActivities>;
