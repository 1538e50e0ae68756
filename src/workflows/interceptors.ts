import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** Every workflow log line carries the job's correlation id (from its memo), so one id finds a job's logs. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      getLogAttributes(input, next) {
        const correlationId = (workflowInfo().memo as { correlationId?: unknown } | undefined)?.correlationId;
        return next(typeof correlationId === 'string' ? { ...input, correlationId } : input);
      },
    },
  ],
});
