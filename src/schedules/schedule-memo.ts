import { z } from 'zod';

/** The schedule memo key Jobline owns; other keys belong to whoever else writes the memo. */
export const SCHEDULE_MEMO_KEY = 'jobline';

/**
 * What Jobline keeps on a schedule besides Temporal's own record: the server turns cron strings into
 * calendars, so the cron as written lives here, and the task queue lets a listing skip other
 * deployments' schedules without describing each one. Read back through this schema: a memo may be
 * old or written by someone else.
 */
export const ScheduleMemo = z.object({
  taskQueue: z.string(),
  cron: z.union([z.string(), z.array(z.string())]).optional(),
  intervalMs: z.number().optional(),
  timezone: z.string(),
});

export type ScheduleMemo = z.infer<typeof ScheduleMemo>;

export function readScheduleMemo(memo: Record<string, unknown> | undefined): ScheduleMemo | undefined {
  const parsed = ScheduleMemo.safeParse(memo?.[SCHEDULE_MEMO_KEY]);
  return parsed.success ? parsed.data : undefined;
}
