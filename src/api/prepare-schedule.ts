import type { ScheduleOptions, ScheduleOptionsStartWorkflowAction, WorkflowStartOptions } from '@temporalio/client';
import { JobTenantKey } from '../jobs/search-attributes';
import { checkCronPeriod, describeMs } from '../schedules/cron-period';
import { toTemporalOverlap } from '../schedules/overlap';
import { SCHEDULE_MEMO_KEY, type ScheduleMemo } from '../schedules/schedule-memo';
import { CreateScheduleRequest } from '../schedules/schedule-request';
import type { JobMemo } from '../workflows/job-state';
import { runJob } from '../workflows/run-job';
import type { Owner } from '../tenancy/fair-priority';
import { tenantScopedId } from '../tenancy/tenant-ids';
import { prepareJob, type PreparedJob } from './prepare-job';
import type { TargetPolicy } from './private-targets';
import { fieldErrors, HttpProblem, type FieldError } from './problem';

type RunJobAction = ScheduleOptionsStartWorkflowAction<typeof runJob>;

const CATCHUP_WINDOW = '1 hour';

/** How often any schedule may fire (JOBLINE_SCHEDULE_MIN_INTERVAL_MS). */
export interface ScheduleLimits {
  minIntervalMs: number;
}

/** A validated schedule: the request as parsed, its job as prepareJob resolved it, and the create options. */
export interface PreparedSchedule {
  request: CreateScheduleRequest;
  /** The Temporal schedule id: the request's id, scoped to the owner's tenant. */
  scheduleId: string;
  job: PreparedJob;
  options: ScheduleOptions<RunJobAction>;
}

/**
 * Validates a `POST /v1/schedules` body into a schedule owned by `owner`'s tenant, as is every run it starts.
 * Field errors of the schedule and of its job come back together, the job's named under `job.`. Throws
 * HttpProblem; nothing is created here.
 */
export function prepareSchedule(
  body: unknown,
  headers: { correlationId?: string },
  taskQueue: string,
  limits: ScheduleLimits,
  targets: TargetPolicy,
  owner: Owner,
): PreparedSchedule {
  const parsed = CreateScheduleRequest.safeParse(body);
  const errors = parsed.success ? periodErrors(parsed.data, limits) : fieldErrors(parsed.error);
  let job: PreparedJob | undefined;
  // A missing job, or one with runAt, already has its error; prepareJob would only repeat or contradict it.
  if (isObject(body) && !errors.some((e) => e.field === 'job' || e.field.startsWith('job.'))) {
    try {
      job = prepareJob(body.job, { correlationId: headers.correlationId }, targets, owner);
    } catch (err) {
      if (!(err instanceof HttpProblem)) throw err;
      const problem = underJob(err);
      if (errors.length === 0) throw problem;
      errors.push(...errorsOf(problem));
    }
  }
  if (!parsed.success || !job || errors.length > 0) throw invalidFields(errors);
  const scheduleId = tenantScopedId(owner.tenant, parsed.data.id);
  return { request: parsed.data, scheduleId, job, options: scheduleOptions(parsed.data, scheduleId, job, taskQueue, owner) };
}

/**
 * One request must not start unbounded work: every schedule fires at most once per `minIntervalMs`, and
 * at all (`0 0 31 2 *` would be a schedule that never runs).
 */
function periodErrors(request: CreateScheduleRequest, limits: ScheduleLimits): FieldError[] {
  if (request.intervalMs !== undefined) {
    return request.intervalMs < limits.minIntervalMs
      ? [
          {
            field: 'intervalMs',
            message: `must be at least ${limits.minIntervalMs} (${describeMs(limits.minIntervalMs)}, JOBLINE_SCHEDULE_MIN_INTERVAL_MS)`,
          },
        ]
      : [];
  }
  if (request.cron === undefined) return [];
  const list = typeof request.cron === 'string' ? [request.cron] : request.cron;
  return checkCronPeriod(list, request.timezone, limits.minIntervalMs).map((issue) => ({
    field: issue.index === undefined || typeof request.cron === 'string' ? 'cron' : `cron.${issue.index}`,
    message: issue.message,
  }));
}

/**
 * The server is the judge of cron expressions and time zone names; the SDK turns its verdict into a
 * TypeError carrying the server's message, which names the kind of thing but not the field.
 */
export function specProblem(err: TypeError, request: CreateScheduleRequest): HttpProblem {
  const field = /time ?zone/i.test(err.message) ? 'timezone' : request.cron !== undefined ? 'cron' : 'intervalMs';
  return invalidFields([{ field, message: err.message }]);
}

/** Every run is an ordinary job; the server appends the run's time to this id. */
export function runIdPrefix(jobType: string, scheduleId: string): string {
  // `schedule-` cannot begin a random job id (a UUID is hex), so scheduled and submitted ids never collide.
  return `${jobType}-schedule-${scheduleId}`;
}

function scheduleOptions(
  request: CreateScheduleRequest,
  scheduleId: string,
  job: PreparedJob,
  taskQueue: string,
  owner: Owner,
): ScheduleOptions<RunJobAction> {
  const { spec, startOptions } = job;
  // No createdAt: a run's view then falls back to the run's start time, not the schedule's creation.
  const runMemo: Omit<JobMemo, 'createdAt'> = {
    correlationId: spec.correlationId,
    metadata: spec.metadata,
    maxAttempts: spec.maxAttempts,
    tenant: owner.tenant,
    ...(spec.notify ? { notify: spec.notify } : {}),
  };
  // The schedule action types omit `priority`, which the SDK sends all the same.
  const action: RunJobAction & Pick<WorkflowStartOptions<typeof runJob>, 'priority'> = {
    type: 'startWorkflow',
    workflowType: job.workflowType,
    // Scoped like the schedule id: two tenants' schedules of the same id never start runs of the same id.
    workflowId: tenantScopedId(owner.tenant, runIdPrefix(spec.type, request.id)),
    taskQueue,
    args: startOptions.args,
    memo: runMemo,
    typedSearchAttributes: startOptions.typedSearchAttributes,
    priority: startOptions.priority,
  };
  const cron = request.cron === undefined ? undefined : typeof request.cron === 'string' ? [request.cron] : request.cron;
  const memo: ScheduleMemo = { taskQueue, cron: request.cron, intervalMs: request.intervalMs, timezone: request.timezone };
  return {
    scheduleId,
    spec: {
      cronExpressions: cron,
      intervals: request.intervalMs === undefined ? undefined : [{ every: request.intervalMs }],
      timezone: request.timezone,
    },
    action,
    // Runs missed while the server was down are caught up for an hour, not for the SDK's default year.
    policies: { overlap: toTemporalOverlap(request.overlap), catchupWindow: CATCHUP_WINDOW },
    state: { paused: request.paused, note: request.note },
    memo: { [SCHEDULE_MEMO_KEY]: memo },
    // So that a tenant's schedule listing is a visibility query.
    typedSearchAttributes: [{ key: JobTenantKey, value: owner.tenant }],
  };
}

function underJob(problem: HttpProblem): HttpProblem {
  const errors = errorsOf(problem).map((e) => ({ ...e, field: jobField(e.field) }));
  if (problem.slug === 'invalid-request') return invalidFields(errors);
  return new HttpProblem(problem.status, problem.slug, problem.message, { ...problem.extensions, errors });
}

function jobField(field: string): string {
  if (field.startsWith('header:')) return field;
  return field === '(body)' ? 'job' : `job.${field}`;
}

function errorsOf(problem: HttpProblem): FieldError[] {
  const errors = problem.extensions.errors;
  return Array.isArray(errors) ? (errors as FieldError[]) : [{ field: 'job', message: problem.message }];
}

function invalidFields(errors: FieldError[]): HttpProblem {
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return new HttpProblem(400, 'invalid-request', detail, { errors });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
