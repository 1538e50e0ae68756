import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import type { JobMemo } from '../workflows/job-state';
import { runJob } from '../workflows/run-job';
import { prepareJob, type SubmitHeaders } from './prepare-job';
import { HttpProblem } from './problem';
import { jobLinks, toJobView, type JobView, type ViewLinks } from './job-view';
import { pendingAttemptOf } from './pending-attempt';

export interface JobServiceOptions extends ViewLinks {
  taskQueue: string;
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
    const prepared = prepareJob(body, headers);
    const { spec, idempotencyKey } = prepared;
    try {
      await this.client.workflow.start(runJob, {
        ...prepared.startOptions,
        workflowId: spec.id,
        taskQueue: this.options.taskQueue,
        // With an idempotency key the id is fixed: a second start must find the first, also once it has closed.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) || !idempotencyKey) throw err;
      const existing = await this.describe(spec.id);
      if ((existing.memo as Partial<JobMemo> | undefined)?.requestHash !== prepared.requestHash) {
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
