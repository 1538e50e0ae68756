/**
 * Terminology
 * - job type: a kind of work declared once with `defineJobType` (name, input schema, activity, defaults).
 * - job: one submission of a job type; a Temporal workflow whose id is the job id.
 * - job spec: the job type's defaults merged with the request's overrides, resolved at the API and passed
 *   to the workflow, which stays generic.
 * - attempt: one execution of the job's activity; failed attempts are retried with jittered backoff.
 * - dead letter: a job whose attempts are exhausted (or that failed non-retryably), parked until it is
 *   retried or discarded.
 * - task queue: where workers poll for work; every worker on it can run every job type.
 * - worker: a stateless process that runs workflows and activities.
 * - batch: a job over many items, run in chunks (one activity each) by a named per-item handler.
 * - chunk: up to `chunkSize` consecutive items of a batch; the unit that is retried after a crash.
 * - round: one pass of a batch; a retry of its failed items is the next round.
 */
import { batchJob } from './batch';
import type { JobTypeDefinition } from './define';
import { echoJob } from './echo';
import { httpJob } from './http';
import { createPipelineJob } from './pipeline';
import { reportJob } from './report';
import { DEFAULT_JOB_WORKFLOW, type JobWorkflowName } from './workflow-names';

/** The job types a pipeline node may have: every one but the pipeline itself. */
const LEAF_TYPES: readonly JobTypeDefinition[] = [httpJob, echoJob, reportJob, batchJob];
const leafByName = new Map(LEAF_TYPES.map((jobType) => [jobType.type, jobType]));

export const pipelineJob = createPipelineJob((type) => leafByName.get(type));

export const JOB_TYPES: readonly JobTypeDefinition[] = [...LEAF_TYPES, pipelineJob];

const byName = new Map(JOB_TYPES.map((jobType) => [jobType.type, jobType]));

/** Every workflow that is a job: the generic one and those the job types name. Listings and reads accept only these. */
export const JOB_WORKFLOWS: ReadonlySet<string> = new Set<string>([
  DEFAULT_JOB_WORKFLOW,
  ...JOB_TYPES.flatMap((jobType) => (jobType.workflow ? [jobType.workflow] : [])),
]);

/** The workflow that runs a job of this type. */
export function workflowOf(jobType: JobTypeDefinition): JobWorkflowName {
  return jobType.workflow ?? DEFAULT_JOB_WORKFLOW;
}

export function findJobType(type: string): JobTypeDefinition | undefined {
  return byName.get(type);
}

export function jobTypeNames(): string[] {
  return [...byName.keys()];
}
