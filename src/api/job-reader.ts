import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { JOB_WORKFLOWS } from '../jobs';
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

  /** Describes a job's workflow; 404 if there is none or it is not a job. */
  async describe(id: string): Promise<WorkflowExecutionDescription> {
    try {
      const description = await this.client.workflow.getHandle(id).describe();
      if (!JOB_WORKFLOWS.has(description.type)) throw new WorkflowNotFoundError('not a job', id, undefined);
      return description;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpProblem(404, 'job-not-found', `no job with id ${id}`);
      throw err;
    }
  }

  async viewOf(description: WorkflowExecutionDescription): Promise<JobView> {
    // A batch has a pending activity per running chunk: none of them is the job's attempt.
    const pending =
      description.type === BATCH_WORKFLOW ? undefined : await pendingAttemptOf(description, this.client.options.loadedDataConverter);
    return toJobView(description, pending, this.links);
  }

  async view(id: string): Promise<JobView> {
    return this.viewOf(await this.describe(id));
  }
}
