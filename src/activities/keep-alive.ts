import { Context } from '@temporalio/activity';

/** Often enough for the shortest heartbeat timeout a job may set (1 s); the SDK throttles what it sends. */
const BEAT_EVERY_MS = 500;

/**
 * Runs `work` while heartbeating, for an activity with no progress of its own to report: with a heartbeat
 * timeout set, a worker that dies during it is noticed in seconds instead of at its start-to-close timeout.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), BEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
