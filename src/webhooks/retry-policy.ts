import { jitteredDelayMs } from '../jobs/backoff';
import type { RetrySettings } from '../jobs/spec';

/** How a delivery is retried (from the worker's configuration: JOBLINE_WEBHOOK_*). */
export interface WebhookRetryPolicy extends RetrySettings {
  /** Tries in all, the first included, before the delivery is listed as failed. */
  maxAttempts: number;
  /** A 4xx other than 408/429 (or a 3xx: redirects are not followed) is the receiver refusing: only this many tries. */
  clientErrorAttempts: number;
}

/**
 * About a day of tries by default: 5 s, 15 s, 45 s, … ×3 up to 6 h between tries, 12 tries ≈ 22.5 h, each delay
 * up to 20 % shorter at random so that a receiver coming back is not hit by every delivery at once.
 */
export const DEFAULT_WEBHOOK_RETRY: WebhookRetryPolicy = {
  maxAttempts: 12,
  initialIntervalMs: 5_000,
  backoffCoefficient: 3,
  maxIntervalMs: 6 * 60 * 60_000,
  jitter: 0.2,
  clientErrorAttempts: 3,
};

export interface TryResult {
  /** The try (1-based) that just failed. */
  attempt: number;
  /** Client errors before this try. */
  clientErrors: number;
  status?: number;
  retryAfterMs?: number;
  /** The failure can never succeed (a refused target): stop now. */
  final?: boolean;
}

/** Milliseconds to the next try, or undefined when the delivery has failed for good. */
export function nextTryInMs(policy: WebhookRetryPolicy, result: TryResult, random: () => number = Math.random): number | undefined {
  if (result.final || result.status === 410) return undefined; // 410 Gone: the receiver asks never to be called again
  if (result.attempt >= policy.maxAttempts) return undefined;
  if (result.status !== undefined && isClientError(result.status) && result.clientErrors + 1 >= policy.clientErrorAttempts)
    return undefined;
  return Math.max(jitteredDelayMs(policy, result.attempt, random), result.retryAfterMs ?? 0);
}

/** The receiver's own refusal: a 3xx (not followed) or a 4xx other than 408 and 429. */
export function isClientError(status: number): boolean {
  return status >= 300 && status < 500 && status !== 408 && status !== 429;
}
