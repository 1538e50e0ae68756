import type { RequestHandler } from 'express';
import { HttpProblem } from '../api/problem';
import type { KeyRing } from './key-ring';
import { setPrincipal } from './principal';

/** Paths anyone may call: probes of load balancers and orchestrators carry no key. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

export interface AuthenticateOptions {
  /** Also leave `/docs` and `/openapi.json` open (JOBLINE_PUBLIC_DOCS). */
  publicDocs?: boolean;
  /** Also leave `/metrics` open (JOBLINE_PUBLIC_METRICS): Prometheus scrapes without a key. */
  publicMetrics?: boolean;
}

function isOpen(path: string, options: AuthenticateOptions): boolean {
  if (OPEN_PATHS.has(path)) return true;
  if (path === '/metrics') return options.publicMetrics === true;
  return options.publicDocs === true && (path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/'));
}

/**
 * `Authorization: Bearer <key>` → the request's principal. A missing or unknown key is 401 with
 * `WWW-Authenticate: Bearer` (RFC 6750); the same answer for a malformed, unknown or wrong key, so it
 * tells nothing about which key ids exist.
 */
export function authenticate(keys: KeyRing, options: AuthenticateOptions = {}): RequestHandler {
  return (req, res, next) => {
    if (isOpen(req.path, options)) return next();
    // Browsers send CORS preflights without credentials; the codec router answers them and allows nothing else.
    if (req.method === 'OPTIONS' && req.path.startsWith('/codec/')) return next();
    const header = req.get('authorization');
    if (!header) {
      throw new HttpProblem(
        401,
        'unauthorized',
        'send an API key as Authorization: Bearer <key>',
        {},
        { 'WWW-Authenticate': 'Bearer realm="jobline"' },
      );
    }
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    const principal = match ? keys.authenticate(match[1]!) : undefined;
    if (!principal) {
      throw new HttpProblem(
        401,
        'unauthorized',
        'the API key is not valid',
        {},
        {
          'WWW-Authenticate': 'Bearer realm="jobline", error="invalid_token"',
        },
      );
    }
    setPrincipal(res, principal);
    next();
  };
}
