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
  'cross-site-request': 'Cross-site requests may not change state',
  'misdirected-request': 'This server does not answer for that host name',
  unauthorized: 'Authentication is required',
  forbidden: 'The key does not allow this',
  'rate-limited': 'Too many requests',
  'backlog-full': 'The job queue is full',
  internal: 'Internal error',
};

/** An error that is an HTTP answer: thrown anywhere in a handler, rendered by `problemHandler`. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: keyof typeof TITLES,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
    /** Response headers that belong to the answer (`WWW-Authenticate`, `Retry-After`, `RateLimit`). */
    readonly headers: Record<string, string> = {},
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
function fromBodyParser(err: { type?: string; status?: number; message?: string; code?: unknown }): HttpProblem | undefined {
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
      return fromUnreadableBody(err);
  }
}

/** What a 503 `temporal-unavailable` asks clients to wait before they retry (seconds). */
export const RETRY_AFTER_SECONDS = 5;

/**
 * A body that does not inflate (Content-Encoding: gzip on bytes that are not gzip): body-parser passes the
 * decompressor's error on with status 400 and no type. Any other 4xx error (http-errors, from body-parser or
 * the static files of /docs) keeps its status.
 */
function fromUnreadableBody(err: { type?: string; status?: number; code?: unknown }): HttpProblem | undefined {
  if (err.type !== undefined || typeof err.status !== 'number' || err.status < 400 || err.status > 499) return undefined;
  if (typeof err.code === 'string' && /^(Z_|ERR_|ERR__)/.test(err.code)) {
    return new HttpProblem(400, 'invalid-request', 'the body does not decode as its Content-Encoding says', {
      errors: [{ field: 'header:Content-Encoding', message: 'the body is not encoded this way' }],
    });
  }
  if (err.status === 404) return new HttpProblem(404, 'not-found', 'no such resource');
  return new HttpProblem(err.status, 'invalid-request', 'the request could not be read');
}

/**
 * Express decodes path parameters with decodeURIComponent and passes its URIError on (`%ZZ`, or bytes
 * that are not UTF-8): the client sent a path that means nothing.
 */
function fromPathDecoding(err: unknown): HttpProblem | undefined {
  if (!(err instanceof URIError)) return undefined;
  return new HttpProblem(400, 'invalid-request', 'the path holds a malformed percent-encoding', {
    errors: [{ field: 'path', message: 'not valid percent-encoded UTF-8' }],
  });
}

/** What a 429 `rate-limited` from Temporal's own limits asks clients to wait (seconds): its buckets refill per second. */
export const RATE_LIMITED_RETRY_AFTER_SECONDS = 1;

/**
 * gRPC INVALID_ARGUMENT (3) and NOT_FOUND (5) from Temporal are about the request, not about us;
 * RESOURCE_EXHAUSTED (8) is Temporal's own rate limit (namespace RPS, a busy shard): the client should
 * slow down, as with our own backpressure.
 */
export function fromTemporalStatus(err: unknown): HttpProblem | undefined {
  const code = grpcCodeOf(err, [3, 5, 8]);
  if (code === 3) return new HttpProblem(400, 'invalid-request', 'Temporal refused an argument of this request');
  if (code === 5) return new HttpProblem(404, 'not-found', 'Temporal has no such resource');
  if (code === 8) {
    return new HttpProblem(
      429,
      'rate-limited',
      'Temporal is over its rate limits; try again shortly',
      {},
      {
        'Retry-After': String(RATE_LIMITED_RETRY_AFTER_SECONDS),
      },
    );
  }
  return undefined;
}

export function sendProblem(res: Response, problem: Problem): void {
  // Metrics count rejections by this slug: a fixed vocabulary, never the detail text.
  res.locals.problemSlug = problem.type.replace('/problems/', '');
  if (problem.type === '/problems/temporal-unavailable') res.set('Retry-After', String(RETRY_AFTER_SECONDS));
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/** The last middleware: every error becomes problem+json; details of unexpected ones go to the log only. */
export function problemHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const known = err instanceof HttpProblem ? err : (fromPathDecoding(err) ?? fromBodyParser((err ?? {}) as never));
    if (known) {
      if (known instanceof HttpProblem) res.set(known.headers);
      sendProblem(res, known.toProblem());
      return;
    }
    if (err instanceof z.ZodError) {
      sendProblem(res, validationProblem(err).toProblem());
      return;
    }
    const refused = fromTemporalStatus(err);
    if (refused) {
      // Our validation should have caught it first (or Temporal is shedding load): worth a line, not a 500.
      logger.warn({ err, method: req.method, path: req.path }, 'temporal refused the request');
      res.set(refused.headers);
      sendProblem(res, refused.toProblem());
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

/** gRPC UNAVAILABLE (14), DEADLINE_EXCEEDED (4) or CANCELLED (1) from the Temporal connection. */
function isUnavailable(err: unknown): boolean {
  // CANCELLED (1): the request's deadline scope aborted a call that Temporal had not answered yet.
  return grpcCodeOf(err, [14, 4, 1]) !== undefined;
}

/** The first of `codes` found as a numeric gRPC status on the error or its causes (the SDK wraps them). */
function grpcCodeOf(err: unknown, codes: number[]): number | undefined {
  for (let current = err, hops = 0; current && hops < 10; current = (current as { cause?: unknown }).cause, hops++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number' && codes.includes(code)) return code;
  }
  return undefined;
}
