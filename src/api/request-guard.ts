import { isIP } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from './problem';

/**
 * Two checks every request passes before a route sees it, because the API has no authentication of its own
 * and a browser on the operator's machine can reach it:
 *
 * - DNS rebinding: a page on `evil.example` re-points its name at 127.0.0.1 and calls the API from the
 *   browser with `Host: evil.example`. Only allowed host names are served (421 otherwise).
 * - Cross-site requests: a page anywhere may POST a `text/plain` or form body (no CORS preflight) to
 *   cancel a job. State-changing requests carry JSON or no body at all (415 otherwise) and no foreign
 *   `Origin` (403).
 */
export interface RequestGuardOptions {
  /** Extra names (JOBLINE_ALLOWED_HOSTS): `api`, `*.example.com`; `*` turns the Host check off. */
  allowedHosts?: readonly string[];
  /** JOBLINE_PUBLIC_URL: its host is allowed, its origin is the API's own. */
  publicUrl?: string;
  /** JOBLINE_API_HOST: allowed when it is a name, not a wildcard address. */
  bindHost?: string;
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const WILDCARD_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::', '[::]', '']);

/** A Host header's name, lower-case without port or trailing dot; undefined when it is not a host at all. */
export function hostNameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(host.trim());
  return match ? match[1]!.toLowerCase().replace(/\.$/, '') : undefined;
}

/** Whether a request naming `host` may be served. */
export function hostAllowList(options: RequestGuardOptions): (hostName: string) => boolean {
  const extras = (options.allowedHosts ?? []).map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  if (extras.includes('*')) return () => true;
  const exact = new Set(extras.filter((entry) => !entry.startsWith('*.')));
  const suffixes = extras.filter((entry) => entry.startsWith('*.')).map((entry) => entry.slice(1));
  const publicHost = options.publicUrl ? hostNameOf(new URL(options.publicUrl).host) : undefined;
  if (publicHost) exact.add(publicHost);
  const bindHost = options.bindHost?.toLowerCase();
  if (bindHost && !WILDCARD_ADDRESSES.has(bindHost)) exact.add(isIP(bindHost) === 6 ? `[${bindHost}]` : bindHost);
  return (name) =>
    // An address cannot be rebound: only names can point somewhere new. So every IP literal is fine
    // (load balancers and probes call the pod's address), as are loopback names.
    isIP(name) === 4 ||
    (name.startsWith('[') && isIP(name.slice(1, -1)) === 6) ||
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    exact.has(name) ||
    suffixes.some((suffix) => name.endsWith(suffix));
}

/** 421 for a request whose Host is not one of ours (DNS rebinding). */
export function hostGuard(options: RequestGuardOptions) {
  const allowed = hostAllowList(options);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const name = hostNameOf(req.headers.host);
    if (name !== undefined && allowed(name)) {
      next();
      return;
    }
    next(
      new HttpProblem(421, 'misdirected-request', 'the Host header names a host this API does not serve; add it to JOBLINE_ALLOWED_HOSTS', {
        errors: [{ field: 'header:Host', message: 'not an allowed host name' }],
      }),
    );
  };
}

const notJson = () => new HttpProblem(415, 'unsupported-media-type', 'send the body as JSON with Content-Type: application/json');

function hasBody(req: Request): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

function isJson(contentType: string): boolean {
  return contentType.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/** Same host and port as the request's Host (any scheme: one port serves one), or the public URL's origin. */
function isOwnOrigin(origin: string, host: string | undefined, publicOrigin: string | undefined): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (publicOrigin !== undefined && url.origin === publicOrigin) return true;
  if (!host || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  const [originName, originPort] = [url.hostname.toLowerCase(), url.port || defaultPort];
  const name = hostNameOf(host);
  const port = /:(\d{1,5})$/.exec(host)?.[1] ?? defaultPort;
  return name === originName.replace(/\.$/, '') && Number(port) === Number(originPort);
}

/**
 * State-changing requests (anything but GET, HEAD, OPTIONS): a JSON body or none, and not from another
 * site. A browser can send `text/plain`, a form or an empty POST from any page without asking; it cannot
 * send `application/json` cross-origin without a CORS preflight, which this API never grants.
 */
export function crossSiteGuard(options: RequestGuardOptions) {
  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : undefined;
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    const origin = req.headers.origin;
    if (req.headers['sec-fetch-site'] === 'cross-site' || (origin !== undefined && !isOwnOrigin(origin, req.headers.host, publicOrigin))) {
      next(
        new HttpProblem(403, 'cross-site-request', 'requests from another site may not change state', {
          errors: [{ field: origin !== undefined ? 'header:Origin' : 'header:Sec-Fetch-Site', message: 'not this API’s own origin' }],
        }),
      );
      return;
    }
    const contentType = req.headers['content-type'];
    if (contentType !== undefined ? !isJson(contentType) : hasBody(req)) {
      next(notJson());
      return;
    }
    next();
  };
}
