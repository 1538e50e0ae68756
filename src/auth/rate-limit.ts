import type { RequestHandler, Response } from 'express';
import { HttpProblem } from '../api/problem';
import { principalOf } from './principal';
import { operationOf } from './resolve-operation';
import type { RateDecision, SubmissionRateLimiter } from './submission-rate';

/** The policy name the RateLimit headers carry. */
export const SUBMIT_POLICY = 'submit';

/**
 * draft-ietf-httpapi-ratelimit-headers (structured fields): `RateLimit-Policy: "submit";q=10;w=60` says the
 * quota and its window, `RateLimit: "submit";r=3;t=42` what is left and when the window resets.
 */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return {
    'RateLimit-Policy': `"${SUBMIT_POLICY}";q=${decision.quota};w=${decision.windowSeconds}`,
    RateLimit: `"${SUBMIT_POLICY}";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
}

function setHeaders(res: Response, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

/**
 * Counts the operations that start work (`submits` in the table) against the key's submission rate; over
 * it → 429 with Retry-After, before the body is read and before anything is started. Keys without a
 * `rateLimit` (and open mode) are not counted.
 */
export function limitSubmissions(limiter: SubmissionRateLimiter): RequestHandler {
  return async (_req, res, next) => {
    if (!operationOf(res)?.submits) return next();
    const decision = await limiter.consume(principalOf(res));
    if (!decision) return next();
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed) {
      throw new HttpProblem(
        429,
        'rate-limited',
        `this key may submit ${decision.quota} times per ${decision.windowSeconds} s; try again in ${decision.resetSeconds} s`,
        { retryAfterSeconds: decision.resetSeconds },
        { ...headers, 'Retry-After': String(decision.resetSeconds) },
      );
    }
    setHeaders(res, headers);
    next();
  };
}
