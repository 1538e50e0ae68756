import { Router, type RequestHandler, type Response } from 'express';
import { OPERATIONS, openApiKey, type Operation } from './operations';

/** The operation a request is for, with its path parameters (`id`), as resolveOperation found it. */
export interface ResolvedOperation extends Operation {
  params: Record<string, string>;
}

export function operationOf(res: Response): ResolvedOperation | undefined {
  return res.locals.operation as ResolvedOperation | undefined;
}

/**
 * Finds the request's operation in the table before any route runs (so authorization, rate limits and the
 * body limit apply before the body is read). The table's paths are registered on an Express router of their
 * own, so they match exactly as the real routes do (case, trailing slash, percent-decoding): no second
 * matcher to drift from Express's.
 */
export function resolveOperation(operations: readonly Operation[] = OPERATIONS): RequestHandler {
  const router = Router();
  for (const operation of operations) {
    const method = operation.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    router[method](operation.path, (req, res, next) => {
      const params = Object.fromEntries(Object.entries(req.params).map(([name, value]) => [name, [value].flat().join('/')]));
      res.locals.operation = { ...operation, params } satisfies ResolvedOperation;
      next('router');
    });
  }
  // OPTIONS is left to the real routers (an Express router answers it by itself with Allow).
  return (req, res, next) => (req.method === 'OPTIONS' ? next() : router(req, res, next));
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route an app serves, as `get /v1/jobs/{id}` (Express's own router stack, walked). */
export function servedRoutes(app: unknown): string[] {
  const served: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of [layer.route.path].flat())
          for (const method of Object.keys(layer.route.methods)) if (method !== '_all') served.push(openApiKey(method, path));
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as { router: { stack: Layer[] } }).router.stack);
  return served;
}

export class UnlistedRouteError extends Error {
  constructor(routes: string[]) {
    super(`routes missing from the operations table (src/auth/operations.ts), which says who may call them: ${routes.join(', ')}`);
    this.name = 'UnlistedRouteError';
  }
}

/** Fails closed at start-up: a route without a row in the table would be served without a role check. */
export function assertEveryRouteListed(app: unknown, operations: readonly Operation[] = OPERATIONS): void {
  const listed = new Set(operations.map((operation) => openApiKey(operation.method, operation.path)));
  const missing = servedRoutes(app).filter((route) => !listed.has(route));
  if (missing.length > 0) throw new UnlistedRouteError(missing);
}
