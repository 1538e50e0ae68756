import { Context } from '@temporalio/activity';
import type { EchoJobInput } from '../jobs/echo';
import type { AttemptContext } from '../jobs/spec';

/**
 * Every 2 s: progress stays lively, and a heartbeat timeout of 1 s (the least a job may set) reliably
 * looks like a lost worker, which the timeout tests rely on.
 */
const HEARTBEAT_EVERY_MS = 2_000;

export interface EchoResult {
  value: unknown;
  /** In a pipeline: the `value` each dependency returned, by node id (values only, so results never nest). */
  received?: Record<string, unknown>;
}

export async function echo(input: EchoJobInput, attempt?: AttemptContext): Promise<EchoResult> {
  const context = Context.current();
  let remaining = input.sleepMs;
  while (remaining > 0) {
    const step = Math.min(remaining, HEARTBEAT_EVERY_MS);
    await context.sleep(step); // rejects with CancelledFailure once a cancellation arrives
    remaining -= step;
    context.heartbeat({ progress: { done: input.sleepMs - remaining, total: input.sleepMs, unit: 'ms' } });
  }
  const value = input.value ?? null;
  if (!attempt?.dependencies) return { value };
  const received = Object.fromEntries(
    Object.entries(attempt.dependencies).map(([node, result]) => [node, (result as Partial<EchoResult> | null)?.value ?? null]),
  );
  return { value, received };
}
