import type { RequestHandler } from 'express';
import { HttpProblem } from '../api/problem';
import { principalOf, roleAllows } from './principal';
import { operationOf } from './resolve-operation';

/**
 * The role check, after authentication: the operation's row in the table names the least role it needs.
 * Open mode's principal is admin, so nothing changes without keys.
 */
export function authorize(): RequestHandler {
  return (req, res, next) => {
    const operation = operationOf(res);
    if (!operation || operation.role === 'public') return next();
    const principal = principalOf(res);
    if (!roleAllows(principal.role, operation.role)) {
      throw new HttpProblem(
        403,
        'forbidden',
        `${operation.method} ${operation.path} needs the role ${operation.role} or above; this key has the role ${principal.role}`,
        { requiredRole: operation.role },
      );
    }
    next();
  };
}
