import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

const RESOURCE_EXHAUSTED = 8;

/**
 * The API's Temporal connection retries what the SDK retries, except RESOURCE_EXHAUSTED: Temporal is
 * shedding load (namespace RPS, a busy shard), and the SDK's own backoff (1 s and up) would outlast a
 * request's deadline, which then ends DEADLINE_EXCEEDED, reads as "Temporal is down" and answers 503 to
 * everyone. Passed on at once, the error is a 429 with Retry-After (src/api/problem.ts) and the client backs off.
 */
export function apiConnectionInterceptors() {
  const defaults = defaultGrpcRetryOptions();
  return [
    makeGrpcRetryInterceptor({
      ...defaults,
      retryableDecider: (attempt, status) => status.code !== RESOURCE_EXHAUSTED && defaults.retryableDecider(attempt, status),
    }),
  ];
}
