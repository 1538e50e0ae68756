import type { RequestHandler } from 'express';
import type { Logger } from '../logger';
import { principalOf } from './principal';
import { operationOf } from './resolve-operation';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * One audit line per state-changing request, written once the answer is sent: who (key id, tenant, role),
 * what (the operation), on what (job or schedule id) and how it ended (status). Refused requests (401, 403,
 * 429) are audited too: a stream of them is what an audit is for. The line carries no body and no header,
 * so no key or input can reach it. `audit: true` lets a log pipeline route these lines on their own.
 */
export function auditLog(logger: Logger, options: { keys: boolean }): RequestHandler {
  const audit = logger.child({ audit: true });
  return (req, res, next) => {
    if (READ_METHODS.has(req.method)) return next();
    const started = Date.now();
    res.once('finish', () => {
      // Read at the end: authentication runs after this middleware and sets the principal. With keys, a
      // request refused before authentication (401, a foreign Host) has nobody to name.
      const principal = options.keys && res.locals.principal === undefined ? undefined : principalOf(res);
      const operation = operationOf(res);
      const target = targetOf(operation?.path ?? '', operation?.params.id, res.getHeader('location'));
      audit.info(
        {
          keyId: principal?.keyId ?? null,
          tenant: principal?.tenant ?? null,
          role: principal?.role ?? null,
          operation: operation ? `${operation.method} ${operation.path}` : `${req.method} (no route)`,
          ...target,
          status: res.statusCode,
          durationMs: Date.now() - started,
          requestId: (req as { id?: unknown }).id,
        },
        'audit',
      );
    });
    next();
  };
}

/** The job or schedule a request acted on: its path's id, or for a creation the id its Location names. */
function targetOf(path: string, id: string | undefined, location: unknown): { jobId?: string; scheduleId?: string } {
  const created = typeof location === 'string' ? /^\/v1\/(jobs|schedules)\/([^/?]+)$/.exec(location) : null;
  const kind = created?.[1] ?? (path.startsWith('/v1/schedules') ? 'schedules' : 'jobs');
  const value = id ?? (created ? safeDecode(created[2]!) : undefined);
  if (value === undefined) return {};
  return kind === 'schedules' ? { scheduleId: value } : { jobId: value };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
