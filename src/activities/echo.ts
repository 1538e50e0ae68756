import { Context } from '@temporalio/activity';
import type { EchoJobInput } from '../jobs/echo';

const HEARTBEAT_EVERY_MS = 1_000;

export async function echo(input: EchoJobInput): Promise<{ value: unknown }> {
  const context = Context.current();
  let remaining = input.sleepMs;
  while (remaining > 0) {
    const step = Math.min(remaining, HEARTBEAT_EVERY_MS);
    await context.sleep(step); // rejects with CancelledFailure once a cancellation arrives
    remaining -= step;
    context.heartbeat({ progress: { done: input.sleepMs - remaining, total: input.sleepMs, unit: 'ms' } });
  }
  return { value: input.value ?? null };
}
