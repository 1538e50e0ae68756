import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { findJobType, jobTypeNames } from '../jobs';
import { requestHash, resolveJobSpec } from '../jobs/resolve-spec';
import { CorrelationId, IdempotencyKey, SubmitJobRequest } from '../jobs/submission';
import { JobCorrelationIdKey, JobPriorityKey, JobStatusKey, JobTypeKey } from '../temporal/search-attributes';
import type { JobMemo } from '../workflows/job-state';
import { runJob } from '../workflows/run-job';
import { HttpProblem, validationProblem } from './problem';
import { jobLinks, toJobView, type JobView, type ViewLinks } from './job-view';
import { pendingAttemptOf } from './pending-attempt';

export interface JobServiceOptions extends ViewLinks {
  taskQueue: string;
}

export interface SubmitHeaders {
  idempotencyKey?: string;
  correlationId?: string;
}

export interface SubmitOutcome {
  /** False when an idempotency key matched an existing job. */
  created: boolean;
  job: JobView;
}

const JOB_WORKFLOW = 'runJob';

/** The API's only door to Temporal for jobs: it starts, describes and reads them, and never does their work. */
export class JobService {
  constructor(
    private readonly client: Client,
    private readonly options: JobServiceOptions,
  ) {}

  async submit(body: unknown, headers: SubmitHeaders): Promise<SubmitOutcome> {
    const request = parseOrThrow(SubmitJobRequest, body);
    const idempotencyKey = headers.idempotencyKey === undefined ? undefined : parseHeader(IdempotencyKey, headers.idempotencyKey, 'Idempotency-Key');
    const correlationId = headers.correlationId === undefined ? undefined : parseHeader(CorrelationId, headers.correlationId, 'X-Correlation-Id');
    const jobType = findJobType(request.type);
    if (!jobType) {
      throw new HttpProblem(400, 'unknown-job-type', `unknown job type "${request.type}"; known types: ${jobTypeNames().join(', ')}`, {
        errors: [{ field: 'type', message: `must be one of: ${jobTypeNames().join(', ')}` }],
      });
    }
    const input = jobType.input.safeParse(request.input);
    if (!input.success) throw validationProblem(input.error, ['input']);

    const spec = resolveJobSpec({ request, jobType, input: input.data, idempotencyKey, correlationId });
    const hash = requestHash(request);
    const memo: JobMemo = {
      requestHash: hash,
      createdAt: spec.createdAt,
      runAt: spec.runAt,
      correlationId: spec.correlationId,
      metadata: spec.metadata,
      maxAttempts: spec.maxAttempts,
    };
    try {
      await this.client.workflow.start(runJob, {
        workflowId: spec.id,
        taskQueue: this.options.taskQueue,
        args: [spec],
        memo: memo as unknown as Record<string, unknown>,
        typedSearchAttributes: [
          { key: JobTypeKey, value: spec.type },
          { key: JobStatusKey, value: spec.runAt ? 'scheduled' : 'active' },
          { key: JobPriorityKey, value: spec.priority },
          { key: JobCorrelationIdKey, value: spec.correlationId },
        ],
        priority: { priorityKey: spec.priority },
        // With an idempotency key the id is fixed: a second start must find the first, also once it has closed.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) || !idempotencyKey) throw err;
      const existing = await this.describe(spec.id);
      const existingHash = (existing.memo as Partial<JobMemo> | undefined)?.requestHash;
      if (existingHash !== hash) {
        throw new HttpProblem(409, 'idempotency-conflict', `Idempotency-Key "${idempotencyKey}" was already used for a different ${spec.type} request`, {
          jobId: spec.id,
        });
      }
      return { created: false, job: await this.viewOf(existing) };
    }
    return {
      created: true,
      job: {
        id: spec.id,
        type: spec.type,
        status: spec.runAt ? 'scheduled' : 'queued',
        attempts: 0,
        maxAttempts: spec.maxAttempts,
        priority: spec.priority,
        correlationId: spec.correlationId,
        metadata: spec.metadata,
        createdAt: spec.createdAt,
        ...(spec.runAt ? { scheduledFor: spec.runAt } : {}),
        links: jobLinks(spec.id, this.options),
      },
    };
  }

  async get(id: string): Promise<JobView> {
    const description = await this.describe(id);
    const view = await this.viewOf(description);
    if (view.status === 'completed') view.result = await this.client.workflow.getHandle(id).result();
    return view;
  }

  async result(id: string): Promise<unknown> {
    const description = await this.describe(id);
    if (description.status.name !== 'COMPLETED') {
      const view = await this.viewOf(description);
      throw new HttpProblem(409, 'invalid-state', `job ${id} is ${view.status}, not completed`, { jobStatus: view.status });
    }
    return this.client.workflow.getHandle(id).result();
  }

  private async describe(id: string): Promise<WorkflowExecutionDescription> {
    try {
      const description = await this.client.workflow.getHandle(id).describe();
      if (description.type !== JOB_WORKFLOW) throw new WorkflowNotFoundError('not a job', id, undefined);
      return description;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpProblem(404, 'job-not-found', `no job with id ${id}`);
      throw err;
    }
  }

  private async viewOf(description: WorkflowExecutionDescription): Promise<JobView> {
    const pending = await pendingAttemptOf(description, this.client.options.loadedDataConverter);
    return toJobView(description, pending, this.options);
  }
}

function parseOrThrow<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationProblem(parsed.error);
  return parsed.data;
}

function parseHeader(schema: typeof IdempotencyKey, value: string, header: string): string {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new HttpProblem(400, 'invalid-request', `${header}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      errors: [{ field: `header:${header}`, message: parsed.error.issues[0]?.message ?? 'invalid' }],
    });
  }
  return parsed.data;
}
