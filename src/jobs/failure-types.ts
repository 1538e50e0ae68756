// The vocabulary of failure types (ApplicationFailure `type`) that Jobline's workflows and activities
// fail with. Clients see them in `lastError.type`; operators filter the Web UI by them; a job type lists
// some in `nonRetryableErrorTypes`. Imported by workflow code: constants only.

export const FailureType = {
  /** The job's overall timeout (`timeoutMs`) passed. */
  JobTimedOut: 'JobTimedOut',
  /** An operator discarded the dead letter. */
  JobDiscarded: 'JobDiscarded',
  /** A job in `dependsOn` did not complete. */
  DependencyFailed: 'DependencyFailed',
  /** One or more pipeline nodes failed. */
  PipelineFailed: 'PipelineFailed',
  /** The input (or a batch handler's input) does not fit its schema at run time: retrying cannot help. */
  InvalidInput: 'InvalidInput',
  /** A batch's failed items passed `maxFailedItems` or `maxFailedRatio`. */
  TooManyFailedItems: 'TooManyFailedItems',
  /** The worker has no activity of the name the spec gives (a worker older than the API). */
  UnknownActivity: 'UnknownActivity',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];
