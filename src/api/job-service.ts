import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import type { JobMemo } from '../workflows/job-state';
import { getPipelineStateQuery } from '../workflows/messages';
import type { JobReader } from './job-reader';
import { jobLinks, TERMINAL_STATUSES, type JobView } from './job-view';
import { prepareJob, type SubmitHeaders } from './prepare-job';
import { HttpProblem } from './problem';

const NODE_QUERY_DEADLINE_MS = 3_000;

export interface SubmitOutcome {
  /** False when an idempotency key matched an existing job. */
  created: boolean;
  job: JobView;
}

/** Submitting, reading and cancelling jobs. The API only starts, describes and signals: it never does the work. */
export class JobService {
  constructor(
    private readonly reader: JobReader,
    private readonly taskQueue: string,
  ) {}

  async submit(body: unknown, headers: SubmitHeaders): Promise<SubmitOutcome> {
    const prepared = prepareJob(body, headers);
    const { spec, idempotencyKey } = prepared;
    try {
      await this.reader.client.workflow.start(prepared.workflowType, {
        ...prepared.startOptions,
        workflowId: spec.id,
        taskQueue: this.taskQueue,
        // With an idempotency key the id is fixed: a second start must find the first, also once it has closed.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) || !idempotencyKey) throw err;
      const existing = await this.reader.describe(spec.id);
      if ((existing.memo as Partial<JobMemo> | undefined)?.requestHash !== prepared.requestHash) {
        throw new HttpProblem(
          409,
          'idempotency-conflict',
          `Idempotency-Key "${idempotencyKey}" was already used for a different ${spec.type} request`,
          { jobId: spec.id },
        );
      }
      return { created: false, job: await this.reader.viewOf(existing) };
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
        links: jobLinks(spec.id, this.reader.links),
      },
    };
  }

  async get(id: string): Promise<JobView> {
    const description = await this.reader.describe(id);
    const view = await this.reader.viewOf(description);
    const handle = this.reader.client.workflow.getHandle(id);
    if (view.status === 'completed') view.result = await handle.result();
    if (description.type === 'runPipeline') {
      // Node states live in the workflow; a query needs a live worker, so it gets a deadline.
      const state = await this.reader.client.connection
        .withDeadline(Date.now() + NODE_QUERY_DEADLINE_MS, () => handle.query(getPipelineStateQuery))
        .catch(() => undefined);
      if (state) view.nodes = state.nodes;
    }
    return view;
  }

  async result(id: string): Promise<unknown> {
    const view = await this.reader.view(id);
    if (view.status !== 'completed') {
      throw new HttpProblem(409, 'invalid-state', `job ${id} is ${view.status}, not completed`, { jobStatus: view.status });
    }
    return this.reader.client.workflow.getHandle(id).result();
  }

  /** Requests cancellation; the running attempt hears it through its next heartbeat. */
  async cancel(id: string): Promise<JobView> {
    const view = await this.reader.view(id);
    if (TERMINAL_STATUSES.has(view.status)) {
      throw new HttpProblem(409, 'invalid-state', `job ${id} is already ${view.status}`, { jobStatus: view.status });
    }
    await this.reader.client.workflow.getHandle(id).cancel();
    return view;
  }
}
