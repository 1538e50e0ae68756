import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from './problem';

/**
 * How deep a request body may nest. Real requests stay under ten levels; what reads a body after the parser
 * (zod, the idempotency hash, the payload converter) recurses, and ~5,000 levels overflow its stack.
 */
export const MAX_JSON_DEPTH = 64;

interface Frame {
  value: unknown;
  depth: number;
  key: string;
  parent?: Frame;
}

/**
 * The JSON path (`input.value.0`) of the first container nested deeper than `maxDepth`, or undefined.
 * Walks with an explicit stack, so a hostile body cannot overflow this check either.
 */
export function tooDeepPath(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: Frame[] = [{ value, depth: 0, key: '' }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.value === null || typeof frame.value !== 'object') continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth) return pathOf(frame);
    for (const [key, child] of Object.entries(frame.value)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth, key, parent: frame });
    }
  }
  return undefined;
}

function pathOf(frame: Frame): string {
  const keys: string[] = [];
  for (let current: Frame | undefined = frame; current?.parent; current = current.parent) keys.push(current.key);
  return keys.reverse().join('.') || '(body)';
}

/** After the JSON parser, before any route: 400 naming the field where the body nests too deep. */
export function jsonDepthGuard(maxDepth = MAX_JSON_DEPTH) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const field = req.body === undefined ? undefined : tooDeepPath(req.body, maxDepth);
    if (field === undefined) {
      next();
      return;
    }
    const message = `nested deeper than ${maxDepth} levels`;
    next(new HttpProblem(400, 'invalid-request', `${field}: ${message}`, { errors: [{ field, message }] }));
  };
}
