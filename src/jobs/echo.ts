import { z } from 'zod';
import { defineJobType } from './define';

export const ECHO_MAX_SLEEP_MS = 60_000;

export const EchoJobInput = z
  .object({
    /** Returned as the job's result. */
    value: z.unknown().optional(),
    /**
     * Work time to simulate; the attempt heartbeats and can be cancelled meanwhile. A demo needs seconds:
     * a minute at most, so that a burst of echo jobs cannot hold every activity slot for long.
     */
    sleepMs: z.number().int().min(0).max(ECHO_MAX_SLEEP_MS).default(0),
  })
  .strict();

export type EchoJobInput = z.infer<typeof EchoJobInput>;

export const echoJob = defineJobType({
  type: 'echo',
  description: 'Returns `value` after `sleepMs`. For smoke tests, demos and benchmarks.',
  input: EchoJobInput,
  activity: 'echo',
  resourceClass: 'default',
  // An attempt sleeps at most a minute: two leave room for a busy worker.
  defaults: { maxAttempts: 3, attemptTimeoutMs: 2 * 60_000, heartbeatTimeoutMs: 10_000 },
});
