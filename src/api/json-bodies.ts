import express, { type RequestHandler } from 'express';
import { CONTROL_BODY_LIMIT_BYTES } from '../auth/operations';
import { operationOf } from '../auth/resolve-operation';

/**
 * The JSON body parser, with a size limit per route: only bodies that carry a job's input (a submission, a
 * schedule's job, a dead letter's corrected input) may be as large as JOBLINE_BODY_LIMIT_BYTES; every other
 * body (cancel, discard, pause, bulk retry, and anything unknown) gets CONTROL_BODY_LIMIT_BYTES. A body over
 * the limit is 413 before it is read into memory.
 *
 * A body is parsed when it claims to be JSON (crossSiteGuard refused other content types); strict: false lets
 * `null` or `42` through to the schema, which names what is wrong with them.
 */
export function jsonBodies(submissionLimitBytes: number): RequestHandler {
  const options = { strict: false, type: ['application/json', 'application/*+json'] };
  const submission = express.json({ ...options, limit: submissionLimitBytes });
  const control = express.json({ ...options, limit: Math.min(CONTROL_BODY_LIMIT_BYTES, submissionLimitBytes) });
  return (req, res, next) => (operationOf(res)?.body === 'submission' ? submission : control)(req, res, next);
}
