import type { ScheduleDescription } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { z } from 'zod';
import { findJobType } from '../jobs';
import { redactInput } from '../jobs/redact';
import { fromTemporalOverlap } from '../schedules/overlap';
import { readScheduleMemo } from '../schedules/schedule-memo';
import type { OverlapPolicy } from '../schedules/schedule-request';
import { JobTypeKey } from '../jobs/search-attributes';
import type { ViewLinks } from './job-view';

/** The job each run starts, as resolved at creation (the job type's defaults merged with the request). */
export interface ScheduledJobView {
  type: string;
  input?: unknown;
  priority?: number;
  maxAttempts?: number;
  retry?: { initialIntervalMs: number; backoffCoefficient: number; maxIntervalMs: number; jitter: number };
  attemptTimeoutMs?: number;
  timeoutMs?: number;
  heartbeatTimeoutMs?: number;
  metadata?: Record<string, string>;
  /** Shared by every run, so one search finds them all. */
  correlationId?: string;
}

export interface ScheduleRunView {
  jobId: string;
  scheduledAt: string;
  startedAt: string;
}

export interface ScheduleView {
  id: string;
  spec: { cron?: string | string[]; intervalMs?: number; timezone: string };
  job: ScheduledJobView;
  overlap: OverlapPolicy;
  paused: boolean;
  note?: string;
  /** Absent while paused: the server still computes times, but nothing runs at them. */
  nextRunAt?: string;
  nextRunsAt: string[];
  /** Newest first; the server keeps the last ten. */
  recentRuns: ScheduleRunView[];
  createdAt: string;
  links: { self: string; webUi?: string };
}

/** The action's argument is a JobSpec; read it as possibly old or foreign, keeping only what the view shows. */
const StoredJobSpec = z.object({
  type: z.string(),
  input: z.unknown(),
  priority: z.number(),
  maxAttempts: z.number(),
  retry: z.object({ initialIntervalMs: z.number(), backoffCoefficient: z.number(), maxIntervalMs: z.number(), jitter: z.number() }),
  attemptTimeoutMs: z.number(),
  timeoutMs: z.number(),
  heartbeatTimeoutMs: z.number(),
  metadata: z.record(z.string(), z.string()),
  correlationId: z.string(),
});

export function scheduleLinks(id: string, links: ViewLinks): ScheduleView['links'] {
  return {
    self: `/v1/schedules/${encodeURIComponent(id)}`,
    webUi: links.uiUrl ? `${links.uiUrl}/namespaces/${encodeURIComponent(links.namespace)}/schedules/${encodeURIComponent(id)}` : undefined,
  };
}

/** `id` is the schedule's id as the caller names it (scheduleIdSeenBy): the bare id within its own tenant. */
export function toScheduleView(description: ScheduleDescription, links: ViewLinks, id: string = description.scheduleId): ScheduleView {
  const { action, info, state } = description;
  const memo = readScheduleMemo(description.memo);
  const paused = state.paused;
  const nextRunsAt = paused ? [] : info.nextActionTimes.map((t) => t.toISOString());
  const view: ScheduleView = {
    id,
    spec: {
      // The server keeps cron strings only as calendars: the cron as written comes from our memo.
      ...(memo?.cron !== undefined ? { cron: memo.cron } : {}),
      ...(description.spec.intervals?.[0] ? { intervalMs: description.spec.intervals[0].every } : {}),
      timezone: description.spec.timezone || 'UTC',
    },
    job: jobOf(action),
    overlap: fromTemporalOverlap(description.policies.overlap),
    paused,
    nextRunsAt,
    recentRuns: [...info.recentActions].reverse().map((run) => ({
      jobId: run.action.workflow.workflowId,
      scheduledAt: run.scheduledAt.toISOString(),
      startedAt: run.takenAt.toISOString(),
    })),
    createdAt: info.createdAt.toISOString(),
    // The API link names the schedule as the caller does; the Web UI knows only Temporal's id.
    links: { ...scheduleLinks(id, links), webUi: scheduleLinks(description.scheduleId, links).webUi },
  };
  if (state.note) view.note = state.note;
  if (nextRunsAt[0]) view.nextRunAt = nextRunsAt[0];
  return view;
}

function jobOf(action: ScheduleDescription['action']): ScheduledJobView {
  const stored = StoredJobSpec.safeParse(action.args?.[0]);
  // Each run gets the real input; the view shows it with the job type's secrets redacted.
  if (stored.success) return { ...stored.data, input: redactInput(findJobType(stored.data.type), stored.data.input) };
  const typed = action.typedSearchAttributes;
  return { type: (typed instanceof TypedSearchAttributes ? typed.get(JobTypeKey) : undefined) ?? 'unknown' };
}
