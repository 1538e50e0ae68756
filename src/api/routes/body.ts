import type { Request } from 'express';
import { HttpProblem } from '../problem';

/**
 * The parsed JSON body of a request that must have one; 415 when there is none. Its content type was
 * checked before any route (`crossSiteGuard`): a body here is JSON, and an optional body is `req.body`
 * (undefined when there is none).
 */
export function jsonBody(req: Request): unknown {
  if (!req.is('application/json'))
    throw new HttpProblem(415, 'unsupported-media-type', 'send the body as JSON with Content-Type: application/json');
  return req.body;
}
