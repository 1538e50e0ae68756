import type * as workflows from '../workflows';

/**
 * The workflows that run jobs, as the worker registers them (`src/workflows/index.ts`): a job type names
 * one of these, and a name the bundle does not export fails to compile. A type import only, so the API
 * process never loads workflow code.
 */
export type JobWorkflowName = keyof typeof workflows;

/** The generic job: one activity under the spec's retry policy. Job types that name no workflow run it. */
export const DEFAULT_JOB_WORKFLOW = 'runJob' satisfies JobWorkflowName;
