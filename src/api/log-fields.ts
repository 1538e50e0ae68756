import type { Request, Response } from 'express';

/** Routes whose `:id` is a job id (the workflow id); a schedule's id is not one. */
const JOB_ROUTE = /^\/v1\/(jobs|dead-letters)\/:id(\/|$)/;
/** A submission's answer names the new job only in its Location (`/v1/jobs/{id}`). */
const JOB_LOCATION = /^\/v1\/jobs\/([^/?#]+)$/;

/**
 * For pino-http's `customSuccessObject`: the request log line of a job request carries the job id and the correlation
 * id, as the worker's lines about the same job do (`jobId`, `correlationId`). Read once the response is
 * done; at the start of a request nothing is known yet and nothing is added.
 */
export function jobLogFields(req: Request, res: Response): Record<string, string> {
  const fields: Record<string, string> = {};
  const jobId = jobIdOf(req, res);
  if (jobId) fields.jobId = jobId;
  const correlationId = res.getHeader('x-correlation-id');
  if (typeof correlationId === 'string') fields.correlationId = correlationId;
  return fields;
}

function jobIdOf(req: Request, res: Response): string | undefined {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  const id = (req.params as Record<string, unknown> | undefined)?.id;
  if (typeof route === 'string' && JOB_ROUTE.test(route) && typeof id === 'string') return id;
  const location = res.getHeader('location');
  const match = typeof location === 'string' ? JOB_LOCATION.exec(location) : null;
  return match ? decodeURIComponent(match[1]!) : undefined;
}
