import { z } from 'zod';
import { defineJobType } from './define';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Longer URLs are refused at submission: servers commonly cap the request line at 8 KiB. */
export const MAX_URL_LENGTH = 8_192;
/** The DNS limit for a name. */
export const MAX_HOSTNAME_LENGTH = 253;
export const MAX_HEADERS = 100;

/**
 * Headers a job may not set: the client computes framing from the body (`content-length`,
 * `transfer-encoding`), `host` comes from the URL (fetch would ignore it silently, and a different one
 * would reach a virtual host the URL does not name), and hop-by-hop headers belong to the worker's
 * connection, not to the job. undici refuses most of them at call time, which would be retried.
 */
export const FORBIDDEN_REQUEST_HEADERS: readonly string[] = [
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'upgrade',
  'te',
  'trailer',
  'expect',
];
const forbidden = new Set(FORBIDDEN_REQUEST_HEADERS);

/** An RFC 9110 token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Why a header name is refused, or undefined. */
function headerNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 256) return 'a header name has 1 to 256 characters';
  if (!TOKEN.test(name)) return "must be a header name (an RFC 9110 token: letters, digits and !#$%&'*+.^_`|~-)";
  if (forbidden.has(name.toLowerCase())) return `may not be set by a job (${FORBIDDEN_REQUEST_HEADERS.join(', ')} are the HTTP client's)`;
  return undefined;
}

/** Visible Latin-1 characters, spaces and tabs: CR, LF, NUL and other controls would split or end the header. */
const HeaderValue = z
  .string()
  .max(8_192)
  .regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'may not contain CR, LF, NUL or other control characters, nor characters beyond U+00FF');

export const HttpHeaders = z.record(z.string(), HeaderValue).superRefine((headers, ctx) => {
  const names = Object.keys(headers);
  if (names.length > MAX_HEADERS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_HEADERS} headers` });
  for (const name of names) {
    const problem = headerNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

/**
 * An http(s) URL without credentials (they would be printed wherever the URL is: errors, logs), at most
 * MAX_URL_LENGTH characters with a host of at most MAX_HOSTNAME_LENGTH.
 */
export const HttpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`)
  .superRefine((value, ctx) => {
    // zod runs every check even after one failed: say only the first thing wrong with a URL.
    if (value.length > MAX_URL_LENGTH || !URL.canParse(value)) return;
    const url = new URL(value);
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'may not contain credentials (user:password@): put credentials in an Authorization header' });
    }
    if (url.hostname.length > MAX_HOSTNAME_LENGTH) {
      ctx.addIssue({ code: 'custom', message: `the host must be at most ${MAX_HOSTNAME_LENGTH} characters` });
    }
  });

export const HttpJobInput = z
  .object({
    method: z.enum(HTTP_METHODS).default('POST'),
    url: HttpUrl,
    headers: HttpHeaders.default({}),
    /** A string is sent as is; anything else as JSON. */
    body: z.unknown().optional(),
    timeoutMs: z.number().int().positive().max(600_000).default(30_000),
  })
  .strict();

export type HttpJobInput = z.infer<typeof HttpJobInput>;

export interface HttpJobResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** True when the body was longer than the bound and was cut. */
  bodyTruncated: boolean;
  durationMs: number;
}

export const httpJob = defineJobType({
  type: 'http',
  description: 'Calls an HTTP endpoint. 2xx succeeds; 5xx, 429, timeouts and network errors are retried; other 4xx fail at once.',
  input: HttpJobInput,
  activity: 'callHttp',
  // Waits on the network: its own pool, so that slow targets do not hold the slots of quick work.
  resourceClass: 'io',
  secrets: { headers: true },
  defaults: {
    maxAttempts: 8,
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 60_000, jitter: 0.2 },
    // The request timeout (input.timeoutMs, ≤ 10 min) decides; this only bounds a stuck attempt.
    attemptTimeoutMs: 11 * 60_000,
    heartbeatTimeoutMs: 15_000,
    nonRetryableErrorTypes: ['HttpClientError', 'TargetNotAllowed'],
  },
});
