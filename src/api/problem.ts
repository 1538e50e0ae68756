import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../logger';

/** One field that failed validation: a JSON path (`input.url`) and why. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details; `errors` lists failing fields for validation problems. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<string, string> = {
  'invalid-request': 'The request is invalid',
  'malformed-json': 'The body is not valid JSON',
  'unsupported-media-type': 'The body must be JSON',
  'payload-too-large': 'The body is too large',
  'unknown-job-type': 'Unknown job type',
  'job-not-found': 'No such job',
  'schedule-not-found': 'No such schedule',
  'schedule-exists': 'A schedule with this id already exists',
  'schedule-limit': 'The number of schedules is at its limit',
  'not-found': 'No such resource',
  'artifact-not-found': 'No such artifact',
  'range-not-satisfiable': 'The requested range is outside the artifact',
  'idempotency-conflict': 'The idempotency key was used for a different request',
  'invalid-state': 'The job is not in a state that allows this',
  'temporal-unavailable': 'The Temporal server is unavailable',
  internal: 'Internal error',
};

/** An error that is an HTTP answer: thrown anywhere in a handler, rendered by `problemHandler`. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: keyof typeof TITLES,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }

  toProblem(): Problem {
    return {
      type: `/problems/${this.slug}`,
      title: TITLES[this.slug] ?? this.slug,
      status: this.status,
      detail: this.message,
      ...this.extensions,
    };
  }
}

export function fieldErrors(error: z.ZodError, prefix: string[] = []): FieldError[] {
  return error.issues.map((issue) => ({
    field: [...prefix, ...issue.path.map(String)].join('.') || '(body)',
    message: issue.message,
  }));
}

export function validationProblem(error: z.ZodError, prefix: string[] = []): HttpProblem {
  const errors = fieldErrors(error, prefix);
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return new HttpProblem(400, 'invalid-request', detail, { errors });
}

/** body-parser marks its errors with `type`; map them to our vocabulary. */
function fromBodyParser(err: { type?: string; status?: number; message?: string }): HttpProblem | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HttpProblem(400, 'malformed-json', `malformed JSON: ${err.message ?? ''}`.trim());
    case 'entity.too.large':
      return new HttpProblem(413, 'payload-too-large', 'the request body exceeds the size limit');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem(415, 'unsupported-media-type', err.message ?? 'unsupported encoding');
    case 'request.aborted':
    case 'request.size.invalid':
      return new HttpProblem(400, 'invalid-request', err.message ?? 'the request body was incomplete');
    default:
      return undefined;
  }
}

/** What a 503 `temporal-unavailable` asks clients to wait before they retry (seconds). */
export const RETRY_AFTER_SECONDS = 5;

export function sendProblem(res: Response, problem: Problem): void {
  if (problem.type === '/problems/temporal-unavailable') res.set('Retry-After', String(RETRY_AFTER_SECONDS));
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/** The last middleware: every error becomes problem+json; details of unexpected ones go to the log only. */
export function problemHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const known = err instanceof HttpProblem ? err : fromBodyParser(err as never);
    if (known) {
      sendProblem(res, known.toProblem());
      return;
    }
    if (err instanceof z.ZodError) {
      sendProblem(res, validationProblem(err).toProblem());
      return;
    }
    if (isUnavailable(err)) {
      logger.warn({ err, path: req.path }, 'temporal unavailable');
      sendProblem(res, new HttpProblem(503, 'temporal-unavailable', 'the Temporal server did not answer; try again').toProblem());
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    sendProblem(res, new HttpProblem(500, 'internal', 'internal error').toProblem());
  };
}

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4) from the Temporal connection. */
function isUnavailable(err: unknown): boolean {
  for (let current = err; current; current = (current as { cause?: unknown }).cause) {
    const code = (current as { code?: unknown }).code;
    if (code === 14 || code === 4) return true;
  }
  return false;
}
