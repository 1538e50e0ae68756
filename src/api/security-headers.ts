import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * helmet's security headers (nosniff, frame and referrer policies, CORP, HSTS behind TLS) with a CSP that the
 * swagger-ui page under /docs lives with: its scripts are files of our own origin and its styles are inline
 * (`style-src 'unsafe-inline'` is helmet's default). Not taken from the defaults:
 * - `upgrade-insecure-requests`: the API is often served over plain HTTP on a host name (not localhost),
 *   where upgrading /docs' own script requests to https would break the page;
 * - HSTS `includeSubDomains`: one service should not decide for a whole domain.
 * JSON answers carry the same CSP, which costs nothing and stops a browser running anything from them.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        'upgrade-insecure-requests': null,
        'frame-ancestors': ["'none'"],
      },
    },
    strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false },
  });
}
