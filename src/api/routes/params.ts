import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from '../problem';

/** Temporal refuses workflow ids over 1,000 bytes: a longer id names no job, whatever the route. */
export const MAX_JOB_ID_BYTES = 1_000;

/** `router.param('id', jobIdParam)`: 404 for an id that cannot exist, before the route asks Temporal or a store. */
export function jobIdParam(_req: Request, _res: Response, next: NextFunction, id: string): void {
  if (Buffer.byteLength(id, 'utf8') > MAX_JOB_ID_BYTES) {
    next(new HttpProblem(404, 'job-not-found', `no job with an id of ${Buffer.byteLength(id, 'utf8')} bytes (at most ${MAX_JOB_ID_BYTES})`));
    return;
  }
  next();
}
