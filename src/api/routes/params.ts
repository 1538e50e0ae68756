import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from '../problem';

/** Temporal refuses workflow ids over 1,000 bytes: a longer id names no job, whatever the route. */
export const MAX_JOB_ID_BYTES = 1_000;

// eslint-disable-next-line no-control-regex -- control characters are exactly what this finds
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** `router.param('id', jobIdParam)`: 404 for an id that cannot exist, before the route asks Temporal or a store. */
export function jobIdParam(_req: Request, _res: Response, next: NextFunction, id: string): void {
  if (Buffer.byteLength(id, 'utf8') > MAX_JOB_ID_BYTES) {
    next(
      new HttpProblem(404, 'job-not-found', `no job with an id of ${Buffer.byteLength(id, 'utf8')} bytes (at most ${MAX_JOB_ID_BYTES})`),
    );
    return;
  }
  // Jobline's ids never hold control characters, and PostgreSQL visibility cannot even look one up (a NUL is
  // an invalid byte sequence there, which Temporal reports as an internal error): such an id names no job.
  if (CONTROL_CHARACTERS.test(id)) {
    next(new HttpProblem(404, 'job-not-found', 'no job with an id that holds control characters'));
    return;
  }
  next();
}
