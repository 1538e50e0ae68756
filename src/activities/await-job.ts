import { Context } from '@temporalio/activity';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';

/**
 * How long one wait for the job's close event may last. Bounding each wait lets the loop heartbeat (which
 * is how cancellation arrives), and leaves at most one short request behind once the activity is cancelled:
 * the worker's client cannot abort a request through a signal.
 */
const POLL_WINDOW_MS = 10_000;
/** The server answers a long poll with a gRPC status; one that comes much before the deadline is a real error. */
const DEADLINE_SLACK_MS = 500;

/** How a job that did not complete ended, as a dependent reports it. */
export type DependencyEnd = 'failed' | 'cancelled' | 'timed_out' | 'terminated' | 'not_found';

/** What waiting for a job gives: its result, or how and why it did not complete. */
export type AwaitJobOutcome = { status: 'completed'; result: unknown } | { status: DependencyEnd; reason: string };

/**
 * Waits until the job `jobId` closes, heartbeating meanwhile, and returns its result or how it ended. A job
 * in the dead letters is still open (it may be retried), so the wait goes on. Long-running: the workflow
 * gives it a heartbeat timeout and unlimited attempts, so a lost worker only moves the wait elsewhere.
 */
export async function awaitJob(jobId: string): Promise<AwaitJobOutcome> {
  const context = Context.current();
  const client = context.client;
  for (;;) {
    context.heartbeat({ waitingFor: jobId });
    // `cancelled` rejects with CancelledFailure as soon as the server relays a cancellation.
    const outcome = await Promise.race([pollOnce(client, jobId), context.cancelled]);
    if (outcome) return outcome;
  }
}

/** One bounded wait: the outcome once the job has closed, undefined if it is still open at the deadline. */
async function pollOnce(client: Client, jobId: string): Promise<AwaitJobOutcome | undefined> {
  const deadline = Date.now() + POLL_WINDOW_MS;
  try {
    // `result()` follows the job's latest run, and throws WorkflowFailedError for every other ending.
    const result = await client.withDeadline(deadline, () => client.workflow.getHandle(jobId).result());
    return { status: 'completed', result };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return endingOf(err);
    if (err instanceof WorkflowNotFoundError) {
      // Checked at submission, so it existed: it was deleted, or closed longer ago than the retention period.
      return { status: 'not_found', reason: 'no such job (deleted, or past the retention period)' };
    }
    // Any other error (the server unreachable, say) fails the attempt; the retry policy tries again.
    if (Date.now() >= deadline - DEADLINE_SLACK_MS && isDeadlineStatus(err)) return undefined;
    throw err;
  }
}

function endingOf(err: WorkflowFailedError): AwaitJobOutcome {
  const cause = err.cause;
  if (cause instanceof CancelledFailure) return { status: 'cancelled', reason: 'the job was cancelled' };
  if (cause instanceof TerminatedFailure) return { status: 'terminated', reason: err.message };
  if (cause instanceof TimeoutFailure) return { status: 'timed_out', reason: 'the workflow execution timed out' };
  // A job's own overall timeout ends its workflow as failed, with this type (see runJob).
  if (cause instanceof ApplicationFailure && cause.type === 'JobTimedOut') return { status: 'timed_out', reason: cause.message };
  return { status: 'failed', reason: cause?.message ?? err.message };
}

/** gRPC DEADLINE_EXCEEDED (4), or CANCELLED (1), which is how the native client reports a passed deadline. */
function isDeadlineStatus(err: unknown): boolean {
  for (let current = err; current; current = (current as { cause?: unknown }).cause) {
    const code = (current as { code?: unknown }).code;
    if (code === 4 || code === 1) return true;
  }
  return false;
}
