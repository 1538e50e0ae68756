import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { Principal } from '../auth/principal';
import { WebhookDeliveries } from './webhook-deliveries';
import { displayUrl } from '../webhooks/events';
import type { SourceAccess } from '../jobs/admission';
import type { InFlightLimit } from '../tenancy/in-flight-limit';
import type { Backpressure } from './backpressure';
import type { JobMemo } from '../workflows/job-state';
import { admitJob } from './admit-job';
import type { BatchService } from './batch-service';
import type { JobReader } from './job-reader';
import { JOB_TYPES } from '../jobs';
import { initialStatus, TERMINAL_STATUSES } from '../jobs/status';
import { jobLinks, type JobView } from './job-view';
import { prepareJob, type SubmitHeaders } from './prepare-job';
import type { TargetPolicy } from './private-targets';
import { HttpProblem, type FieldError } from './problem';

/** `dependsOn` may name 100 jobs: describe them a few at a time rather than in one burst. */
const DESCRIBE_BATCH = 20;

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
    private readonly batches?: BatchService,
    private readonly admission: {
      targets?: TargetPolicy;
      /** When given, the files and tables a job names are checked before it starts (admitJob). */
      access?: SourceAccess;
      /** When given, a key's `maxInFlight` is enforced before a job starts. */
      inFlight?: InFlightLimit;
      /** When given, a job whose queues are full is refused (429) before it starts. */
      backpressure?: Backpressure;
    } = {},
  ) {}

  /** Starts a job owned by the principal's tenant, with the principal's fairness weight. */
  async submit(body: unknown, headers: SubmitHeaders, principal: Principal): Promise<SubmitOutcome> {
    const prepared = prepareJob(body, headers, this.admission.targets ?? { allowPrivateTargets: false }, principal);
    if (this.admission.access) await admitJob(prepared, this.admission.access);
    const { spec, idempotencyKey } = prepared;
    if (spec.dependsOn) await this.checkDependencies(spec.dependsOn, principal);
    await this.admission.backpressure?.admit(spec);
    await this.admission.inFlight?.check(principal);
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
      const existing = await this.reader.describe(spec.id, principal);
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
    this.admission.inFlight?.started(principal);
    return {
      created: true,
      job: {
        id: spec.id,
        type: spec.type,
        status: initialStatus(spec),
        attempts: 0,
        maxAttempts: spec.maxAttempts,
        priority: spec.priority,
        correlationId: spec.correlationId,
        metadata: spec.metadata,
        createdAt: spec.createdAt,
        ...(spec.runAt ? { scheduledFor: spec.runAt } : {}),
        ...(spec.dependsOn ? { dependsOn: spec.dependsOn } : {}),
        ...(spec.notify ? { notify: { url: displayUrl(spec.notify.url), events: spec.notify.events } } : {}),
        links: jobLinks(spec.id, this.reader.links),
      },
    };
  }

  /**
   * Every job in `dependsOn` must exist (it may have finished) and be the principal's to see: a typo would
   * otherwise wait until the timeout. Unknown ids (and other tenants' jobs, alike) are a 400 naming each one
   * (`dependsOn.<index>`); other errors pass on (503, 500).
   */
  private async checkDependencies(ids: string[], principal: Principal): Promise<void> {
    const found: boolean[] = [];
    for (let start = 0; start < ids.length; start += DESCRIBE_BATCH) {
      const batch = ids.slice(start, start + DESCRIBE_BATCH);
      const exists = await Promise.all(
        batch.map((id) =>
          this.reader.describe(id, principal).then(
            () => true,
            (err: unknown) => {
              if (err instanceof HttpProblem && err.status === 404) return false;
              throw err;
            },
          ),
        ),
      );
      found.push(...exists);
    }
    const errors: FieldError[] = ids.flatMap((id, index) =>
      found[index] ? [] : [{ field: `dependsOn.${index}`, message: `no job with id "${id}"` }],
    );
    if (errors.length === 0) return;
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    throw new HttpProblem(400, 'invalid-request', detail, { errors });
  }

  async get(id: string, principal: Principal): Promise<JobView> {
    const description = await this.reader.describe(id, principal);
    const view = await this.reader.viewOf(description);
    const handle = this.reader.client.workflow.getHandle(id);
    if (view.status === 'completed') view.result = await handle.result();
    // A composite kind adds its own part (a batch's progress, a pipeline's nodes): the API asks the kind.
    const kind = JOB_TYPES.find((jobType) => jobType.workflow === description.type);
    if (kind?.view) Object.assign(view, await kind.view({ client: this.reader.client, description, view }));
    if (view.notify) view.notify.deliveries = await new WebhookDeliveries(this.reader.client).ofJob(id);
    return view;
  }

  async result(id: string, principal: Principal): Promise<unknown> {
    const view = await this.reader.view(id, principal);
    if (view.status !== 'completed') {
      throw new HttpProblem(409, 'invalid-state', `job ${id} is ${view.status}, not completed`, { jobStatus: view.status });
    }
    return this.reader.client.workflow.getHandle(id).result();
  }

  /** Requests cancellation; the running attempt hears it through its next heartbeat. */
  async cancel(id: string, principal: Principal): Promise<JobView> {
    const view = await this.reader.view(id, principal);
    if (TERMINAL_STATUSES.has(view.status)) {
      throw new HttpProblem(409, 'invalid-state', `job ${id} is already ${view.status}`, { jobStatus: view.status });
    }
    await this.reader.client.workflow.getHandle(id).cancel();
    return view;
  }
}

/** A completed pipeline's nodes from its result: a query would replay its whole history (5,000 events for 500 nodes). */
