import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { AttemptContext } from '../jobs/spec';

/**
 * Every activity log line (ours and the SDK's) carries the job id (the workflow id, under the name the API's
 * lines use) and the job's correlation id from the attempt context.
 */
export const correlationInterceptor: ActivityInterceptorsFactory = (ctx) => {
  const jobId = ctx.info.workflowExecution?.workflowId;
  let correlationId: string | undefined;
  return {
    inbound: {
      execute(input, next) {
        const context = input.args[1] as Partial<AttemptContext> | undefined;
        if (typeof context?.correlationId === 'string') correlationId = context.correlationId;
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(attributes, next) {
        return next({ ...(jobId ? { jobId } : {}), ...attributes, ...(correlationId ? { correlationId } : {}) });
      },
    },
  };
};
