import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/**
 * Every workflow log line carries the job id (the workflow id, under the name the API's lines use) and the
 * job's correlation id (from its memo), so one id finds a job's logs. With tracing on, the OpenTelemetry
 * workflow interceptors add `trace_id` and `span_id` too.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      getLogAttributes(input, next) {
        const info = workflowInfo();
        const correlationId = (info.memo as { correlationId?: unknown } | undefined)?.correlationId;
        return next({ jobId: info.workflowId, ...input, ...(typeof correlationId === 'string' ? { correlationId } : {}) });
      },
    },
  ],
});
