import type { RetrySettings } from './spec';

/**
 * The delay before the attempt after `failedAttempt` (1-based): exponential, capped, then reduced by up
 * to `jitter` of itself so that many jobs failing together do not retry in lockstep.
 */
export function jitteredDelayMs(retry: RetrySettings, failedAttempt: number, random: () => number = Math.random): number {
  const exponential = retry.initialIntervalMs * retry.backoffCoefficient ** (failedAttempt - 1);
  const capped = Math.min(exponential, retry.maxIntervalMs);
  return Math.max(1, Math.round(capped * (1 - retry.jitter * random())));
}
