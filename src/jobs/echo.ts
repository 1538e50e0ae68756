import { z } from 'zod';
import { defineJobType } from './define';

export const EchoJobInput = z
  .object({
    /** Returned as the job's result. */
    value: z.unknown().optional(),
    /** Work time to simulate; the attempt heartbeats and can be cancelled meanwhile. */
    sleepMs: z.number().int().min(0).max(600_000).default(0),
  })
  .strict();

export type EchoJobInput = z.infer<typeof EchoJobInput>;

export const echoJob = defineJobType({
  type: 'echo',
  description: 'Returns `value` after `sleepMs`. For smoke tests, demos and benchmarks.',
  input: EchoJobInput,
  activity: 'echo',
  defaults: { maxAttempts: 3, attemptTimeoutMs: 11 * 60_000, heartbeatTimeoutMs: 10_000 },
});
