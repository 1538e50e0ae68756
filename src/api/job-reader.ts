import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { canSeeTenant, type Principal } from '../auth/principal';
import { JOB_WORKFLOWS } from '../jobs';
import { tenantOf } from '../tenancy/job-tenant';
import { BATCH_WORKFLOW } from '../jobs/batch';
import { HttpProblem } from './problem';
import { toJobView, type JobView, type ViewLinks } from './job-view';
import { pendingAttemptOf } from './pending-attempt';

export { JOB_WORKFLOWS } from '../jobs';

/** Reads jobs back from Temporal: describe a workflow and build its public view. Shared by the services. */
export class JobReader {
  constructor(
    readonly client: Client,
    readonly links: ViewLinks,
  ) {}

  /**
   * Describes a job's workflow as `principal` may see it; 404 if there is none, it is not a job, or it belongs
   * to another tenant. All three answer the very same problem, so a 404 tells nothing about other tenants.
   */
  async describe(id: string, principal: Principal): Promise<WorkflowExecutionDescription> {
    try {
      const description = await this.client.workflow.getHandle(id).describe();
      if (!JOB_WORKFLOWS.has(description.type)) throw new WorkflowNotFoundError('not a job', id, undefined);
      if (!canSeeTenant(principal, tenantOf(description))) throw new WorkflowNotFoundError('another tenant', id, undefined);
      return description;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw jobNotFound(id);
      throw err;
    }
  }

  async viewOf(description: WorkflowExecutionDescription): Promise<JobView> {
    // A batch has a pending activity per running chunk: none of them is the job's attempt.
    const pending =
      description.type === BATCH_WORKFLOW ? undefined : await pendingAttemptOf(description, this.client.options.loadedDataConverter);
    return toJobView(description, pending, this.links);
  }

  async view(id: string, principal: Principal): Promise<JobView> {
    return this.viewOf(await this.describe(id, principal));
  }
}

/** The one answer for a job id the caller cannot see, whether it is missing or another tenant's. */
export function jobNotFound(id: string): HttpProblem {
  return new HttpProblem(404, 'job-not-found', `no job with id ${id}`);
}
