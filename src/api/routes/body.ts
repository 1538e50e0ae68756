import type { Request } from 'express';
import { HttpProblem } from '../problem';

const notJson = () => new HttpProblem(415, 'unsupported-media-type', 'send the body as JSON with Content-Type: application/json');

function hasBody(req: Request): boolean {
  return Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
}

/** The parsed JSON body; 415 for anything else. */
export function jsonBody(req: Request): unknown {
  if (!req.is('application/json')) throw notJson();
  return req.body;
}

/** For actions whose body is optional (cancel, retry, discard): undefined when there is none. */
export function optionalJsonBody(req: Request): unknown {
  if (!hasBody(req)) return undefined;
  return jsonBody(req);
}
